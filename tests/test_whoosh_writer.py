"""The fast index writing paths give exactly the index the analyzers give."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from whoosh import index as windex

from oerrepo.index.analysis import fold, folded_words, pairs_of, stems_of
from oerrepo.index.backend import FACETS
from oerrepo.index.document import document_for
from oerrepo.index.schema import build_schema, exact_title, whoosh_fields
from oerrepo.index.whoosh_writer import open_writer
from oerrepo.model import Resource, normalize_record

TRICKY = [
    {"name": {"de": "Straße & Œuvre: Ĳssel-Übung 3.5 e.g. Nr.12"}, "description": {"de": "Die Bienen fliegen."}},
    {"name": {"el": "Ενέργεια στα σχολεία: ΣΧΟΛΕΊΟ"}, "description": {"el": "Οι μαθητές μετρούν ενέργεια."}},
    {"name": {"tr": "İstanbul ılık ISPARTA"}, "description": {"tr": "Öğrenciler ölçüyor."}},
    {"name": {"en": "___ !!! ..."}, "description": {"en": "a.b.c x.y 1.000.000 e.s the runs"}},
    {"name": {"fi": "Vesi", "sv": "Vatten"}, "description": {"fi": "Oppilaat mittaavat", "sv": "Elever mäter"},
     "keywords": ["Klima\nwandel", "energy"]},
]


def _records() -> list[dict]:
    samples = json.loads(files("oerrepo.samples").joinpath("blueprints.json").read_text(encoding="utf-8"))
    out = [normalize_record(r) for r in samples]
    for i, extra in enumerate(TRICKY):
        out.append(normalize_record({"id": f"tricky-{i}", "license": "CC-BY-4.0", **extra}))
    return out


def _texts(doc) -> dict:
    """The document's fields as joined texts, for the fields' own analyzers (the reference)."""
    stems, pairs = [], []
    for lang, text in (*doc.titles, *doc.keywords, *doc.descriptions):
        words = folded_words(text)
        stems += stems_of(words, lang)
        pairs += pairs_of(words)
    for text in doc.body:
        pairs += pairs_of(folded_words(text))
    values = {
        "title": "\n".join(t for _, t in doc.titles),
        "keywords": "\n".join(k for _, k in doc.keywords),
        "description": "\n".join(d for _, d in doc.descriptions),
        "body": "\n".join(doc.body),
        "stems": " ".join(stems),
        "pairs": "\n".join(pairs),
        "title_exact": "\n".join(exact_title(t) for _, t in doc.titles),
    }
    for name in FACETS:
        values[name] = "\n".join(doc.facets.get(name) or ())
    return values


def _postings(field, value) -> list[tuple]:
    return sorted(field.index(value))


def test_term_lists_give_the_postings_of_the_analyzed_texts():
    schema = build_schema()
    checked = 0
    for data in _records():
        doc = document_for(Resource(data))
        fast = whoosh_fields(doc)
        for name, text in _texts(doc).items():
            field = schema[name]
            reference = [(t.encode("utf-8") if isinstance(t, str) else t, f, w, v)
                         for t, f, w, v in field.index(text)]
            assert _postings(field, fast[name]) == sorted(reference), (data["id"], name)
            checked += 1
        assert fast["_stored_description"] == "\n".join(d for _, d in doc.descriptions)
    assert checked > 100
    assert fold("Σχολείς") == "σχολεισ"


@pytest.mark.parametrize("procs", [1, 2])
def test_the_fast_writer_builds_the_index_the_plain_writer_builds(tmp_path, procs):
    records = _records()
    built = {}
    for kind in ("plain", "fast"):
        folder = tmp_path / kind
        folder.mkdir()
        ix = windex.create_in(str(folder), build_schema())
        if kind == "plain":
            writer = ix.writer()
            for data in records:
                doc = document_for(Resource(data))
                writer.add_document(id=doc.id, name=doc.name, **_texts(doc))
        else:
            writer = open_writer(ix, procs=procs, multisegment=True)
            for data in records:
                writer.add_document(**whoosh_fields(document_for(Resource(data))))
        writer.commit()
        with ix.searcher() as searcher:
            reader = searcher.reader()
            terms = {}
            for fieldname, text in reader.all_terms():
                if fieldname in ("date", "sortname", "id"):
                    continue
                postings = reader.postings(fieldname, text)
                by_id = {}
                while postings.is_active():
                    docid = searcher.stored_fields(postings.id())["id"]
                    by_id[docid] = (postings.weight(), postings.value())
                    postings.next()
                terms[(fieldname, text)] = by_id
            lengths = {
                (searcher.stored_fields(d)["id"], f): reader.doc_field_length(d, f)
                for d in reader.all_doc_ids() for f in ("title", "description", "stems", "pairs")
            }
        built[kind] = (terms, lengths)
        ix.close()
    assert built["fast"][0] == built["plain"][0]
    assert built["fast"][1] == built["plain"][1]
