"""The one exception hierarchy: specific classes where they belong, all exported from the package."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

import oerrepo
from oerrepo import errors
from oerrepo.errors import (
    DuplicateSource,
    HarvestError,
    InvalidSource,
    OerRepoError,
    ServeError,
    SourceNotFound,
)

HEAVY = ("whoosh", "rdflib", "sqlalchemy", "lxml", "requests")


def _error_classes() -> dict[str, type]:
    return {name: obj for name, obj in vars(errors).items()
            if isinstance(obj, type) and issubclass(obj, OerRepoError) and not name.startswith("_")}


def test_every_error_is_listed_in_errors_all():
    assert sorted(_error_classes()) == sorted(errors.__all__)


def test_every_error_is_exported_from_the_package():
    for name, cls in _error_classes().items():
        assert name in oerrepo.__all__, f"{name} is missing from oerrepo.__all__"
        assert getattr(oerrepo, name) is cls


def test_every_public_name_of_the_package_resolves():
    for name in oerrepo.__all__:
        assert getattr(oerrepo, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nonexistent'"):
        oerrepo.Nonexistent  # noqa: B018


def test_importing_the_package_loads_no_heavy_library():
    code = f"import sys, oerrepo; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_an_unusable_source_name_or_setting_is_an_invalid_source(tmp_path: Path):
    with oerrepo.Repository(tmp_path / "d") as repo:
        with pytest.raises(InvalidSource, match="source name 'no spaces please'"):
            repo.add_source("no spaces please", "https://partner.example/oai")
        with pytest.raises(InvalidSource, match="'maybe' must be 'keep' or 'skip'"):
            repo.add_source("p", "https://partner.example/oai", on_missing_license="maybe")
        with pytest.raises(InvalidSource, match="delay must not be negative"):
            repo.add_source("p", "https://partner.example/oai", delay=-1)
        with pytest.raises(InvalidSource, match="not an http"):
            repo.add_source("p", "ftp://partner.example/oai")
        assert repo.sources() == []


def test_a_name_taken_twice_is_a_duplicate_source(tmp_path: Path):
    with oerrepo.Repository(tmp_path / "d") as repo:
        repo.add_source("p", "https://partner.example/oai")
        with pytest.raises(DuplicateSource, match="a source named 'p' already exists"):
            repo.add_source("p", "https://other.example/oai")
        assert [s["url"] for s in repo.sources()] == ["https://partner.example/oai"]


def test_a_missing_source_is_source_not_found(tmp_path: Path):
    with oerrepo.Repository(tmp_path / "d") as repo:
        with pytest.raises(SourceNotFound, match="no source named 'ghost'"):
            repo.remove_source("ghost")
        with pytest.raises(SourceNotFound, match="neither a registered source nor an http"):
            repo.harvest("ghost")


def test_a_failed_harvest_carries_its_report(tmp_path: Path):
    with oerrepo.Repository(tmp_path / "d") as repo:
        with pytest.raises(HarvestError) as info:
            repo.harvest("http://127.0.0.1:9/oai", retries=0, timeout=0.5)
    report = info.value.report
    assert [s.source for s in report.sources] == ["127.0.0.1"]
    assert report.sources[0].error == str(info.value)


def test_an_address_in_use_is_a_serve_error(tmp_path: Path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with oerrepo.Repository(tmp_path / "d") as repo:
            with pytest.raises(ServeError, match=f"cannot serve on 127.0.0.1:{port}"):
                repo.serve("127.0.0.1", port, announce=None)
    finally:
        taken.close()
