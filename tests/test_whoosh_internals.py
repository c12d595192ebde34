"""The private Whoosh reads (whoosh_internals) against Whoosh's own public searcher."""

from __future__ import annotations

import pytest
from whoosh import columns
from whoosh import index as windex
from whoosh import query as wq

from oerrepo.errors import SearchError
from oerrepo.index import docsets
from oerrepo.index.backend import IndexDocument
from oerrepo.index.docsets import DocSets, TextPhrase, ids_of
from oerrepo.index.phrases import column_value, holders, pattern
from oerrepo.index.ranking import score_matches
from oerrepo.index.schema import build_schema, read_hit, whoosh_fields
from oerrepo.index.whoosh_internals import length_bytes, posting_blocks, self_check


def _doc(i: int) -> IndexDocument:
    words = ["water", "river", "kite", "wind", "bees", "garden"]
    title = " ".join(words[j % len(words)] for j in range(i % 4 + 1))
    body = " ".join(words[(i * j) % len(words)] for j in range(1, 8 + i % 13))
    return IndexDocument(
        id=f"d{i}", name=title, titles=[("en", title)], descriptions=[("en", body)],
        keywords=[("en", words[i % len(words)])], languages=["en"], facets={"inLanguage": ["en"]},
    )


@pytest.fixture
def index(tmp_path):
    """A real Whoosh index of 400 documents in two segments, one of them with deletions."""
    ix = windex.create_in(str(tmp_path), build_schema())
    writer = ix.writer()
    for i in range(300):
        writer.add_document(**whoosh_fields(_doc(i)))
    writer.commit()
    writer = ix.writer()
    for i in range(300, 400):
        writer.add_document(**whoosh_fields(_doc(i)))
    for i in range(0, 300, 7):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    yield ix
    ix.close()


QUERIES = [
    wq.Term("description", "water"),
    wq.Or([wq.Term("title", "kite", boost=3.0), wq.Term("description", "kite"), wq.Term("stems", "kite", boost=0.8)]),
    wq.And([wq.Term("description", "river"), wq.Or([wq.Term("title", "bees"), wq.Term("description", "wind")])]),
    wq.AndMaybe(wq.Term("description", "garden"), wq.Term("keywords", "water", boost=2.0)),
]


@pytest.mark.parametrize("q", QUERIES, ids=str)
def test_scores_match_whoosh_own_searcher(index, q):
    with index.searcher() as searcher:
        assert len(list(searcher.leaf_searchers())) == 2 and searcher.reader().has_deletions()
        sets = DocSets(searcher, {})
        ours = score_matches(searcher, sets, q, sets.query(q), {})
        theirs = {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
        assert theirs, "the query should match something"
        assert set(ours) == set(theirs)  # the same hits, deleted documents left out
        for docnum, score in theirs.items():
            assert ours[docnum] == pytest.approx(score, rel=1e-9)
        rank = sorted(theirs, key=lambda d: (-round(theirs[d], 9), d))
        assert sorted(ours, key=lambda d: (-round(ours[d], 9), d)) == rank  # the same order


def test_private_reads_equal_the_public_ones(index):
    self_check()  # raises SearchError on a Whoosh that stores these differently
    with index.searcher() as searcher:
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            public = reader.postings("description", b"water")
            want = []
            while public.is_active():
                want.append((public.id(), public.weight()))
                public.next()
            got = [pair for ids, weights in posting_blocks(reader, "description", b"water") for pair in zip(ids, weights)]
            # Deleted documents stay in the blocks (the callers mask them); the rest is identical.
            assert [(d, w) for d, w in got if not reader.is_deleted(d)] == want
            lengths = length_bytes(reader, "description")
            assert len(lengths) == reader.doc_count_all()


def test_a_changed_column_layout_fails_loudly(monkeypatch):
    # A Whoosh whose byte-string columns keep their data elsewhere must not make phrases
    # silently miss: the self-check compares the private read with the public one.
    original = columns.VarBytesColumn.Reader._read_offsets_and_lengths

    def shifted(self):  # offsets that no longer say where each value starts in the data
        original(self)
        self._offsets = [offset + 1 for offset in self._offsets]

    monkeypatch.setattr(columns.VarBytesColumn.Reader, "_read_offsets_and_lengths", shifted)
    with pytest.raises(SearchError, match="columns"):
        self_check.__wrapped__()


def _adjacent(words: list[str], text: str) -> bool:
    found = text.lower().split()
    return any(found[i:i + len(words)] == words for i in range(len(found)))


@pytest.mark.parametrize("read_all", [0, 10**9], ids=["one by one", "whole segments"])
@pytest.mark.parametrize(
    ("field", "phrase"),
    [(None, "river kite"), (None, "water river"), ("title", "water river"), ("description", "kite wind"),
     (None, "garden water"), ("keywords", "kite"), (None, "water water water")],
)
def test_phrases_are_found_as_the_texts_hold_them(index, monkeypatch, read_all, field, phrase):
    monkeypatch.setattr(docsets, "_READ_ALL", read_all)  # 0: every candidate read alone
    words = phrase.split()
    want = set()
    for i in range(400):
        if i < 300 and i % 7 == 0:
            continue  # deleted
        doc = _doc(i)
        texts = {"title": doc.titles, "description": doc.descriptions, "keywords": doc.keywords}
        if any(_adjacent(words, t) for f, items in texts.items() if field in (None, f) for _, t in items):
            want.add(doc.id)
    assert want, "the phrase should be in some documents"
    child = wq.And([wq.Term(field or "description", w) for w in dict.fromkeys(words)])
    if field is None:
        child = wq.Or([wq.And([wq.Term(f, w) for w in dict.fromkeys(words)]) for f in ("title", "keywords", "description")])
    with index.searcher() as searcher:
        sets = DocSets(searcher, {})
        found = sets.query(TextPhrase(child, field, tuple(words)))
        column = searcher.reader().column_reader("hit", translate=False)
        assert {read_hit(column[d])["id"] for d in ids_of(found)} == want


def test_a_phrase_never_spans_two_fields_texts_or_documents():
    values = [
        column_value((" solar \n oven ", "", " cook with sun ", "")),
        column_value(("", " oven ", "", "")),
        b"",
        column_value((" oven bread ", " the solar ", " oven ", " solar oven ")),
        column_value((" ovens ", "", " the solar oven ", "")),
    ]
    data = b"".join(values)
    offsets = [sum(map(len, values[:i])) for i in range(len(values))]
    lengths = [len(v) for v in values]
    solar_oven = pattern(["solar", "oven"]).encode()
    assert holders(data, offsets, lengths, solar_oven) == [3, 4]
    assert holders(data, offsets, lengths, solar_oven, "body") == [3]
    assert holders(data, offsets, lengths, solar_oven, "description") == [4]
    assert holders(data, offsets, lengths, solar_oven, "title") == []
    assert holders(data, offsets, lengths, pattern(["oven"]).encode(), "keywords") == [1]
    assert holders(data, offsets, lengths, pattern(["with"]).encode()) == [0]
    assert holders(data, offsets, lengths, pattern(["sun", "oven"]).encode()) == []
