"""The Whoosh schema of the index, and how a document's tokens (see :mod:`.tokens`) fill it.

Text fields hold the analysed tokens, every language together:

- ``title``, ``keywords``, ``description``, ``body``: folded words (case and accents),
  the stop words of each text's language left out;
- ``stems``: each text stemmed in its own language;
- ``topics`` / ``parts``: the ids of the topics the texts name, by a whole label or only
  inside a compound word (see :mod:`.topics`), once per mention;
- ``title_exact``: whole folded titles, so an exact title match ranks first;
- ``phrases`` (a column of bytes, not indexed): each text's folded words in order, per
  field (see :func:`.phrases.column_value`). A
  phrase query finds the records holding its words in the field asked, then keeps those
  whose texts hold the words side by side (see :mod:`.phrases`), so the text fields keep
  no positions and the index no word pairs: smaller and faster to write.

``hit`` (a column of bytes, not indexed) holds what a search shows of each record found:
its id, name, licence, languages, description and date (see :func:`hit_value`). Not
Whoosh's stored fields: those are pickled and compressed by zlib document by document,
which took a tenth of an index writer's time.

Facet fields keep the stored values (URIs, licence URLs, language tags), one term
each. ``date`` (days since 1970) and ``sortname`` serve sorting only: they are columns,
not indexed (no query reads their terms, and a date's trie terms were eight postings a
record).
"""

from __future__ import annotations

import json
from datetime import date as _date

from whoosh import columns, fields
from whoosh.analysis import RegexTokenizer

from .analysis import fold_text, folded_words, folding_analyzer
from .backend import FACETS, IndexDocument
from .phrases import column_value
from .query import exact_title
from .tokens import tokens_of
from .topics import vocabulary_version
from .whoosh_writer import TermsKeyword, TermsText, lines, spaced

__all__ = ["SCHEMA_VERSION", "WHOOSH_VERSION", "BOOSTS", "build_schema", "whoosh_fields", "exact_title",
           "hit_value", "read_hit"]

# Changes when the schema, the analysis or the topic vocabulary changes: an index built
# by another version is then rebuilt on open (both backends).
SCHEMA_VERSION = f"7-{vocabulary_version()}"
# The Whoosh index's own: SCHEMA_VERSION, and the layout of its fields (2: the hit column).
WHOOSH_VERSION = f"{SCHEMA_VERSION}/2"

BOOSTS = {"title": 3.0, "keywords": 2.0, "description": 1.0, "body": 0.5, "stems": 1.0, "topics": 1.0, "parts": 1.0}
_SEP = "\n"


def build_schema() -> fields.Schema:
    """The Whoosh schema (a new object each call: Whoosh binds analyzers to it)."""
    folded = folding_analyzer()
    # Each field is indexed by a function giving exactly its analyzer's terms (see .whoosh_writer).
    text = {
        name: TermsText(analyzer=folded, terms=folded_words, phrase=False)
        for name in ("title", "keywords", "description", "body")
    }
    tokens = {
        name: TermsText(analyzer=RegexTokenizer(r"\S+"), terms=spaced, phrase=False)
        for name in ("stems", "topics", "parts")
    }
    # One term per value: values are URIs and tags joined by newlines.
    facet_fields = {
        name: TermsKeyword(analyzer=RegexTokenizer(r"[^\n]+"), terms=lines, stored=False) for name in FACETS
    }
    return fields.Schema(
        id=fields.ID(unique=True),
        hit=fields.COLUMN(columns.VarBytesColumn()),
        date=_column_only(fields.NUMERIC(int, bits=32, sortable=True, signed=True)),
        sortname=_column_only(fields.ID(sortable=True)),
        title_exact=TermsKeyword(analyzer=RegexTokenizer(r"[^\n]+"), terms=lines),
        phrases=fields.COLUMN(columns.VarBytesColumn()),
        **text,
        **tokens,
        **facet_fields,
    )


def _column_only(field: fields.FieldType) -> fields.FieldType:
    """The field's sort column without its terms (the writer indexes only ``indexed`` fields)."""
    field.indexed = False
    return field


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
    """The field values Whoosh indexes for one document: text, or a list of the terms of a
    field that takes them so (see :class:`~.whoosh_writer.TermsText`)."""
    tokens = tokens_of(doc)
    descriptions = [d for _, d in doc.descriptions]
    values = {
        "id": doc.id,
        "hit": hit_value(doc.id, doc.name, doc.license, list(doc.languages), _SEP.join(descriptions), doc.date),
        "date": _days(doc.date),
        "sortname": fold_text(doc.name)[:200],
        "title_exact": _SEP.join(exact_title(t) for _, t in doc.titles),
        # The analysed tokens as lists: the writer counts them as they are (joined into text
        # they would be split again by the fields' analyzers into the same terms, for nothing).
        "title": tokens.title,
        "keywords": tokens.keywords,
        "description": tokens.description,
        "body": tokens.body,
        "stems": tokens.stems,
        "topics": tokens.topics,
        "parts": tokens.parts,
        "phrases": column_value(tokens.phrases),
    }
    for name in FACETS:
        values[name] = _SEP.join(doc.facets.get(name) or ())
    return values


def hit_value(rid: str, name: str, license: str | None, languages: list[str], description: str, date: str) -> bytes:
    """The ``hit`` column's value of a document: what a search shows of it (see :func:`read_hit`)."""
    return json.dumps([rid, name, license, languages, description, date], ensure_ascii=False).encode()


def read_hit(value: bytes) -> dict:
    """A ``hit`` column's value as a dict: id, name, license, languages, description, date."""
    rid, name, license, languages, description, date = json.loads(value)
    return {"id": rid, "name": name, "license": license, "languages": languages, "description": description,
            "date": date}
