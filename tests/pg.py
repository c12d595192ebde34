"""A PostgreSQL server for the tests, when there is one.

``scripts/ci-postgres.sh`` starts a throwaway server and exports its URL in
``OERREPO_TEST_PG_URL``; without it (a laptop with no PostgreSQL) the PostgreSQL variants
of the tests skip with the reason. When the URL is set but the server cannot be used, they
fail: a run that was given a server must not pass without testing on it. Each test gets a schema of its own in that database
(``search_path`` set in the URL), dropped afterwards, so tests never see each other's rows
and need no CREATEDB privilege.
"""

from __future__ import annotations

import os
import uuid
from functools import lru_cache

import pytest

ENV = "OERREPO_TEST_PG_URL"

# Test modules whose behavioural tests run on both backends. A module joins by being
# named here; single tests that are about the SQLite file itself are excluded below.
BOTH_BACKENDS = {
    "test_store",
    "test_repository",
    "test_cli",
    "test_search",
    "test_index",
    "test_harvest",
    "test_harvesting",
    "test_oai",
    "test_feed",
    "test_wsgi",
    "test_postgres_workers",
    "test_harvest_workers",
}

# Tests about the embedded SQLite file, the folder's permissions or a folder that does
# not exist yet: they describe the embedded default only.
SQLITE_ONLY = {
    "test_wal_mode_and_one_file",
    "test_validate_file_checks_without_storing",  # asserts the folder was not created
    "test_errors_are_one_line_without_traceback",  # "no data folder" for a folder that does not exist
}


@lru_cache(maxsize=1)
def server() -> tuple[str | None, str]:
    """(base URL, "") when a PostgreSQL server answers, else (None, why not)."""
    url = os.environ.get(ENV)
    if not url:
        return None, f"no PostgreSQL server for the tests: {ENV} is not set (run: source scripts/ci-postgres.sh)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "the PostgreSQL driver is not installed (pip install 'oerrepo[postgresql]')"
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip, and say why
        return None, f"the PostgreSQL server at {ENV} does not answer: {str(exc).splitlines()[0]}"
    return url, ""


def require_server() -> str:
    """The base URL; skip the test (no server given) or fail it (a server given but unusable)."""
    url, why = server()
    if url is None:
        if os.environ.get(ENV):
            pytest.fail(f"{why} (unset {ENV} to run without PostgreSQL)", pytrace=False)
        pytest.skip(why)
    return url


def new_schema(base: str) -> tuple[str, str]:
    """Create an empty schema; returns (its name, a URL whose search_path starts with it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    engine.dispose()
    # public stays on the path: the extensions unaccent and pg_trgm live there.
    url = make_url(base).update_query_dict({"options": f"-csearch_path={name},public"})
    return name, url.render_as_string(hide_password=False)


def drop_schema(base: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    engine.dispose()


def parametrize_backends(metafunc: pytest.Metafunc) -> None:
    """Run a test on both backends when its module takes part and it uses ``backend``."""
    if "backend" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    explicit = "backend" in metafunc.function.__code__.co_varnames
    if explicit or (module in BOTH_BACKENDS and metafunc.function.__name__ not in SQLITE_ONLY):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
