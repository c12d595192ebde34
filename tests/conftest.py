"""Shared fixtures: paths to the public reference data beside the repository."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg import drop_schema, new_schema, parametrize_backends, require_server

from oerrepo import Repository

# Recorded server responses, official XML schemas and reference vocabularies live in
# ../shared beside the checkout; they are public data we read but never copy in.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """Return a path inside ../shared, or skip the test with a clear reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not available: {path} (needs ../shared beside the checkout)")
    return path


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_backends(metafunc)  # the modules in pg.BOTH_BACKENDS run on SQLite and PostgreSQL


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The store a test runs on: "sqlite" (the embedded default) or "postgresql"."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to an empty PostgreSQL schema of the test's own (skips when no server is available)."""
    base = require_server()
    name, url = new_schema(base)
    yield url
    drop_schema(base, name)


@pytest.fixture
def data_dir(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Path:
    """A fresh data folder: not yet created on SQLite; on PostgreSQL one naming a new empty schema."""
    path = tmp_path / "oer-data"
    if backend == "postgresql":
        url = request.getfixturevalue("pg_url")
        path.mkdir()
        (path / "oerrepo.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    return path


@pytest.fixture
def repo_factory(data_dir: Path) -> Iterator[Callable[..., Repository]]:
    """Open Repository objects on the test's backend (several may share the one store); all closed afterwards."""
    opened: list[Repository] = []

    def make(**kwargs: object) -> Repository:
        repo = Repository(data_dir, **kwargs)
        opened.append(repo)
        return repo

    yield make
    for repo in opened:
        repo.close()
