"""A command imports only what it needs: a search in a current index opens no store.

These check which modules a process loads (behaviour), never how long it takes;
benchmarks/bench_cold_start.py measures the time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from oerrepo import Repository
from oerrepo.store import migrations
from oerrepo.store_probe import SCHEMA_VERSION, sqlite_last_change

ROOT = Path(__file__).resolve().parents[1]

SEARCH = """
import json, sys
from oerrepo import Repository
with Repository(sys.argv[1], create=False) as repo:
    result = repo.search(sys.argv[2], sdg=6)
    print(json.dumps({"ids": [h.id for h in result.hits], "total": result.total,
                      "loaded": [m for m in ("sqlalchemy", "rdflib", "requests", "lxml") if m in sys.modules]}))
"""


def _search_in_a_new_process(folder: Path, query: str = "water") -> dict:
    out = subprocess.run([sys.executable, "-c", SEARCH, str(folder), query], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    return json.loads(out.stdout)


def _samples(folder: Path) -> list[str]:
    with Repository(folder) as repo:
        repo.load_samples()
        return [h.id for h in repo.search("water", sdg=6).hits]


def test_a_search_in_a_current_index_opens_no_store(tmp_path: Path):
    folder = tmp_path / "d"
    expected = _samples(folder)
    got = _search_in_a_new_process(folder)
    assert got["ids"] == expected and got["total"] >= len(expected) > 0
    assert got["loaded"] == []  # neither SQLAlchemy nor the harvester's or linked data's libraries


def test_a_search_sees_a_change_the_index_has_not_applied(tmp_path: Path):
    folder = tmp_path / "d"
    _samples(folder)
    shutil.rmtree(folder / "index")  # as if the index were lost: the store must rebuild it
    got = _search_in_a_new_process(folder)
    assert got["total"] > 0 and "sqlalchemy" in got["loaded"]
    with Repository(folder) as repo:
        kit = repo.add({"name": {"en": "Water filter from sand and charcoal"}, "inLanguage": "en",
                        "license": "CC-BY-4.0", "sdg": [6]})
    # The writer's process indexed it; a new process sees it either way.
    assert _search_in_a_new_process(folder, "charcoal")["ids"] == [kit.id]


def test_searches_without_a_store_keep_the_index_open_and_follow_other_writers(tmp_path: Path, monkeypatch):
    from oerrepo.index import whoosh_backend

    folder = tmp_path / "d"
    _samples(folder)
    opened = []
    original = whoosh_backend.WhooshBackend.__init__

    def counting(self, *args, **kwargs):
        opened.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(whoosh_backend.WhooshBackend, "__init__", counting)
    with Repository(folder, create=False) as reader:
        first = [h.id for h in reader.search("water", sdg=6).hits]
        for _ in range(3):
            assert [h.id for h in reader.search("water", sdg=6).hits] == first
        assert len(opened) == 1 and reader._composed is None  # one index, opened once; no store
        with Repository(folder) as writer:  # another writer (its own index session) adds a record
            kit = writer.add({"name": {"en": "Charcoal water filter"}, "inLanguage": "en", "license": "CC-BY-4.0"})
        assert [h.id for h in reader.search("charcoal").hits] == [kit.id]
        reader.add({"name": {"en": "Charcoal drawing"}, "inLanguage": "en", "license": "CC-BY-4.0"})
        assert reader.search("charcoal").total == 2  # the store is open now: its search answers


def test_the_probe_reads_the_schema_version_the_migrations_write(tmp_path: Path):
    assert SCHEMA_VERSION == migrations.LATEST
    folder = tmp_path / "d"
    assert sqlite_last_change(folder / "repo.db") is None  # no store yet
    with Repository(folder) as repo:
        repo.add({"name": "Bee hotels", "license": "CC-BY-4.0"})
        last = repo.store.last_seq()
    assert sqlite_last_change(folder / "repo.db") == last
    (folder / "oerrepo.toml").write_text('[store]\nurl = "postgresql+psycopg://nobody@127.0.0.1:1/none"\n')
    assert sqlite_last_change(folder / "repo.db") is None  # the folder names a database server


def test_help_and_a_search_load_no_harvester_or_linked_data_libraries(tmp_path: Path):
    folder = tmp_path / "d"
    _samples(folder)
    code = ("import sys; from oerrepo.cli import cli\n"
            "try:\n    cli(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(','.join(m for m in ('sqlalchemy', 'rdflib', 'requests', 'lxml', 'jsonschema') if m in sys.modules),"
            " file=sys.stderr)")
    for args in (["--help"], ["--data", str(folder), "search", "water"]):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
        assert out.stderr.strip().splitlines()[-1:] in ([], [""]), (args, out.stderr)
