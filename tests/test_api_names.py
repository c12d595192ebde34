"""The Python API uses the command line's names, and keeps the older ones working."""

from __future__ import annotations

import os
import stat

import pytest

from oerrepo import Repository


@pytest.fixture
def repo(tmp_path):
    with Repository(tmp_path / "d") as r:
        r.add_set("museums", "Resources from museums")
        r.add({"id": "bees", "name": "Bee hotels", "license": "CC-BY-4.0", "sets": ["museums"],
               "url": "https://example.org/bees", "keywords": ["bees"]})
        r.add({"id": "rivers", "name": "River water", "license": "CC0-1.0", "url": "https://example.org/rivers",
               "keywords": ["water"]})
        yield r


def test_search_results_are_iterable_hits(repo):
    result = repo.search("bees")
    assert [hit.id for hit in result] == ["bees"] == [hit.id for hit in result.hits]


def test_export_takes_the_command_lines_names_and_the_old_ones(repo, tmp_path):
    new = repo.export(format="nt", set="museums")
    old = repo.export(fmt="nt", set_spec="museums")
    positional = repo.export("nt", set_spec="museums")
    assert new.data == old.data == positional.data and new.resources == 1
    assert repo.export(format="turtle").resources == 2


def test_exported_files_get_the_permissions_the_umask_gives(repo, tmp_path):
    before = os.umask(0o022)
    try:
        repo.export(format="nt", output=tmp_path / "shared.nt")
        os.umask(0o077)
        repo.export(format="nt", output=tmp_path / "private.nt")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "shared.nt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.nt").stat().st_mode) == 0o600
