"""`oerrepo migrate-store`: a catalogue goes from SQLite to PostgreSQL and back without loss."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from oerrepo import Repository
from oerrepo.cli import cli
from oerrepo.errors import StoreError
from oerrepo.store import harvest as harvest_store
from oerrepo.store.transfer import checksums


def _full_catalogue(repo: Repository) -> None:
    """Something of everything the store keeps."""
    repo.load_samples()
    repo.add_set("museums", "Resources from museums", "Made with science centres")
    repo.add({"id": "bee-hotels", "name": {"en": "Bee hotels", "pt": "Hotéis para abelhas"},
              "license": "CC-BY-4.0", "inLanguage": ["en", "pt"], "sets": ["museums"]})
    repo.update("bee-hotels", {"keywords": ["bees", "ἀρετή", "größe"]}, merge=True)
    repo.add({"id": "gone", "name": "Short-lived", "license": "CC0-1.0"})
    repo.delete("gone")  # a tombstone, with its history
    repo.set_setting("repository_name", "Rede de Escolas Abertas")
    repo.set_setting("license_policy", "open-only")
    harvest_store.put_source(repo.store, "zenodo", "https://zenodo.org/oai2d", metadata_prefix="oai_datacite",
                             set_specs=["user-openschools"], settings={"delay": 1.5})
    with repo.store.transaction() as conn:
        harvest_store.save_state(conn, "zenodo", {"from": "2024-05-01T00:00:00Z", "token": "abc|2"})
        harvest_store.put_provenance(
            conn, source="zenodo", oai_identifier="oai:zenodo.org:42", resource_id="bee-hotels",
            datestamp="2024-05-02T10:00:00Z", set_specs=["user-openschools"], metadata_prefix="oai_datacite",
            role="primary", notes=["licence from rightsList"], exists=False,
        )
        harvest_store.put_keys(conn, "bee-hotels", ["doi:10.5281/zenodo.42", "url:example.org/bees"])


def _everything(repo: Repository) -> dict:
    """The catalogue as a user sees it through the public API."""
    ids = [r.id for r in repo.iter(include_deleted=True)]
    return {
        "resources": [(r.id, r.seq, r.datestamp, r.created, r.deleted, r.data) for r in repo.iter(include_deleted=True)],
        "history": {rid: [(v.seq, v.action, v.datestamp, v.origin, v.changed, v.data) for v in repo.history(rid)]
                    for rid in ids},
        "changes": [(v.seq, v.resource_id) for v in repo.store.changes_since(0, limit=100_000)],
        "sets": repo.sets(),
        "settings": repo.settings(),
        "count": repo.count(),
        "sources": [dict(s) for s in harvest_store.list_sources(repo.store)],
        "provenance": harvest_store.provenance_of(repo.store, "bee-hotels"),
    }


def test_sqlite_to_postgresql_and_back_loses_nothing(tmp_path, pg_url):
    origin = Repository(tmp_path / "origin")
    _full_catalogue(origin)
    before = _everything(origin)
    sums = checksums(origin.store)

    report = origin.migrate_store(pg_url)
    assert report.ok and {c.table for c in report.tables} >= {"resources", "changes", "sets", "resource_sets",
                                                                 "meta", "sources", "provenance"}
    assert {c.table: (c.source_rows, c.source_checksum) for c in report.tables} == sums
    on_pg = Repository(tmp_path / "unused", db_url=pg_url)
    assert _everything(on_pg) == before
    assert checksums(on_pg.store) == sums

    back = on_pg.migrate_store(tmp_path / "back")
    assert back.ok
    returned = Repository(tmp_path / "back")
    assert _everything(returned) == before
    assert checksums(returned.store) == sums

    # Both copies go on numbering changes after the copied ones.
    last = before["changes"][-1][0]
    assert on_pg.add({"name": "After the move", "license": "CC0-1.0"}).seq == last + 1
    assert returned.add({"name": "After the move", "license": "CC0-1.0"}).seq == last + 1
    for repo in (origin, on_pg, returned):
        repo.close()


def test_the_cli_prints_counts_and_checksums_for_every_table(tmp_path, pg_url):
    runner = CliRunner()
    folder = tmp_path / "origin"
    assert runner.invoke(cli, ["--data", str(folder), "init", "--samples"]).exit_code == 0
    result = runner.invoke(cli, ["--data", str(folder), "migrate-store", "--to", pg_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    resources = next(line for line in lines if line.startswith("resources "))
    assert resources.split()[1] == resources.split()[2] and resources.endswith("ok")
    assert "Every table matches" in result.output
    as_json = runner.invoke(cli, ["--data", str(tmp_path / "again"), "init"]).exit_code  # an empty SQLite target
    assert as_json == 0
    result = runner.invoke(cli, ["--db", pg_url, "migrate-store", "--to", str(tmp_path / "again"), "--json"])
    assert result.exit_code == 0, result.output
    verification = json.loads(result.output)
    assert verification["ok"] and all(t["sourceRows"] == t["targetRows"] for t in verification["tables"])
    assert Repository(tmp_path / "again").count() == Repository(folder).count() > 40


def test_a_target_that_already_holds_records_is_refused_and_left_alone(tmp_path, pg_url):
    origin = Repository(tmp_path / "origin")
    origin.add({"id": "a", "name": "A", "license": "CC0-1.0"})
    occupied = Repository(tmp_path / "x", db_url=pg_url)
    occupied.add({"id": "b", "name": "B", "license": "CC0-1.0"})
    with pytest.raises(StoreError, match="already holds data.*resources"):
        origin.migrate_store(pg_url)
    assert [r.id for r in occupied.iter()] == ["b"]
    result = CliRunner().invoke(cli, ["--data", str(tmp_path / "origin"), "migrate-store", "--to", pg_url])
    assert result.exit_code == 1 and result.output.startswith("Error: the target") and "Traceback" not in result.output
