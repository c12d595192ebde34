"""The Whoosh schema of the index, and how an :class:`IndexDocument` fills it.

Text fields (boosted for BM25F: title > keywords > description > body):

- ``title``, ``keywords``, ``description``, ``body``: every language together, folded
  (case and accents) but not stemmed, so exact words work across languages;
- ``concepts``: never filled. A query word the parser puts there is replaced by the
  facet terms of the concepts whose labels (in every language the vocabularies carry)
  hold it (see :mod:`.whoosh_query`): the bridge from a query in one language to a
  record in another, without indexing ~75 label words per record;
- ``stems``: each text stemmed in its own language (Greek by our suffix stripper); a
  query word is looked up by its stems in every language;
- ``title_exact``: whole folded titles, so an exact title match ranks first;
- ``pairs``: each two successive folded words of the title, keyword, description
  and body texts. A phrase query is answered by its pairs (and its words in the
  field asked), so the text fields keep no word positions: smaller, faster to write,
  and no position checking per candidate at query time.

"Did you mean" draws on the words of ``title`` and ``keywords``.

Facet fields keep the stored values (URIs, licence URLs, language tags), one term
each. ``date`` (days since 1970) and ``sortname`` serve sorting.
"""

from __future__ import annotations

from datetime import date as _date

from whoosh import fields
from whoosh.analysis import RegexTokenizer

from .analysis import fold, folded_words, folding_analyzer, pairs_of, stem_analyzer, stems_of
from .backend import FACETS, IndexDocument

__all__ = [
    "SCHEMA_VERSION",
    "TEXT_FIELDS",
    "PHRASE_FIELDS",
    "BOOSTS",
    "PAIRS_BOOST",
    "build_schema",
    "whoosh_fields",
    "exact_title",
]

# Bump when the schema or the analysis changes: an older index is then rebuilt on open.
SCHEMA_VERSION = 2

BOOSTS = {"title": 6.0, "keywords": 3.0, "description": 1.5, "concepts": 1.0, "body": 1.0, "stems": 1.2}
TEXT_FIELDS = tuple(BOOSTS)
# The fields whose phrases the ``pairs`` field answers.
PHRASE_FIELDS = ("title", "keywords", "description", "body")
PAIRS_BOOST = 2.0
_SEP = "\n"


def build_schema() -> fields.Schema:
    """The Whoosh schema (a new object each call: Whoosh binds analyzers to it)."""
    folded = folding_analyzer()
    text = {
        name: fields.TEXT(analyzer=folded, field_boost=BOOSTS[name], stored=name == "description", phrase=False)
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
        stems=stems,
        pairs=fields.TEXT(analyzer=RegexTokenizer(r"[^\n]+"), phrase=False, field_boost=PAIRS_BOOST),
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
    # One tokenisation per text feeds both the stems and the word pairs.
    stems: list[str] = []
    pairs: list[str] = []
    for lang, text in (*doc.titles, *doc.keywords, *doc.descriptions):
        words = folded_words(text)
        stems += stems_of(words, lang)
        pairs += pairs_of(words)  # within one text, never across two
    for text in doc.body:
        pairs += pairs_of(folded_words(text))
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
        "body": _SEP.join(doc.body),
        "stems": " ".join(stems),
        "pairs": _SEP.join(pairs),
    }
    for name in FACETS:
        values[name] = _SEP.join(doc.facets.get(name) or ())
    return values
