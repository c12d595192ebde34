"""The Whoosh schema of the index, and how an :class:`IndexDocument` fills it.

Text fields (boosted for BM25F: title > keywords > description > body):

- ``title``, ``keywords``, ``description``, ``body``: every language together, folded
  (case and accents) but not stemmed, so phrases and exact words work across languages;
- ``concepts``: labels of the record's controlled values in every language the
  vocabularies carry (the bridge from a query in one language to a record in another);
- ``stems``: each text stemmed in its own language (Greek by our suffix stripper); a
  query word is looked up by its stems in every language;
- ``title_exact``: whole folded titles, so an exact title match ranks first;
- ``spell``: title and keyword words, for "did you mean".

Facet fields keep the stored values (URIs, licence URLs, language tags), one term
each. ``date`` (days since 1970) and ``sortname`` serve sorting.
"""

from __future__ import annotations

from datetime import date as _date

from whoosh import fields
from whoosh.analysis import RegexTokenizer

from .analysis import fold, folding_analyzer, stem_analyzer, stem_words
from .backend import FACETS, IndexDocument

__all__ = ["SCHEMA_VERSION", "TEXT_FIELDS", "BOOSTS", "build_schema", "whoosh_fields", "exact_title"]

# Bump when the schema or the analysis changes: an older index is then rebuilt on open.
SCHEMA_VERSION = 1

BOOSTS = {"title": 6.0, "keywords": 3.0, "description": 1.5, "concepts": 1.0, "body": 1.0, "stems": 1.2}
TEXT_FIELDS = tuple(BOOSTS)
_SEP = "\n"


def build_schema() -> fields.Schema:
    """The Whoosh schema (a new object each call: Whoosh binds analyzers to it)."""
    folded = folding_analyzer()
    text = {
        name: fields.TEXT(analyzer=folded, field_boost=BOOSTS[name], stored=name == "description")
        for name in ("title", "keywords", "description", "concepts", "body")
    }
    stems = fields.TEXT(analyzer=stem_analyzer(), field_boost=BOOSTS["stems"], phrase=False)
    stems.multitoken_query = "or"  # a word's stems in several languages are alternatives
    # One term per value: values are URIs and tags joined by newlines.
    facet_fields = {
        name: fields.KEYWORD(analyzer=RegexTokenizer(r"[^\n]+"), stored=False) for name in FACETS
    }
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        name=fields.STORED(),
        license_value=fields.STORED(),
        languages=fields.STORED(),
        date_text=fields.STORED(),
        date=fields.NUMERIC(int, bits=32, sortable=True, signed=True),
        sortname=fields.ID(sortable=True),
        title_exact=fields.KEYWORD(analyzer=RegexTokenizer(r"[^\n]+")),
        spell=fields.TEXT(analyzer=folded, phrase=False, field_boost=0.0),
        stems=stems,
        **text,
        **facet_fields,
    )


def exact_title(text: str) -> str:
    """A title folded and with punctuation and spacing evened out, for exact matching."""
    return " ".join(fold(w) for w in text.replace("_", " ").split() if any(c.isalnum() for c in w)).strip(
        " .,;:!?\"'()[]"
    )


def _days(iso: str) -> int:
    try:
        y, m, d = int(iso[0:4]), int(iso[5:7] or 1), int(iso[8:10] or 1)
        return (_date(y, m, d) - _date(1970, 1, 1)).days
    except (ValueError, IndexError):
        try:
            return (_date(int(iso[0:4]), 1, 1) - _date(1970, 1, 1)).days
        except (ValueError, IndexError):
            return -100_000  # undated: oldest


def whoosh_fields(doc: IndexDocument) -> dict:
    """The field values Whoosh indexes for one document."""
    stems: list[str] = []
    for lang, text in (*doc.titles, *doc.keywords, *doc.descriptions):
        stems += stem_words(text, lang)
    keywords = [k for _, k in doc.keywords]
    descriptions = [d for _, d in doc.descriptions]
    values = {
        "id": doc.id,
        "name": doc.name,
        "license_value": doc.license,
        "languages": list(doc.languages),
        "date_text": doc.date,
        "date": _days(doc.date),
        "sortname": fold(doc.name)[:200],
        "title_exact": _SEP.join(exact_title(t) for _, t in doc.titles),
        "title": _SEP.join(t for _, t in doc.titles),
        "keywords": _SEP.join(keywords),
        "description": _SEP.join(descriptions),
        "concepts": _SEP.join(doc.concepts),
        "body": _SEP.join(doc.body),
        "stems": " ".join(stems),
        "spell": _SEP.join([t for _, t in doc.titles] + keywords),
    }
    for name in FACETS:
        values[name] = _SEP.join(doc.facets.get(name) or ())
    return values
