"""Writing the Whoosh index quickly: pre-analysed terms, and lengths read once per segment.

Two costs dominate a Whoosh build of our schema, and neither changes what is indexed:

- analysis: every text went through Whoosh's tokenizer and filters, a Python generator
  and a Token object per word, although the document builder had analysed it already.
  :class:`TermsText` and :class:`TermsKeyword` take a function that gives exactly the
  terms their analyzer gives (one regular-expression pass) and count them directly,
  giving exactly the postings the token stream gave;
- writing the postings: Whoosh looks up the length of the document's field once per
  posting, reading it from the segment's length column through four calls and, for
  fields without lengths, a file-system check each time. :class:`SegmentWriter` reads
  each field's lengths once per segment instead. The sub-writers of a multi-process
  writer use it too.

Queries are unchanged: the fields keep their analyzers, which Whoosh uses to parse them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from whoosh import fields, multiproc, writing
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

__all__ = ["TermsText", "TermsKeyword", "SegmentWriter", "MpWriter", "open_writer", "spaced", "lines"]


def _term_postings(field, terms):
    """(term bytes, frequency, weight, value bytes) per distinct term, as Whoosh's
    Frequency format gives them for a token stream of these terms (each token weighs 1)."""
    boost = field.format.field_boost
    for term, freq in Counter(terms).items():
        yield term.encode("utf-8"), freq, freq * boost, pack_uint(freq)


_SPACED = re.compile(r"\S+")
_LINES = re.compile(r"[^\n]+")


def spaced(text: str) -> list[str]:
    """The tokens ``RegexTokenizer(r"\\S+")`` finds."""
    return _SPACED.findall(text)


def lines(text: str) -> list[str]:
    """The tokens ``RegexTokenizer(r"[^\\n]+")`` finds."""
    return _LINES.findall(text)


class _Terms:
    """Indexing by a function that gives exactly the terms of the field's analyzer
    (``terms``), or by a list of terms; the analyzer still reads queries."""

    def _fast_index(self, value, kwargs):
        if type(self.format).__name__ != "Frequency" or kwargs:
            return None
        if isinstance(value, list):
            return _term_postings(self, value)
        terms = getattr(self, "terms", None)
        if isinstance(value, str) and terms is not None:
            return _term_postings(self, terms(value))
        return None


class TermsText(_Terms, fields.TEXT):
    """A TEXT field (frequencies, no positions) indexed by ``terms``, a function that
    splits a value into exactly the tokens ``analyzer`` makes of it."""

    def __init__(self, *args, terms: Callable[[str], list[str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms

    def index(self, value, **kwargs):
        fast = self._fast_index(value, kwargs)
        return fast if fast is not None else super().index(value, **kwargs)


class TermsKeyword(_Terms, fields.KEYWORD):
    """A KEYWORD field indexed by ``terms`` (see :class:`TermsText`)."""

    def __init__(self, *args, terms: Callable[[str], list[str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms

    def index(self, value, **kwargs):
        fast = self._fast_index(value, kwargs)
        return fast if fast is not None else super().index(value, **kwargs)


class _SegmentLengths:
    """A segment's field lengths, each field's column read once (see the module docstring)."""

    def __init__(self, reader, doc_count: int):
        self._reader = reader
        self._doc_count = doc_count
        self._columns: dict[str, list[int] | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._columns.get(fieldname, False)
        if lengths is False:
            column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = None
            if column is not None:
                lengths = [byte_to_length(b) if b else 0 for b in (column[d] for d in range(self._doc_count))]
            self._columns[fieldname] = lengths
        if lengths is None:
            return default
        return lengths[docnum] or default


class _PostingPool(writing.PostingPool):
    """Whoosh's posting pool without its per-posting type assertions (our fields give bytes);
    the size estimate that decides when to spill is Whoosh's own."""

    def add(self, item):
        self.fieldnames.add(item[0])
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + (len(item[4]) if item[4] else 0)
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)


class SegmentWriter(writing.SegmentWriter):
    """Whoosh's segment writer, reading document lengths once per field when it writes postings."""

    def __init__(self, ix, **kwargs):
        # Called by name, not super(): whoosh.multiproc's MpWriter calls this class's
        # __init__ on itself through the name replaced below.
        writing.SegmentWriter.__init__(self, ix, **kwargs)
        self.pool = _PostingPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))

    def _flush_segment(self):
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _SegmentLengths(reader, self.docnum) if reader is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if reader is not None:
            reader.close()


class MpWriter(multiproc.MpWriter):
    """Whoosh's multi-process writer, whose own segment is written as :class:`SegmentWriter` writes."""

    _flush_segment = SegmentWriter._flush_segment


# The sub-writers of a multi-process writer are created by name inside whoosh.multiproc
# (in the worker processes, which inherit this module state): they write as ours do.
multiproc.SegmentWriter = SegmentWriter


def open_writer(ix, *, procs: int = 1, timeout: float = 0.0, delay: float = 0.1, **settings):
    """A writer for the index ``ix``: one process, or ``procs`` processes (Whoosh's MpWriter).

    Raises whoosh's LockError when another writer holds the index for ``timeout`` seconds.
    """
    if procs > 1:
        return MpWriter(ix, procs=procs, timeout=timeout, delay=delay, **settings)
    return SegmentWriter(ix, timeout=timeout, delay=delay, **settings)
