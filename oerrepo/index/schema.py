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

Facet fields keep the stored values (URIs, licence URLs, language tags), one term
each. ``date`` (days since 1970) and ``sortname`` serve sorting only: they are columns,
not indexed (no query reads their terms, and a date's trie terms were eight postings a
record).
"""

from __future__ import annotations

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

__all__ = ["SCHEMA_VERSION", "BOOSTS", "build_schema", "whoosh_fields", "exact_title"]

# Changes when the schema, the analysis or the topic vocabulary changes: an index built
# by another version is then rebuilt on open.
SCHEMA_VERSION = f"7-{vocabulary_version()}"

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
        id=fields.ID(stored=True, unique=True),
        name=fields.STORED(),
        license_value=fields.STORED(),
        languages=fields.STORED(),
        description_text=fields.STORED(),
        date_text=fields.STORED(),
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
        "name": doc.name,
        "license_value": doc.license,
        "languages": list(doc.languages),
        "description_text": _SEP.join(descriptions),
        "date_text": doc.date,
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
