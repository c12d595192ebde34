"""The store on PostgreSQL: connection errors people can act on, commit-ordered sequence
numbers under concurrent writers, claims that keep two workers off one source, and a data
folder that names its database."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner
from oai_server import Partner, simple_records
from pg import require_server
from sqlalchemy.engine import make_url

from oerrepo import Repository
from oerrepo.cli import cli
from oerrepo.errors import StoreError
from oerrepo.store import Store

RECORD = {"name": {"en": "Bee hotels"}, "license": "CC-BY-4.0", "inLanguage": ["en"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_is_not_running_is_reported_with_what_to_check(tmp_path):
    url = f"postgresql+psycopg://oer:secret@127.0.0.1:{_free_port()}/oer"
    with pytest.raises(StoreError) as caught:
        Repository(tmp_path, db_url=url).count()
    message = str(caught.value)
    assert "cannot reach the PostgreSQL server" in message and "host and port" in message
    assert "secret" not in message  # the password never appears in messages


def test_the_cli_says_the_same_in_one_line(tmp_path):
    url = f"postgresql+psycopg://oer@127.0.0.1:{_free_port()}/oer"
    result = CliRunner().invoke(cli, ["--db", url, "list"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach the PostgreSQL server") and "Traceback" not in result.output


def test_a_missing_database_and_an_unknown_user_say_what_to_do(tmp_path):
    base = make_url(require_server())
    with pytest.raises(StoreError, match="does not exist.*createdb"):
        Store(base.set(database="no_such_db_here").render_as_string(hide_password=False)).open()
    with pytest.raises(StoreError, match="user|role|login"):
        Store(base.set(username="no_such_role_here").render_as_string(hide_password=False)).open()


def test_a_url_that_is_not_a_database_url_is_refused(tmp_path):
    with pytest.raises(StoreError, match="not a database URL"):
        Repository(tmp_path, db_url="nosuchdb://x/y").count()


def test_a_database_holding_other_tables_is_not_taken_over(pg_url):
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id int)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not an oerrepo store"):
        Store(pg_url).open()


def test_the_data_folder_can_name_its_database(tmp_path, pg_url, monkeypatch):
    folder = tmp_path / "oer-data"
    folder.mkdir()
    monkeypatch.setenv("OER_TEST_DB", pg_url)
    (folder / "oerrepo.toml").write_text('[store]\nurl = "${OER_TEST_DB}"\n', encoding="utf-8")
    Repository(folder).add({**RECORD, "id": "bees"})
    assert not (folder / "repo.db").exists()
    assert Repository(tmp_path / "elsewhere", db_url=pg_url).get("bees").name == "Bee hotels"
    result = CliRunner().invoke(cli, ["--data", str(folder), "show", "bees", "--json"])
    assert result.exit_code == 0, result.output
    assert '"bees"' in result.output


def test_a_broken_folder_setting_is_reported(tmp_path):
    folder = tmp_path / "oer-data"
    folder.mkdir()
    (folder / "oerrepo.toml").write_text("[store\nurl=", encoding="utf-8")
    with pytest.raises(StoreError, match="oerrepo.toml is not readable TOML"):
        Repository(folder).count()


def test_sequence_numbers_follow_commit_order_under_concurrent_writers(pg_url, tmp_path):
    """A reader following changes by seq must never skip a change committed late."""
    Repository(tmp_path, db_url=pg_url).store  # create the schema once
    writers, per_writer = 6, 25
    seen: list[int] = []
    done = threading.Event()

    def write(name: str) -> None:
        repo = Repository(tmp_path, db_url=pg_url)
        for i in range(per_writer):
            repo.add({**RECORD, "id": f"{name}-{i}", "name": {"en": f"Record {name} {i}"}})
        repo.close()

    def follow() -> None:
        store = Store(pg_url).open()
        last = 0
        while True:
            finished = done.is_set()
            for change in store.changes_since(last):
                seen.append(change.seq)
                last = change.seq
            if finished:
                break
            time.sleep(0.001)  # let the writers run
        store.close()

    reader = threading.Thread(target=follow)
    reader.start()
    threads = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    store = Store(pg_url).open()
    every = [c.seq for c in store.changes_since(0, limit=10_000)]
    store.close()
    assert len(every) == writers * per_writer
    assert seen == every  # in order, none missed, none twice


def test_two_processes_opening_a_new_database_at_once_both_succeed(pg_url, tmp_path):
    script = "import sys; from oerrepo import Repository; print(Repository(sys.argv[1], db_url=sys.argv[2]).count())"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / str(n)), pg_url], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
        for n in range(2)
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
        assert out.strip() == b"0"


HOLDER = """
import sys, time
from oerrepo import Repository
repo = Repository(sys.argv[1])
with repo.store.claim("source:zenodo") as got:
    print("held" if got else "refused", flush=True)
    time.sleep(60)
"""


def test_a_claim_keeps_others_off_until_released_or_its_holder_dies(data_dir, backend):
    repo = Repository(data_dir)
    repo.store  # create the store before the other process opens it
    other = Repository(data_dir)
    with repo.store.claim("source:zenodo") as first:
        assert first
        with other.store.claim("source:zenodo") as second:
            assert not second
        with other.store.claim("source:arxiv") as unrelated:
            assert unrelated
    with other.store.claim("source:zenodo") as again:
        assert again
    # A holder killed with SIGKILL leaves nothing claimed behind.
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"held"
        with repo.store.claim("source:zenodo") as while_held:
            assert not while_held
    finally:
        proc.kill()
        proc.wait()
    for _ in range(50):  # the server notices the dead session within moments
        with repo.store.claim("source:zenodo") as after:
            if after:
                break
        threading.Event().wait(0.1)
    assert after
    repo.close()
    other.close()


def test_catalogues_in_two_schemas_of_one_database_never_share_a_claim():
    from pg import drop_schema, new_schema

    base = require_server()
    (one, one_url), (two, two_url) = new_schema(base), new_schema(base)
    try:
        with Repository(db_url=one_url) as a, Repository(db_url=two_url) as b:
            with a.store.claim("harvest:partner") as first, b.store.claim("harvest:partner") as second:
                assert first and second
    finally:
        drop_schema(base, one)
        drop_schema(base, two)


def test_a_write_in_one_schema_does_not_wait_for_a_write_in_another(tmp_path):
    """Two catalogues in one database: a long write transaction in one (an import) leaves the
    other free to add records and bring its search index up to date."""
    from pg import drop_schema, new_schema

    base = require_server()
    (one, one_url), (two, two_url) = new_schema(base), new_schema(base)
    try:
        with Repository(tmp_path / "a", db_url=one_url) as a, Repository(tmp_path / "b", db_url=two_url) as b:
            a.store, b.store  # both schemas created before the race
            finished = threading.Event()

            def write_other() -> None:
                b.add({**RECORD, "id": "other"})
                b.search("bee")  # the search index's own write lock
                finished.set()

            with a.store.transaction():  # holds catalogue a's write lock
                writer = threading.Thread(target=write_other, daemon=True)
                writer.start()
                finished.wait(60)
                held_while_open = finished.is_set()
            writer.join(60)
            assert held_while_open, "catalogue b's write waited for catalogue a's transaction"
            assert b.get("other") is not None
    finally:
        drop_schema(base, one)
        drop_schema(base, two)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_long_harvest_refreshes_the_statistics_of_the_tables_it_reads(data_dir, monkeypatch):
    # Without statistics, PostgreSQL may read a table whole for each page's look-ups.
    from sqlalchemy import text

    from oerrepo.harvesters import loop

    monkeypatch.setattr(loop, "ANALYZE_AFTER", 20)  # as if 20 records were many
    with Repository(data_dir) as repo:
        with Partner(simple_records(30), page_size=10) as partner:
            repo.harvest(partner.url, source="partner", backoff=0.01, retries=3, timeout=1.0)
        with repo.store.reading() as conn:
            rows = dict(conn.execute(text(
                "SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                "AND relname IN ('resources', 'provenance', 'match_keys')")).all())
    # reltuples is -1 for a table never analysed; ANALYZE after the second page counted 20 of each
    assert rows["resources"] == 20 and rows["provenance"] == 20 and rows["match_keys"] >= 20, rows


def _backend_pid(store: Store) -> int:
    from sqlalchemy import text

    with store.reading() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_pooled_connection_the_server_closed_while_it_rested_is_replaced_before_use(pg_url, monkeypatch):
    from sqlalchemy import text

    from oerrepo.store import postgres

    store = Store(pg_url).open()
    first = _backend_pid(store)
    with Store(pg_url).open().reading() as other:  # the server ends the pooled connection (a restart, say)
        assert other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar_one()
    monkeypatch.setattr(postgres, "PING_IDLE_AFTER", 0.0)  # it has rested long enough to be tried
    assert _backend_pid(store) != first  # no error: a new connection took its place


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_round_trip_first(pg_url, monkeypatch):
    from oerrepo.store import postgres

    store = Store(pg_url).open()
    pings: list[object] = []
    dialect = store.engine.dialect
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda dbapi_connection: pings.append(1) or real_ping(dbapi_connection))
    # Back in the pool a moment ago, however slow this machine: "a moment" is an hour here.
    monkeypatch.setattr(postgres, "PING_IDLE_AFTER", 3600.0)
    first = _backend_pid(store)
    for _ in range(5):  # a harvest's transactions, one page after another
        with store.transaction():
            pass
    assert _backend_pid(store) == first and pings == []
    monkeypatch.setattr(postgres, "PING_IDLE_AFTER", 0.0)  # as if it had rested
    assert _backend_pid(store) == first and pings == [1]
