"""The fast index writing paths give exactly the index Whoosh's analyzers and writer give."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from whoosh import fields, writing
from whoosh import index as windex

from oerrepo.index.document import document_for
from oerrepo.index.schema import build_schema, whoosh_fields
from oerrepo.index.whoosh_writer import FIELDS_OF, TermsKeyword, TermsText, open_writer
from oerrepo.model import Resource, normalize_record

TRICKY = [
    {"name": {"de": "Straße & Œuvre: Ĳssel-Übung 3.5 e.g. Nr.12 ½"}, "description": {"de": "Die Bienen fliegen."}},
    {"name": {"el": "Ενέργεια στα σχολεία: ΣΧΟΛΕΊΟ"}, "description": {"el": "Οι μαθητές μετρούν ενέργεια."}},
    {"name": {"tr": "İstanbul ılık ISPARTA"}, "description": {"tr": "Öğrenciler ölçüyor."}},
    {"name": {"en": "___ !!! ..."}, "description": {"en": "a.b.c x.y 1.000.000 e.s the runs\u00a0and\u2003spaces"}},
    {"name": {"fi": "Vesi", "sv": "Vatten"}, "description": {"fi": "Oppilaat mittaavat", "sv": "Elever mäter"},
     "keywords": ["Klimawandel", "energy"]},
]


def _records() -> list[dict]:
    samples = json.loads(files("oerrepo.samples").joinpath("blueprints.json").read_text(encoding="utf-8"))
    out = [normalize_record(r) for r in samples]
    for i, extra in enumerate(TRICKY):
        out.append(normalize_record({"id": f"tricky-{i}", "license": "CC-BY-4.0", **extra}))
    return out


def _analyzed_schema():
    """Our schema with every field indexed through its analyzer (Whoosh's own token stream)."""
    schema = build_schema()
    for _name, field in schema.items():
        if isinstance(field, (TermsText, TermsKeyword)):
            field.terms = None
    return schema


def test_each_field_gets_the_postings_its_analyzer_gives():
    fast, analyzed = build_schema(), _analyzed_schema()
    checked = 0
    for data in _records():
        for name, value in whoosh_fields(document_for(Resource(data))).items():
            field = fast[name]
            if not isinstance(field, (TermsText, TermsKeyword)) or value is None:
                continue
            assert sorted(field.index(value)) == sorted(analyzed[name].index(value)), (data["id"], name, value)
            checked += 1
    assert checked > 100


def _build(folder, records, *, fast: bool, commits: int = 1, **settings):
    """Index ``records`` in ``commits`` writers (the last one merging every segment)."""
    folder.mkdir()
    ix = windex.create_in(str(folder), build_schema() if fast else _analyzed_schema())
    size = -(-len(records) // commits)
    for start in range(0, len(records), size):
        writer = open_writer(ix, **settings) if fast else writing.SegmentWriter(ix)
        for data in records[start : start + size]:
            doc = document_for(Resource(data))
            if fast:  # as the index writes: the fields are made in the process that writes them
                writer.update_document(id=doc.id, **{FIELDS_OF: (whoosh_fields, doc)})
            else:
                writer.update_document(**whoosh_fields(doc))
        if start:  # the first commit's deletions are merged away by the last one
            writer.delete_by_term("id", records[0]["id"])
        writer.commit(optimize=start + size >= len(records) and commits > 1)
    return ix


def _contents(ix):
    with ix.searcher() as searcher:
        reader = searcher.reader()
        terms = {}
        for fieldname, text in reader.all_terms():
            postings = reader.postings(fieldname, text)
            found = []  # in the order the postings are stored: by document number
            while postings.is_active():
                found.append((searcher.stored_fields(postings.id())["id"], postings.weight(), postings.value()))
                postings.next()
            terms[(fieldname, text)] = found
        lengths = {
            (searcher.stored_fields(d)["id"], f): reader.doc_field_length(d, f)
            for d in reader.all_doc_ids() for f in ("title", "description", "stems", "pairs", "topics")
        }
        stored = {fields["id"]: fields for fields in searcher.all_stored_fields()}
        sort_keys = {
            (searcher.stored_fields(d)["id"], f): searcher.reader().column_reader(f)[d]
            for d in reader.all_doc_ids() for f in ("date", "sortname")
        }
    return terms, lengths, stored, sort_keys


@pytest.mark.parametrize(
    ("settings", "commits"),
    [
        ({}, 1),
        ({"procs": 2, "multisegment": True}, 1),
        ({"limitmb": 0.02}, 1),  # the pool overflows into several run files, merged term by term
        ({"procs": 2, "multisegment": True, "limitmb": 0.02}, 1),
        ({"limitmb": 0.02}, 3),  # segments merged into the last writer's pool, deletions dropped
    ],
    ids=["one", "two-processes", "runs", "two-processes-runs", "merges"],
)
def test_the_fast_writer_builds_the_index_whoosh_builds(tmp_path, settings, commits):
    records = _records()
    whoosh_ix = _build(tmp_path / "whoosh", records, fast=False, commits=commits)
    fast_ix = _build(tmp_path / "fast", records, fast=True, commits=commits, **settings)
    try:
        expected, got = _contents(whoosh_ix), _contents(fast_ix)
        assert len(expected[2]) == len(records) - (commits > 1)
        assert got == expected
        if commits > 1:
            assert len(fast_ix._segments()) == 1
    finally:
        whoosh_ix.close()
        fast_ix.close()


def test_the_writer_checks_itself_against_whoosh_and_says_what_to_install(monkeypatch):
    from oerrepo.errors import SearchError
    from oerrepo.index import whoosh_writer

    whoosh_writer.self_check.__wrapped__()  # this Whoosh: the two indexes agree
    # A Whoosh release that weighs or encodes frequencies otherwise than the fast path
    # assumes: the index its own writer builds differs, and the check says so.
    from whoosh import formats

    word_values = formats.Frequency.word_values

    def doubled(self, value, analyzer, **kwargs):
        for word, freq, weight, vbytes in word_values(self, value, analyzer, **kwargs):
            yield word, freq, weight * 2, vbytes

    monkeypatch.setattr(formats.Frequency, "word_values", doubled)
    with pytest.raises(SearchError, match="writes indexes in a way oerrepo's writer does not follow.*whoosh-reloaded"):
        whoosh_writer.self_check.__wrapped__()


def _fields_failing_on_the_700th(doc):
    if doc["id"] == "700":
        raise ValueError("a document its analysis cannot read")
    return doc


@pytest.mark.parametrize("count", [800, 3_000])  # a commit waiting for results; a full job queue
def test_a_writer_process_that_fails_stops_the_write_with_an_error_instead_of_waiting(tmp_path, count):
    from oerrepo.errors import SearchError

    ix = windex.create_in(str(tmp_path), fields.Schema(id=fields.ID(stored=True, unique=True)))
    writer = open_writer(ix, procs=2, multisegment=True)
    with pytest.raises(SearchError, match="an indexing process stopped.*oerrepo reindex"):
        for i in range(count):
            writer.add_document(**{FIELDS_OF: (_fields_failing_on_the_700th, {"id": str(i)})})
        writer.commit()
    writer.cancel()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 0
    writer = open_writer(ix)  # the lock is free again
    writer.add_document(id="1")
    writer.commit()
    assert ix.doc_count() == 1
