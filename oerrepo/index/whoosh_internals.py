"""The one place that reads Whoosh-Reloaded's private posting and length structures.

Counting and ranking 100,000 records a posting at a time through Whoosh's public
matchers costs several microseconds per posting; reading a term's posting *blocks*
(ids and weights as arrays) and a field's length bytes as one string is an order of
magnitude faster (see :mod:`.docsets` and :mod:`.ranking`); so is reading a column of
byte strings as one string (the texts a quoted phrase is looked for in, see
:mod:`.phrases`). Those structures are private to Whoosh (``W3LeafMatcher._read_ids``,
``._ids``, ``._weights``, ``._next_block``; the per-document length column; a
``VarBytesColumn`` reader's data, offsets and lengths), so every access lives here, and
:func:`self_check` compares them with Whoosh's public API on a small in-memory index
the first time a Whoosh index is opened: a Whoosh release that changed them fails
loudly (:class:`~oerrepo.errors.SearchError`) instead of returning wrong results.
The public fallbacks below keep working for matchers of another type.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from ..errors import SearchError

__all__ = ["posting_ids", "posting_blocks", "length_bytes", "column_bytes", "field_b", "self_check"]


def _leaf(reader, fieldname: str, btext: bytes):
    try:
        matcher = reader.postings(fieldname, btext)
    except TermNotFound:
        return None
    if isinstance(matcher, FilterMatcher):  # deletions: the callers mask them with their own bitmap
        matcher = matcher.child
    return matcher


def posting_blocks(reader, fieldname: str, btext: bytes) -> Iterator[tuple[tuple, tuple]]:
    """(ids, weights) block by block of one term in one segment, deleted documents included."""
    matcher = _leaf(reader, fieldname, btext)
    if matcher is None:
        return
    if type(matcher) is not W3LeafMatcher:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield tuple(ids), tuple(weights)
        return
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


def posting_ids(reader, fieldname: str, btext: bytes) -> list[int]:
    """Every document number in a segment's postings of one term, deleted ones included."""
    matcher = _leaf(reader, fieldname, btext)
    if matcher is None:
        return []
    if type(matcher) is not W3LeafMatcher:
        return list(matcher.all_ids())
    out: list[int] = []
    while matcher.is_active():  # whole blocks at a time rather than one id per Python call
        matcher._read_ids()
        out.extend(matcher._ids)
        matcher._next_block()
    return out


def length_bytes(reader, fieldname: str) -> bytes:
    """A segment's length byte of one field for every document (b"" when unknown)."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return b""
    column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if column is None:
        return b""
    try:  # one byte per document, stored contiguously
        return column._dbfile.get(column._basepos, column._count)
    except AttributeError:
        return bytes(column[i] for i in range(reader.doc_count_all()))


def column_bytes(reader, fieldname: str) -> tuple[bytes, Sequence[int], Sequence[int]]:
    """A segment's byte-string column as (data, offsets, lengths): document *d*'s value is
    ``data[offsets[d]:offsets[d] + lengths[d]]`` (empty data when the segment has no column)."""
    if not reader.has_column(fieldname):
        return b"", (), ()
    column = reader.column_reader(fieldname, translate=False)
    try:  # the values stored one after the other, then their lengths (and offsets)
        offsets, lengths = column._offsets, column._lengths
        return column._dbfile.get(column._basepos, sum(lengths)), offsets, lengths
    except AttributeError:
        values = list(column)
        offsets, pos = [], 0
        for value in values:
            offsets.append(pos)
            pos += len(value)
        return b"".join(values), offsets, [len(v) for v in values]


def field_b(weighting, fieldname: str) -> float:
    """BM25F's B parameter for a field."""
    return weighting._field_B.get(fieldname, weighting.B)


@cache
def self_check() -> None:
    """Compare the private reads above with Whoosh's public API on a small index; SearchError if they differ."""
    import shutil
    import tempfile

    from whoosh import fields
    from whoosh import index as windex
    from whoosh.util.numeric import length_to_byte

    schema = fields.Schema(id=fields.ID(stored=True), text=fields.TEXT(phrase=False), raw=fields.COLUMN())
    # A folder of its own (Whoosh's in-memory storage spills to one temporary folder shared
    # by every process, so two processes starting at once would trip over each other).
    folder = tempfile.mkdtemp(prefix="oerrepo-whoosh-check-")
    ix = windex.create_in(folder, schema)
    writer = ix.writer()
    # More postings than one block holds (128), and lengths that differ.
    for i in range(130):
        writer.add_document(id=str(i), text=" ".join(["common"] * (1 + i % 5) + (["rare"] if i % 7 == 0 else [])),
                            raw=f"value {i}".encode() * (i % 3))
    writer.commit()
    try:
        with ix.searcher() as searcher:
            for sub, _offset in searcher.leaf_searchers():
                reader = sub.reader()
                for word in (b"common", b"rare"):
                    public = reader.postings("text", word)
                    want_ids, want_weights = [], []
                    while public.is_active():
                        want_ids.append(public.id())
                        want_weights.append(public.weight())
                        public.next()
                    got_ids, got_weights = [], []
                    for ids, weights in posting_blocks(reader, "text", word):
                        got_ids += list(ids)
                        got_weights += list(weights)
                    if got_ids != want_ids or got_weights != want_weights or posting_ids(reader, "text", word) != want_ids:
                        raise AssertionError(f"postings of {word!r} read differently")
                lengths = length_bytes(reader, "text")
                want = bytes(length_to_byte(reader.doc_field_length(d, "text")) for d in range(reader.doc_count_all()))
                if lengths != want:
                    raise AssertionError("field lengths read differently")
                data, offsets, sizes = column_bytes(reader, "raw")
                values = [data[offsets[d]:offsets[d] + sizes[d]] for d in range(reader.doc_count_all())]
                if values != list(reader.column_reader("raw", translate=False)):
                    raise AssertionError("a column of byte strings read differently")
    except Exception as exc:
        import whoosh

        raise SearchError(
            f"this Whoosh ({'.'.join(map(str, whoosh.__version__))}) stores postings, lengths or columns in a way oerrepo "
            f"cannot read ({exc}); install the version pyproject.toml names (whoosh-reloaded 2.7.x)"
        ) from exc
    finally:
        ix.close()
        shutil.rmtree(folder, ignore_errors=True)
