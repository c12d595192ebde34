"""Sets of matching documents as bitmaps, read straight from Whoosh postings and cached per segment.

Facet counts, filters and the number of hits only need *which* documents match, not
how well. Whoosh answers that by stepping a tree of matchers one document at a time in
Python; here a term's postings are read block by block into a bitmap (a Python ``int``,
bit *n* = document *n*), so ``AND`` / ``OR`` / ``NOT`` and a facet count are one C-level
operation each (``a & b``, ``(a & b).bit_count()``), a few microseconds at 100,000 records.

Whoosh segments never change once written (deletions are kept apart), so a term's
bitmap is cached per segment: after an incremental commit only the new small segment
is read. Deleted documents are masked by :attr:`DocSets.live`, rebuilt per generation.

A quoted phrase (:class:`TextPhrase`) is its words' bitmap narrowed to the documents whose
texts (the index's ``phrases`` column) hold the words side by side (see :mod:`.phrases`);
which documents of a segment were read, and which hold the phrase, is cached per segment
as a term's bitmap is.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from whoosh import query as wq
from whoosh.idsets import DocIdSet

from .phrases import holders, pattern
from .whoosh_internals import column_bytes, posting_ids

__all__ = ["DocSets", "BitmapFilter", "TextPhrase", "bitmap_of", "ids_of", "segment_id"]

_BITS = tuple(1 << i for i in range(8))
# Per-segment cache bound: a term bitmap costs at most (segment size / 8) bytes.
_TERM_CACHE = 1024
_FREQUENCIES = 100_000  # terms whose document frequency a generation keeps
# A phrase with more candidates than 1 in this many documents of a segment is looked for in
# the whole segment's texts at once (a few ms for 20,000 records) instead of one by one.
_READ_ALL = 16


def bitmap_of(ids: Iterable[int], size: int) -> int:
    """The bitmap of document numbers below ``size``."""
    buf = bytearray((size >> 3) + 1)
    bits = _BITS
    for d in ids:
        buf[d >> 3] |= bits[d & 7]
    return int.from_bytes(buf, "little")


_BYTE_BITS = tuple(tuple(j for j in range(8) if b >> j & 1) for b in range(256))
_NONZERO = re.compile(rb"[^\x00]+")


def ids_of(bitmap: int) -> list[int]:
    """The document numbers in a bitmap, ascending (runs of empty bytes skipped in C)."""
    if not bitmap:
        return []
    data = bitmap.to_bytes((bitmap.bit_length() >> 3) + 1, "little")
    out: list[int] = []
    extend = out.extend
    table = _BYTE_BITS
    for run in _NONZERO.finditer(data):
        for i, byte in enumerate(run.group(), run.start()):
            base = i << 3
            extend([base + j for j in table[byte]])
    return out


class BitmapFilter(DocIdSet):
    """A bitmap as the ``filter`` Whoosh's searcher accepts (membership tests only)."""

    def __init__(self, bitmap: int):
        self._bytes = bitmap.to_bytes((bitmap.bit_length() >> 3) + 1, "little")
        self._len = bitmap.bit_count()

    def __contains__(self, docnum: int) -> bool:
        i = docnum >> 3
        return i < len(self._bytes) and bool(self._bytes[i] >> (docnum & 7) & 1)

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return True  # an empty filter still filters (everything out)

    def __iter__(self) -> Iterator[int]:
        return ids_of(int.from_bytes(self._bytes, "little"))


class TextPhrase(wq.WrappingQuery):
    """A quoted phrase: the documents ``child`` (its words) matches whose texts of ``field``
    (any text field when None) hold the folded ``words`` side by side, in order.

    Only :class:`DocSets` and the ranking read it: Whoosh's own matchers would match its
    words alone.
    """

    def __init__(self, child: wq.Query, field: str | None, words: tuple[str, ...]):
        super().__init__(child)
        self.fieldname = field
        self.words = tuple(words)

    def _rewrap(self, child: wq.Query) -> TextPhrase:
        return TextPhrase(child, self.fieldname, self.words)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, TextPhrase) and (self.child, self.fieldname, self.words)
            == (other.child, other.fieldname, other.words)
        )

    def __hash__(self) -> int:
        return hash((TextPhrase, self.child, self.fieldname, self.words))

    def __repr__(self) -> str:
        return f"TextPhrase({self.child!r}, {self.fieldname!r}, {self.words!r})"


class _SegmentSets:
    """Term bitmaps of one immutable segment, in its own document numbers."""

    def __init__(self, reader):
        self.size = reader.doc_count_all()
        self.terms: OrderedDict[tuple[str, bytes], int] = OrderedDict()
        # (field, pattern) -> (documents read, documents holding the phrase)
        self.phrases: OrderedDict[tuple[str | None, bytes], tuple[int, int]] = OrderedDict()

    def term(self, reader, fieldname: str, btext: bytes) -> int:
        key = (fieldname, btext)
        bits = self.terms.get(key)
        if bits is None:
            bits = bitmap_of(posting_ids(reader, fieldname, btext), self.size)
            self.terms[key] = bits
            if len(self.terms) > _TERM_CACHE:
                self.terms.popitem(last=False)
        else:
            self.terms.move_to_end(key)
        return bits

    def phrase(self, reader, field: str | None, wanted: bytes, candidates: int) -> int:
        """The ``candidates`` whose texts hold the phrase pattern ``wanted`` (see
        :mod:`.phrases`). A few candidates are read one by one; more, and the whole
        segment's texts are searched at once. Either way no document is read twice."""
        key = (field, wanted)
        read, holding = self.phrases.pop(key, (0, 0))
        todo = candidates & ~read
        if todo:
            if todo.bit_count() * _READ_ALL < self.size:
                column = reader.column_reader("phrases", translate=False)
                values = ((d, column[d]) for d in ids_of(todo))
                found = [d for d, value in values if holders(value, (0,), (len(value),), wanted, field)]
                read |= todo
            else:
                found = holders(*column_bytes(reader, "phrases"), wanted, field)
                read = (1 << self.size) - 1
            holding |= bitmap_of(found, self.size)
        self.phrases[key] = (read, holding)
        if len(self.phrases) > _TERM_CACHE:
            self.phrases.popitem(last=False)
        return holding & candidates


class DocSets:
    """Bitmaps of the documents of one searcher generation: terms, queries, facet values."""

    def __init__(self, searcher, segments: dict[object, _SegmentSets]):
        self.searcher = searcher
        self.size = searcher.doc_count_all()
        self._leaves = []
        live = 0
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            key = segment_id(reader)
            seg = segments.get(key)
            if seg is None:
                seg = segments[key] = _SegmentSets(reader)
            self._leaves.append((reader, offset, seg))
            seg_live = (1 << seg.size) - 1
            if reader.has_deletions():
                seg_live &= ~bitmap_of(reader.deleted_docs_set, seg.size)
            live |= seg_live << offset
        # Drop the caches of segments merged away.
        wanted = {segment_id(r) for r, _, _ in self._leaves}
        self.segment_ids = frozenset(wanted)
        for key in [k for k in segments if k not in wanted]:
            del segments[key]
        self.live = live
        self._values: dict[str, dict[str, int]] = {}
        self._phrases: dict[TextPhrase, int] = {}
        self._frequencies: dict[tuple[str, bytes], int] = {}

    def doc_frequency(self, fieldname: str, btext: bytes) -> int:
        """How many documents hold a term as Whoosh counts them for BM25F (deleted ones
        included until a merge), kept for the generation: Whoosh asks each segment again
        every time, and ranking asks for each term of a query two or three times (a tenth
        of a search's time over ten segments)."""
        key = (fieldname, btext)
        found = self._frequencies.get(key)
        if found is None:
            if len(self._frequencies) >= _FREQUENCIES:
                self._frequencies.clear()
            found = self._frequencies[key] = self.searcher.doc_frequency(fieldname, btext)
        return found

    def term(self, fieldname: str, text) -> int:
        """The live documents holding one term."""
        field = self.searcher.schema[fieldname] if fieldname in self.searcher.schema else None
        if field is None:
            return 0
        btext = field.to_bytes(text) if not isinstance(text, bytes) else text
        out = 0
        for reader, offset, seg in self._leaves:
            bits = seg.term(reader, fieldname, btext)
            if bits:
                out |= bits << offset
        return out & self.live

    def terms(self, fieldname: str, btexts: Iterable[bytes]) -> int:
        out = 0
        for btext in btexts:
            out |= self.term(fieldname, btext)
        return out

    def query(self, q: wq.Query) -> int:
        """The live documents matching a query (without scoring it)."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text)
        if isinstance(q, TextPhrase):
            return self.phrase(q)
        if isinstance(q, wq.And):
            out = self.live
            for sub in q.subqueries:
                out &= self.query(sub)
                if not out:
                    break
            return out
        if isinstance(q, wq.Or) and not q.minmatch:
            out = 0
            for sub in q.subqueries:
                out |= self.query(sub)
            return out
        if isinstance(q, wq.AndMaybe):
            return self.query(q.a)
        if isinstance(q, wq.AndNot):
            return self.query(q.a) & ~self.query(q.b)
        if isinstance(q, wq.Not):
            return self.live & ~self.query(q.query)
        if isinstance(q, wq.Every):
            return self.live
        if isinstance(q, wq.ConstantScoreQuery):
            return self.query(q.child)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return 0
        if isinstance(q, (wq.Prefix, wq.Wildcard)) and q.fieldname in self.searcher.schema:
            reader = self.searcher.reader()
            return self.terms(q.fieldname, q._btexts(reader))
        # Phrases and the rarer query kinds: Whoosh's own matching.
        return bitmap_of(self.searcher.docs_for_query(q), self.size) & self.live

    def phrase(self, q: TextPhrase) -> int:
        """The live documents holding a quoted phrase (see :class:`TextPhrase`)."""
        found = self._phrases.get(q)
        if found is None:
            candidates = self.query(q.child)
            wanted = pattern(q.words).encode("utf-8")
            found = 0
            for reader, offset, seg in self._leaves:
                mine = (candidates >> offset) & ((1 << seg.size) - 1)
                if mine:
                    found |= seg.phrase(reader, q.fieldname, wanted, mine) << offset
            self._phrases[q] = found
        return found

    def values(self, fieldname: str) -> dict[str, int]:
        """Every value of a facet field with its live documents (values with none left out)."""
        found = self._values.get(fieldname)
        if found is None:
            reader = self.searcher.reader()
            found = {}
            for btext in reader.lexicon(fieldname):
                bits = self.term(fieldname, btext)
                if bits:
                    found[btext.decode("utf-8")] = bits
            self._values[fieldname] = found
        return found


def segment_id(reader) -> object:
    """What identifies a segment reader's (immutable) segment across searchers."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is not None and hasattr(segment, "segment_id"):
        return segment.segment_id()
    return id(reader)
