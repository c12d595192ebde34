"""Quoted phrases: a record's texts kept as sequences of folded words, and finding a phrase in them.

The indexes keep no word positions and no word pairs: a phrase query finds the records
holding all its words (in the field asked), and then keeps those whose texts hold the
words side by side, in order, within one text. Pair postings were about a third of
everything the index wrote, for queries few people type.

A document's sequences are one string per field of :data:`FIELDS`: each of its texts as
``" w1 w2 w3 "`` (folded words, stop words kept, single spaces), the texts joined by a
newline. A phrase's :func:`pattern` holds no newline, so it never matches across texts.
The Whoosh index keeps them as a column (:func:`column_value`), in which one segment's
documents stand one after the other: :func:`holders` finds a phrase in all of them with
one C-level search of the segment's bytes rather than a Python step per document.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from .query import TEXT_FIELDS

__all__ = ["FIELDS", "SEPARATOR", "texts_of", "pattern", "column_value", "holders"]

# The text fields a phrase may be asked in, in the order a document's sequences are kept.
FIELDS = TEXT_FIELDS
# Between a document's fields in its column value: no pattern holds it, so none matches
# across two fields or two documents.
SEPARATOR = "\t"


def texts_of(texts: Sequence[Sequence[str]]) -> str:
    """One field's sequences from the folded words of each of its texts ('' for none)."""
    return "\n".join(f" {' '.join(words)} " for words in texts if words)


def pattern(words: Sequence[str]) -> str:
    """What a phrase of these folded words looks like inside a field's sequences."""
    return f" {' '.join(words)} "


def column_value(sequences: Sequence[str]) -> bytes:
    """A document's sequences as one value (UTF-8, the fields joined by :data:`SEPARATOR`)."""
    return SEPARATOR.join(sequences).encode("utf-8")


def holders(data: bytes, offsets: Sequence[int], lengths: Sequence[int], wanted: bytes,
            field: str | None = None) -> list[int]:
    """The documents whose :func:`column_value` holds the UTF-8 pattern ``wanted`` (in
    ``field``, or anywhere), ascending. ``data`` holds the values one after the other,
    document *d*'s at ``offsets[d]`` (ascending), ``lengths[d]`` bytes long."""
    out: list[int] = []
    index = None if field is None else FIELDS.index(field)
    sep = SEPARATOR.encode("ascii")
    find = data.find
    i = find(wanted)
    while i != -1:
        d = bisect_right(offsets, i) - 1  # of documents sharing an offset, the one not empty
        if index is None or data.count(sep, offsets[d], i) == index:
            out.append(d)
            i = find(wanted, offsets[d] + lengths[d])  # one hit is enough for a document
        else:
            i = find(wanted, i + 1)
    return out
