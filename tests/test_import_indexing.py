"""A big import is indexed while it is stored, and committed to the index only with the store."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from whoosh import index as windex

from oerrepo import ImportFailed, Repository
from oerrepo.index.schema import read_hit
from oerrepo.index.whoosh_backend import SEQ_FILE

N = 2_600  # three chunks of the import: two full ones handed to the index while storing


def _records(n: int, *, start: int = 0, word: str = "zorblat") -> list[dict]:
    return [
        {
            "id": f"kit-{i:05d}",
            "name": {"en": f"School garden {word} survey {i}"},
            "description": {"en": f"Pupils count {word}s in the school garden and map them ({i})."},
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "inLanguage": ["en"],
        }
        for i in range(start, start + n)
    ]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _index_state(data: Path) -> tuple[int, int, list[str]]:
    """(documents, the seq the index says it holds, ids found more than once) read from the files."""
    ix = windex.open_dir(str(data / "index"))
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            column = reader.column_reader("hit", translate=False) if reader.doc_count_all() else None
            ids = [read_hit(column[docnum])["id"] for docnum in reader.all_doc_ids()]  # the live documents
    finally:
        ix.close()
    seq = json.loads((data / "index" / SEQ_FILE).read_text(encoding="utf-8"))["seq"]
    return len(ids), seq, sorted({i for i in ids if ids.count(i) > 1})


def test_a_big_import_is_current_in_the_index_files_when_it_returns(tmp_path):
    data = tmp_path / "data"
    with Repository(data) as repo:
        report = repo.import_records(_write(tmp_path / "kits.json", _records(N)))
        assert len(report.added) == N
        last = repo.store.last_seq()
    docs, seq, twice = _index_state(data)
    assert (docs, seq, twice) == (N, last, [])
    with Repository(data) as repo:
        assert repo.search("zorblats").total == N
        assert [h.id for h in repo.search("survey 2599").hits][:1] == ["kit-02599"]


def test_an_import_into_an_indexed_repository_adds_each_record_once(tmp_path):
    data = tmp_path / "data"
    with Repository(data) as repo:
        repo.import_records(_write(tmp_path / "first.json", _records(1_200, word="quexil")))
        repo.import_records(_write(tmp_path / "second.json", _records(N, start=1_200)))
        # an upsert of records already indexed replaces them in the index
        repo.import_records(_write(tmp_path / "again.json", _records(1_100, word="vimtrop")), upsert=True)
        last = repo.store.last_seq()
        assert repo.search("quexil").total == 100  # kit-01100 .. kit-01199 kept their first text
        assert repo.search("vimtrop").total == 1_100
        assert repo.search("zorblat").total == N
    assert _index_state(data) == (1_200 + N, last, [])


def test_a_failed_import_leaves_the_index_as_it_was_and_unlocked(tmp_path):
    data = tmp_path / "data"
    with Repository(data) as repo:
        repo.import_records(_write(tmp_path / "first.json", _records(10, word="quexil")))
        before = _index_state(data)
        records = _records(N, start=100)
        records[2_300]["license"] = "all yours, probably"  # found after two chunks were stored
        with pytest.raises(ImportFailed) as failed:
            repo.import_records(_write(tmp_path / "bad.json", records))
        assert "nothing was imported" in str(failed.value)
        assert repo.store.last_seq() == before[1]
        assert repo.search("zorblat").total == 0
        assert _index_state(data) == before
        # the index is free for the next writer
        report = repo.import_records(_write(tmp_path / "good.json", _records(1_500, start=100)))
        assert len(report.added) == 1_500
        assert repo.search("zorblat").total == 1_500
    assert _index_state(data)[0] == 1_510


def test_a_failed_import_on_the_command_line_says_why_and_nothing_else(tmp_path):
    records = _records(N)
    records[2_400]["license"] = "all yours, probably"
    bad = _write(tmp_path / "bad.json", records)
    run = subprocess.run([sys.executable, "-m", "oerrepo", "--data", str(tmp_path / "data"), "import", str(bad)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "nothing was imported" in run.stderr and "record 2401" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout  # the index's writer processes stopped quietly
    with Repository(tmp_path / "data") as repo:
        assert repo.store.last_seq() == 0
        assert repo.search("zorblat").total == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_big_import_and_a_rebuild_on_postgresql_find_every_record(tmp_path, repo_factory):
    # More changes than PostgreSQL search analyses in this process: worker processes build the rows.
    repo = repo_factory()
    repo.import_records(_write(tmp_path / "kits.json", _records(N)))
    repo.import_records(_write(tmp_path / "again.json", _records(2_100, word="vimtrop")), upsert=True)
    for _ in range(2):
        assert repo.search("zorblats").total == N - 2_100
        assert repo.search("vimtrop").total == 2_100
        assert [h.id for h in repo.search("survey 2599").hits][:1] == ["kit-02599"]
        assert [h.id for h in repo.search("vimtrop survey 17").hits][:1] == ["kit-00017"]
        assert repo.reindex() == N


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_second_big_import_into_postgresql_from_a_new_process_completes(tmp_path, repo_factory, data_dir):
    # A new process has not set up its search backend yet: setting it up from inside the
    # import's transaction waited for that transaction's own lock, forever.
    repo_factory().import_records(_write(tmp_path / "first.json", _records(10, word="quexil")))
    more = _write(tmp_path / "more.json", _records(N, start=100))
    run = subprocess.run([sys.executable, "-m", "oerrepo", "--data", str(data_dir), "import", str(more)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"{N} added" in run.stdout + run.stderr
    fresh = repo_factory()
    assert fresh.search("zorblat").total == N and fresh.search("quexil").total == 10


NO_MAIN_GUARD = """
import sys
from oerrepo import Repository

repo = Repository(sys.argv[1])
print(len(repo.import_records(sys.argv[2]).added), "added")
"""


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_script_importing_at_its_top_level_is_told_to_guard_it_instead_of_hanging(tmp_path, data_dir):
    # The processes building the search rows are spawned: Python runs the script again in
    # each of them, whose import waited for the lock the script's own import held.
    script = tmp_path / "load.py"
    script.write_text(NO_MAIN_GUARD, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), str(data_dir), str(_write(tmp_path / "r.json", _records(N)))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert f"{script} writes to the repository at its top level" in run.stderr
    assert 'under if __name__ == "__main__":' in run.stderr
    assert "its own message, if it had one, is printed above" in run.stderr  # the script's error points at it
    # The helpers only say what to change; the only traceback is the script's own error, after them.
    assert run.stderr.find("Traceback") > run.stderr.rindex("writes to the repository at its top level")
    assert Repository(data_dir).count() == 0  # rolled back whole
    guarded = tmp_path / "guarded.py"
    guarded.write_text(NO_MAIN_GUARD.replace("\nrepo =", '\nif __name__ == "__main__":\n    repo =')
                       .replace("\nprint(", "\n    print("), encoding="utf-8")
    run = subprocess.run([sys.executable, str(guarded), str(data_dir), str(tmp_path / "r.json")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"{N} added" in run.stdout



@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_script_typed_into_python_is_told_its_row_workers_ended_not_shown_a_pool_traceback(tmp_path, data_dir):
    # A script read from standard input: Python cannot start it again in the spawned
    # processes that build the search rows, which end at once; the pool takes no more work.
    run = subprocess.run([sys.executable, "-", str(data_dir), str(_write(tmp_path / "r.json", _records(N)))],
                         input=NO_MAIN_GUARD, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "a process building the search rows ended unexpectedly" in run.stderr
    assert "BrokenProcessPool" not in run.stderr.splitlines()[-1]  # the error the script gets is ours
    assert Repository(data_dir).count() == 0  # rolled back whole

@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_failed_import_on_postgresql_leaves_no_row_behind(tmp_path, repo_factory, caplog):
    repo = repo_factory()
    repo.import_records(_write(tmp_path / "first.json", _records(10, word="quexil")))
    records = _records(N, start=100)
    records[2_300]["license"] = "all yours, probably"  # after two chunks were stored and their rows written
    with pytest.raises(ImportFailed):
        repo.import_records(_write(tmp_path / "bad.json", records))
    other = repo_factory()  # another process's view of the index
    for r in (repo, other):
        assert r.search("zorblat").total == 0
        assert r.search("quexil").total == 10
    with caplog.at_level(logging.INFO, logger="oerrepo.index"):
        repo.import_records(_write(tmp_path / "good.json", _records(N, start=100)))
    # PostgreSQL handed out sequence numbers to the rolled-back records too: they are no changes
    assert f"bringing the search index up to date ({N:,} changes)" in caplog.messages
    for r in (repo, other):
        assert r.search("zorblat").total == N
        assert [h.id for h in r.search("survey 2450").hits][:1] == ["kit-02450"]



@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_imports_search_rows_are_written_as_it_stores_and_seen_only_once_its_records_are(tmp_path, repo_factory):
    from sqlalchemy import text

    repo = repo_factory()
    ids = [r["id"] for r in _records(N)]
    read: list[int] = []
    seen: list[tuple[int, int]] = []

    def watch(step: int) -> None:
        read.append(step)
        if len(read) != N:
            return
        # The last record read: two chunks stored and their rows handed on. Another
        # connection sees neither the records nor their rows, which the index writes in a
        # transaction of its own beside the import's: two transactions open.
        with repo.store.reading() as conn:
            open_ = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()")).scalar()
        seen.append((_rows_committed(repo, ids), open_))

    seen_before = repo_factory()
    repo.import_records(_write(tmp_path / "kits.json", _records(N)), progress=watch)
    assert seen == [(0, 2)]
    assert _rows_committed(repo, ids) == N
    for r in (repo, seen_before):
        assert r.search("zorblats").total == N


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_imports_rows_lost_after_its_records_committed_are_indexed_from_the_store(
    tmp_path, repo_factory, monkeypatch, caplog
):
    from sqlalchemy import text

    from oerrepo.index import postgres

    repo = repo_factory()
    commit = postgres._Beside.commit

    def terminated_first(self, fed):
        # The server ends the rows' connection between the two commits (a restart, an admin).
        with repo.store.reading() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"))
        commit(self, fed)

    monkeypatch.setattr(postgres._Beside, "commit", terminated_first)
    with caplog.at_level(logging.WARNING, logger="oerrepo.index"):
        report = repo.import_records(_write(tmp_path / "kits.json", _records(N)))
    assert len(report.added) == N
    assert any("indexed from the store now" in m for m in caplog.messages)
    other = repo_factory()  # another process's view of the index
    for r in (repo, other):
        assert r.search("zorblats").total == N
        assert [h.id for h in r.search("survey 2599").hits][:1] == ["kit-02599"]

def _feed_page(repo, records, conn) -> None:
    """What a harvest does with a page: its records stored and fed to the index in one transaction."""
    from oerrepo.store.bulk import ResourceBatch

    batch = ResourceBatch(repo.store, conn)
    for record in records:
        batch.insert(record, "harvest")
    batch.flush()
    assert repo._parts.search.feed([batch.resource(r["id"]) for r in records], conn)


def _first_of_two_pages(repo_factory):
    """A repository on PostgreSQL whose first harvested page is stored and fed; both pages' records."""
    repo = repo_factory()
    first, second = _records(3, word="quibble"), _records(3, start=10, word="wobble")
    with repo.store.transaction() as conn:
        _feed_page(repo, first, conn)
    return repo, first, second


@contextmanager
def _next_page(repo, records) -> Iterator[None]:
    """The next page stored and fed, its transaction held open through the block, once the
    index has done with the rows of the pages before (written apart or left to the catch-up)."""
    with repo.store.transaction() as conn:
        _feed_page(repo, records, conn)
        repo._parts.search.settle()
        yield


def _rows_committed(repo, ids: list[str]) -> int:
    """How many of these documents another connection sees in the PostgreSQL search table."""
    from sqlalchemy import text

    with repo.store.reading() as conn:
        return conn.execute(text("SELECT count(*) FROM search_docs WHERE id = ANY(:ids)"), {"ids": ids}).scalar_one()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_rows_of_a_committed_page_are_written_while_the_next_page_is_stored(repo_factory):
    repo, first, second = _first_of_two_pages(repo_factory)
    assert _rows_committed(repo, [r["id"] for r in first]) == 0  # still being built
    with _next_page(repo, second):
        # Written and committed in a transaction of their own, while this page's is still open.
        assert _rows_committed(repo, [r["id"] for r in first]) == 3
    repo._parts.search.catch_up(wait=True)
    assert _rows_committed(repo, [r["id"] for r in first + second]) == 6
    other = repo_factory()  # another process's view of the index
    for r in (repo, other):
        assert r.search("quibble").total == 3 and r.search("wobble").total == 3


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_rows_another_writer_keeps_out_of_the_index_are_indexed_from_the_store(repo_factory):
    from oerrepo.store import postgres_search as sql

    repo, first, second = _first_of_two_pages(repo_factory)
    with repo.store.engine.connect() as holder, holder.begin():
        assert sql.begin_apply(holder, True) is not None  # another writer applying, say
        with _next_page(repo, second):
            pass
        assert _rows_committed(repo, [r["id"] for r in first]) == 0
    repo._parts.search.catch_up(wait=True)
    assert _rows_committed(repo, [r["id"] for r in first + second]) == 6
    assert repo.search("quibble").total == 3 and repo.search("wobble").total == 3


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_rows_of_a_page_another_process_indexed_since_never_write_over_its_later_changes(repo_factory):
    repo = repo_factory()
    first = _records(3, word="quibble")
    with repo.store.transaction() as conn:
        _feed_page(repo, first, conn)
    other = repo_factory()  # another process, a web server say, indexes the store meanwhile
    changed = dict(first[0], name={"en": "Pond dipping"}, description={"en": "Nets and trays."})
    other.update(first[0]["id"], changed)
    other._parts.search.catch_up(wait=True)
    with _next_page(repo, _records(3, start=10, word="wobble")):
        pass
    repo._parts.search.catch_up(wait=True)
    for r in (repo, other):
        assert [h.id for h in r.search("pond dipping").hits] == [first[0]["id"]]
        assert r.search("quibble").total == 2 and r.search("wobble").total == 3


def test_a_search_in_another_thread_leaves_records_fed_in_a_transaction_still_open_alone(tmp_path):
    # A search brings the index up to date first (without waiting): in a web server, that may
    # happen while a harvest in the same process feeds the index page after page.
    import threading


    data = tmp_path / "data"
    with Repository(data) as repo:
        repo.add({"id": "pond", "name": "Pond life", "license": "CC-BY-4.0"})
        with repo.store.transaction() as conn:  # a page stored and committed, its records fed
            _feed_page(repo, _records(3, word="quibble"), conn)
        found: list[int] = []
        other = threading.Thread(target=lambda: found.append(repo.search("wobble").total))
        with pytest.raises(RuntimeError):
            with repo.store.transaction() as conn:  # the next page, fed, its transaction still open
                _feed_page(repo, _records(3, start=10, word="wobble"), conn)
                other.start()
                other.join()
                raise RuntimeError("the page fails: its transaction rolls back")
        repo._parts.search.discard()
        assert found == [0] and repo.count() == 4
    assert _index_state(data)[0] == 1  # nothing fed reached the index files
    with Repository(data) as repo:  # the next catch-up applies the committed page from the store
        assert repo.search("wobble").total == 0 and repo.search("quibble").total == 3
