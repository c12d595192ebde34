"""What the store does when a write cannot be done as asked: one of our errors, nothing half-written."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from oerrepo import Repository, StoreError

RECORD = {"id": "bee-hotels", "name": "Bee hotels", "license": "CC-BY-4.0", "url": "https://example.org/bees",
          "sets": ["museums"]}


@pytest.fixture
def repo(data_dir):
    with Repository(data_dir) as r:
        yield r


def test_a_constraint_violation_is_a_store_error_and_writes_nothing(repo, backend):
    repo.add_set("museums", "Resources from museums")
    with pytest.raises(StoreError, match="conflicts with what is stored") as caught:
        with repo.store.transaction() as conn:
            conn.execute(text("INSERT INTO sets (spec, name) VALUES ('parks', 'Parks')"))
            conn.execute(text("INSERT INTO sets (spec, name) VALUES ('museums', 'Again')"))
    assert "nothing of it was written" in str(caught.value)
    assert [s["spec"] for s in repo.sets()] == ["museums"]


def test_migrate_store_verifies_before_it_commits(tmp_path):
    with Repository(tmp_path / "source") as source:
        source.add_set("museums", "Resources from museums")
        source.add(RECORD)
        target = tmp_path / "target"
        with Repository(target) as fresh:
            fresh.store  # an empty store, as 'migrate-store --to FOLDER' makes one
        # A target database that alters what it is given (here: a trigger) must not keep the copy.
        with sqlite3.connect(target / "repo.db") as db:
            db.execute("CREATE TRIGGER alter_names AFTER INSERT ON sets BEGIN "
                       "UPDATE sets SET name = name || ' (altered)' WHERE spec = NEW.spec; END")
        with pytest.raises(StoreError, match="nothing was committed"):
            source.migrate_store(target)
    with sqlite3.connect(target / "repo.db") as db:
        assert db.execute("SELECT count(*) FROM resources").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM sets").fetchone() == (0,)
