"""The fast index writing paths give exactly the index Whoosh's analyzers and writer give."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from whoosh import index as windex
from whoosh import writing

from oerrepo.index.document import document_for
from oerrepo.index.schema import build_schema, whoosh_fields
from oerrepo.index.whoosh_writer import TermsKeyword, TermsText, open_writer
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


@pytest.mark.parametrize("procs", [1, 2])
def test_the_fast_writer_builds_the_index_whoosh_builds(tmp_path, procs):
    records = _records()
    built = {}
    for kind in ("whoosh", "fast"):
        folder = tmp_path / kind
        folder.mkdir()
        if kind == "whoosh":
            ix = windex.create_in(str(folder), _analyzed_schema())
            writer = writing.SegmentWriter(ix)
        else:
            ix = windex.create_in(str(folder), build_schema())
            writer = open_writer(ix, procs=procs, multisegment=True)
        for data in records:
            writer.add_document(**whoosh_fields(document_for(Resource(data))))
        writer.commit()
        with ix.searcher() as searcher:
            reader = searcher.reader()
            terms = {}
            for fieldname, text in reader.all_terms():
                postings = reader.postings(fieldname, text)
                by_id = {}
                while postings.is_active():
                    by_id[searcher.stored_fields(postings.id())["id"]] = (postings.weight(), postings.value())
                    postings.next()
                terms[(fieldname, text)] = by_id
            lengths = {
                (searcher.stored_fields(d)["id"], f): reader.doc_field_length(d, f)
                for d in reader.all_doc_ids() for f in ("title", "description", "stems", "pairs", "topics")
            }
            stored = {fields["id"]: fields for fields in searcher.all_stored_fields()}
        built[kind] = (terms, lengths, stored)
        ix.close()
    assert built["fast"] == built["whoosh"]
