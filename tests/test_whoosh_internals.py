"""The private Whoosh reads (whoosh_internals) against Whoosh's own public searcher."""

from __future__ import annotations

import pytest
from whoosh import index as windex
from whoosh import query as wq

from oerrepo.index.backend import IndexDocument
from oerrepo.index.docsets import DocSets
from oerrepo.index.ranking import score_matches
from oerrepo.index.schema import build_schema, whoosh_fields
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
