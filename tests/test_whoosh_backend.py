"""Applying store changes to the Whoosh index: ids written twice, and a writer kept between applies."""

from __future__ import annotations

from whoosh import index as windex

from oerrepo.index.backend import IndexDocument, IndexEntry
from oerrepo.index.schema import read_hit
from oerrepo.index.whoosh_backend import WhooshBackend


def _doc(rid: str, title: str) -> IndexDocument:
    return IndexDocument(id=rid, name=title, titles=[("en", title)], facets={"source": ["local"]})


def _state(path) -> dict[str, list[str]]:
    """id -> stored names of the committed documents, read by a fresh reader."""
    ix = windex.open_dir(str(path))
    out: dict[str, list[str]] = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        column = reader.column_reader("hit", translate=False) if reader.doc_count_all() else None
        for docnum in reader.all_doc_ids():  # the live documents
            hit = read_hit(column[docnum])
            out.setdefault(hit["id"], []).append(hit["name"])
    ix.close()
    return out


def _entries(changes, *, fed_through: int = 0):
    """The store's changes after a seq, as the catch-up reads them: those up to ``fed_through``
    were written by feed() in their transaction (only counted), later ones are applied."""

    def entries(after: int):
        return [IndexEntry(seq, rid, doc, fed=seq <= fed_through) for seq, rid, doc in changes if seq > after]

    return entries


def test_an_id_changed_twice_in_one_apply_is_one_document(tmp_path):
    backend = WhooshBackend(tmp_path / "index")
    backend.rebuild([], 0)
    changes = [
        (1, "a", _doc("a", "first title")),
        (2, "b", _doc("b", "other")),
        (3, "a", _doc("a", "second title")),
        (4, "b", None),
        (5, "b", _doc("b", "back again")),
    ]
    assert backend.apply(_entries(changes)) == 5
    assert _state(tmp_path / "index") == {"a": ["second title"], "b": ["back again"]}
    backend.close()


def test_a_kept_writer_commits_once_and_drops_what_it_did_not_commit(tmp_path):
    path = tmp_path / "index"
    backend = WhooshBackend(path)
    backend.rebuild([], 0)
    changes = [(1, "a", _doc("a", "one")), (2, "b", _doc("b", "two"))]
    assert backend.apply(_entries(changes[:1]), commit=False) == 1
    assert backend.apply(_entries(changes), commit=False) == 2
    assert _state(path) == {} and backend.last_seq() == 0  # nothing committed yet
    assert backend.apply(_entries(changes)) == 2
    assert _state(path) == {"a": ["one"], "b": ["two"]} and backend.last_seq() == 2

    changes.append((3, "c", _doc("c", "three")))
    assert backend.apply(_entries(changes), commit=False) == 3
    backend.close()  # e.g. the process is stopped: the uncommitted change is applied again later
    assert backend.last_seq() == 2 and "c" not in _state(path)
    again = WhooshBackend(path)
    assert again.apply(_entries(changes)) == 3
    assert _state(path) == {"a": ["one"], "b": ["two"], "c": ["three"]}
    again.close()


def test_a_kept_writer_writes_a_segment_every_so_many_documents_and_goes_on(tmp_path, monkeypatch):
    from oerrepo.index import whoosh_backend

    monkeypatch.setattr(whoosh_backend, "KEPT_SEGMENT", 3)
    path = tmp_path / "index"
    backend = WhooshBackend(path)
    backend.rebuild([], 0)
    changes = [(seq, f"r{seq}", _doc(f"r{seq}", f"title {seq}")) for seq in range(1, 8)]
    assert backend.apply(_entries(changes[:4]), commit=False) == 4
    # the four went out as a segment, committed: current up to them, though the job goes on
    assert backend.last_seq() == 4 and sorted(_state(path)) == ["r1", "r2", "r3", "r4"]
    changes.append((8, "r2", _doc("r2", "title 2, changed")))  # a document of a written segment
    assert backend.apply(_entries(changes), commit=False) == 8
    assert backend.apply(_entries(changes)) == 8
    state = _state(path)
    assert state["r2"] == ["title 2, changed"] and sorted(state) == [f"r{i}" for i in range(1, 8)]
    with windex.open_dir(str(path)).reader() as reader:
        assert len(reader.leaf_readers()) >= 2  # segments left as written, not merged again
    backend.close()


def test_feeding_replaces_a_document_of_the_same_id_the_index_holds(tmp_path):
    path = tmp_path / "index"
    backend = WhooshBackend(path)
    backend.rebuild([_doc("a", "old title")], 1)
    changes = [(2, "a", _doc("a", "new title")), (3, "b", _doc("b", "other"))]
    assert backend.feed((seq, doc) for seq, _, doc in changes)
    assert backend.apply(_entries(changes, fed_through=3)) == 3
    assert _state(path) == {"a": ["new title"], "b": ["other"]}
    backend.close()


def test_feeding_an_empty_index_adds_each_document_once(tmp_path):
    path = tmp_path / "index"
    backend = WhooshBackend(path)
    backend.rebuild([], 0)
    changes = [(1, "a", _doc("a", "one")), (2, "b", _doc("b", "two"))]
    assert backend.feed((seq, doc) for seq, _, doc in changes)
    later = [(3, "c", _doc("c", "three")), (4, "a", _doc("a", "one, changed"))]
    assert backend.feed((seq, doc) for seq, _, doc in later[:1])
    # "a" changed in the same session: applied from the store, after a commit of what was fed
    assert backend.apply(_entries(changes + later, fed_through=3)) == 4
    assert _state(path) == {"a": ["one, changed"], "b": ["two"], "c": ["three"]}
    backend.close()
