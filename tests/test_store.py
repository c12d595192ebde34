"""The SQL store: sequence numbers, revisions, tombstones, sets, upgrades and unusable folders."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, insert

from oerrepo import Repository
from oerrepo.errors import DuplicateResource, ResourceNotFound, StoreError
from oerrepo.store import Store, migrations, tables

RECORD = {"id": "bee-hotels", "name": {"en": "Bee hotels"}, "license": "CC-BY-4.0", "inLanguage": ["en"]}


def test_every_change_gets_a_strictly_increasing_seq_and_a_revision(data_dir):
    repo = Repository(data_dir)
    first = repo.add(RECORD)
    second = repo.update("bee-hotels", {"keywords": ["bees"]}, merge=True)
    gone = repo.delete("bee-hotels")
    assert first.seq < second.seq < gone.seq
    revisions = repo.history("bee-hotels")
    assert [r.action for r in revisions] == ["add", "update", "delete"]
    assert revisions[1].changed == ("keywords",)
    assert revisions[1].data["keywords"] == ["bees"]
    assert revisions[2].data is None
    assert all(r.datestamp.endswith("Z") and len(r.datestamp) == 20 for r in revisions)


def test_a_batch_numbers_its_changes_in_the_order_it_made_them(data_dir):
    # Changes written together (an import's chunk, a harvest's page) get their seqs in the order
    # they were made, above every seq before them, also where the latest changes were removed.
    from oerrepo.store.bulk import ResourceBatch

    repo = Repository(data_dir)
    repo.add(RECORD)
    repo.delete("bee-hotels")
    store = repo.store
    with store.transaction() as conn:  # the newest change rows removed (as a compaction might)
        conn.execute(tables.changes.delete().where(tables.changes.c.seq == store.last_seq()))
    with store.transaction() as conn:
        batch = ResourceBatch(store, conn)
        batch.load(["a", "b", "bee-hotels"])
        batch.insert({"id": "a", "name": {"en": "A"}, "license": "CC0-1.0"}, "import")
        batch.insert({"id": "b", "name": {"en": "B"}, "license": "CC0-1.0"}, "import")
        batch.replace({"id": "a", "name": {"en": "A again"}, "license": "CC0-1.0"}, "import")
        batch.remove("b", "import")
        batch.insert({"id": "bee-hotels", "name": {"en": "Bee hotels"}, "license": "CC-BY-4.0"}, "import")
        assert batch.flush() == 5
        a, bee = batch.resource("a"), batch.resource("bee-hotels")
    made = [(r.resource_id, r.action) for r in store.changes_since(2)]
    assert made == [("a", "add"), ("b", "add"), ("a", "update"), ("b", "delete"), ("bee-hotels", "add")]
    seqs = [r.seq for r in store.changes_since(2)]
    assert seqs == sorted(seqs) and seqs[0] > 2  # above the seq of the removed change too
    assert (a.seq, bee.seq) == (seqs[2], seqs[4])
    assert repo.get("a").name == "A again" and repo.get("a").seq == seqs[2]
    assert "b" not in repo and store.last_seq() == seqs[-1]
    repo.close()


def test_delete_leaves_a_tombstone(data_dir):
    repo = Repository(data_dir)
    repo.add(RECORD)
    repo.delete("bee-hotels")
    assert "bee-hotels" not in repo
    with pytest.raises(ResourceNotFound):
        repo.get("bee-hotels")
    tomb = repo.get("bee-hotels", include_deleted=True)
    assert tomb.deleted and tomb.data["name"] == {"en": "Bee hotels"}
    assert [r.id for r in repo.iter(include_deleted=True)] == ["bee-hotels"]
    assert repo.count() == 0
    with pytest.raises(ResourceNotFound):
        repo.delete("bee-hotels")
    # Adding the id again revives it; its history goes on.
    repo.add(RECORD)
    assert [r.action for r in repo.history("bee-hotels")] == ["add", "delete", "add"]


def test_duplicate_ids_are_refused_and_nothing_changes(data_dir):
    repo = Repository(data_dir)
    repo.add(RECORD)
    with pytest.raises(DuplicateResource, match="update"):
        repo.add({**RECORD, "name": "Other"})
    assert repo.get("bee-hotels").name == "Bee hotels"
    assert len(repo.history("bee-hotels")) == 1


def test_an_unchanged_update_makes_no_revision(data_dir):
    repo = Repository(data_dir)
    repo.add(RECORD)
    repo.update("bee-hotels", RECORD)
    assert len(repo.history("bee-hotels")) == 1


def test_sets_collect_resources(data_dir):
    repo = Repository(data_dir)
    repo.add_set("museums", "Resources from museums")
    repo.add({**RECORD, "sets": ["museums", "toolkits"]})
    repo.add({**RECORD, "id": "other", "sets": ["toolkits"]})
    by_spec = {s["spec"]: s for s in repo.sets()}
    assert by_spec["museums"]["name"] == "Resources from museums"
    assert by_spec["museums"]["count"] == 1 and by_spec["toolkits"]["count"] == 2
    assert [r.id for r in repo.iter(set_spec="toolkits")] == ["bee-hotels", "other"]


def test_wal_mode_and_one_file(data_dir):
    repo = Repository(data_dir)
    repo.add(RECORD)
    repo.close()
    con = sqlite3.connect(data_dir / "repo.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def _make_v1_store(path):
    """A data folder as the first schema version left it, with one record."""
    path.mkdir()
    engine = create_engine(f"sqlite:///{path / 'repo.db'}")
    with engine.begin() as conn:
        migrations.STEPS[0][1](conn)
        conn.execute(insert(tables.meta).values(key="schema_version", value="1"))
        data = {"id": "old", "type": ["LearningResource"], "name": {"en": "Old one"},
                "license": "https://creativecommons.org/licenses/by/4.0/"}
        conn.execute(insert(tables.changes).values(seq=1, resource_id="old", action="add",
                                                   datestamp="2024-01-01T00:00:00Z", origin="api",
                                                   changed="[]", data=json.dumps(data)))
        conn.execute(insert(tables.resources).values(id="old", seq=1, datestamp="2024-01-01T00:00:00Z",
                                                     created="2024-01-01T00:00:00Z", deleted=False,
                                                     license=data["license"], name="Old one",
                                                     data=json.dumps(data)))
    engine.dispose()


def test_an_older_data_folder_is_upgraded_in_place(tmp_path):
    folder = tmp_path / "old-data"
    _make_v1_store(folder)
    repo = Repository(folder)
    assert repo.get("old").name == "Old one"
    assert repo.store.schema_version == migrations.LATEST
    # The pre-upgrade state is kept beside the store, and the new tables work.
    assert (folder / "repo.db.v1.bak").exists()
    backup = sqlite3.connect(folder / "repo.db.v1.bak")
    assert backup.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "1"
    backup.close()
    added = repo.add({"name": "New", "license": "CC0-1.0"})
    assert added.seq == 2
    repo.close()
    assert Repository(folder).store.schema_version == migrations.LATEST


def test_a_newer_store_is_refused(tmp_path):
    folder = tmp_path / "future"
    repo = Repository(folder)
    repo.add(RECORD)
    repo.close()
    con = sqlite3.connect(folder / "repo.db")
    con.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer"):
        Repository(folder).get("bee-hotels")


def test_a_folder_that_is_not_a_data_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(StoreError, match="not an oerrepo data folder"):
        Repository(folder).count()
    assert sorted(p.name for p in folder.iterdir()) == ["holiday.jpg"]


def test_a_database_that_is_not_ours(tmp_path):
    folder = tmp_path / "other"
    folder.mkdir()
    con = sqlite3.connect(folder / "repo.db")
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not an oerrepo store"):
        Repository(folder).count()


def test_a_file_that_is_not_a_database(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "repo.db").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not an oerrepo store or is damaged"):
        Repository(folder).count()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    Repository(folder).add(RECORD)
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(StoreError, match="read-only"):
            Repository(folder).add({**RECORD, "id": "x"})
    finally:
        os.chmod(folder, 0o755)


def test_a_read_only_folder_even_for_root(tmp_path):
    """Root ignores permission bits, so make the database file itself unwritable via SQLite's flag."""
    folder = tmp_path / "ro"
    Repository(folder).add(RECORD)
    store = Store(f"sqlite:///file:{folder / 'repo.db'}?mode=ro&uri=true").open()
    with pytest.raises(StoreError, match="read-only"):
        with store.transaction() as conn:
            store.insert(conn, {**RECORD, "id": "x", "type": ["LearningResource"], "name": {"en": "x"}}, "test")
    store.close()
    assert Repository(folder).count() == 1


WRITER = """
import sys
from oerrepo import Repository
repo = Repository(sys.argv[1])
for i in range(int(sys.argv[3])):
    repo.add({"id": f"{sys.argv[2]}-{i}", "name": f"Record {i}", "license": "CC-BY-4.0"})
"""


def test_two_processes_write_at_once(data_dir):
    Repository(data_dir).store  # create first, so both writers open an existing store
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir), name, "40"], stderr=subprocess.PIPE)
        for name in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    repo = Repository(data_dir)
    assert repo.count() == 80
    seqs = [r.seq for r in repo.store.changes_since(0, limit=1000)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 80


def test_rows_written_in_one_statement_come_back_as_given(data_dir):
    # On PostgreSQL a harvest's provenance rows go in as one JSON array: texts with quotes,
    # backslashes, line breaks and non-Latin letters, booleans and missing values must
    # arrive as they were given, on both backends.
    from sqlalchemy import select

    from oerrepo.store import insert_many

    store = Repository(data_dir).store
    rows = [
        {"source": "partner", "oai_identifier": f"oai:example.org:{i}", "resource_id": f"r-{i}",
         "datestamp": "2026-12-07" if i else None, "set_specs": json.dumps(["a", f"σ{i}"], ensure_ascii=False),
         "metadata_prefix": "oai_dc", "harvested_at": "2026-12-07T05:00:00Z", "deleted": i % 2 == 1,
         "role": None if i == 2 else "primary", "notes": 'a "quoted" note \\ with a backslash\nand a line',
         "origin": None if i % 3 else '{"chains": []}'}
        for i in range(5)
    ]
    with store.transaction() as conn:
        insert_many(conn, tables.provenance, rows)
        insert_many(conn, tables.provenance, [])  # nothing to write: no statement
    with store.reading() as conn:
        got = [dict(r._mapping) for r in conn.execute(select(tables.provenance).order_by(tables.provenance.c.oai_identifier))]
    assert got == rows
