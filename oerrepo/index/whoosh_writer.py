"""Writing the Whoosh index quickly: pre-analysed terms, postings pooled by term.

These costs dominated a Whoosh build of our schema; none of the changes alters what is
indexed (tests/test_whoosh_writer.py compares the result with the index Whoosh's own
writer builds, posting by posting):

- analysis: every text went through Whoosh's tokenizer and filters, a Python generator
  and a Token object per word, although the document builder had analysed it already.
  :class:`TermsText` and :class:`TermsKeyword` take a function that gives exactly the
  terms their analyzer gives (one regular-expression pass) and count them directly,
  giving exactly the postings the token stream gave. Documents may also come as
  ``FIELDS_OF``: the fields are then made in the (sub-)process that writes them;
- writing the postings: Whoosh looks up the length of the document's field once per
  posting, reading it from the segment's length column through four calls and, for
  fields without lengths, a file-system check each time. :class:`SegmentWriter` reads
  each field's lengths once per segment instead. The sub-writers of a multi-process
  writer use it too. Whoosh's postings writer then takes each posting through a call,
  four type checks and the block's bounds one comparison at a time:
  :func:`_write_postings` fills its blocks a term at a time (slices, bounds in bulk) and
  lets it write them, byte for byte as it would (tests/test_whoosh_writer.py compares
  the files);
- adding a document: Whoosh hands the pool one tuple per posting; our fields' term
  counts go into it a field at a time (:meth:`SegmentWriter.add_document`, Whoosh's own
  path for documents with boosts, vectors or spelling words);
- pooling the postings: Whoosh keeps one tuple per posting, sorts them all at the end,
  and past its memory limit pickles them one by one into run files it merges posting
  by posting. :class:`_TermPool` groups them by term in compact arrays (a tenth of the
  memory), sorts only the terms, and spills and merges a term at a time.

Queries are unchanged: the fields keep their analyzers, which Whoosh uses to parse them.
"""

from __future__ import annotations

import heapq
import itertools
import multiprocessing
import os
import pickle
import queue as stdlib_queue
import re
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache

from whoosh import fields, multiproc, writing
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3FieldWriter, W3PostingsWriter, _lenfield
from whoosh.system import pack_uint, unpack_uint
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length

from .. import waiting
from ..subprocesses import start_indexing_helper

__all__ = [
    "CODEC", "FIELDS_OF", "SEGMENT_DOCS", "TermsText", "TermsKeyword", "SegmentWriter", "MpWriter", "open_writer", "spaced", "lines",
    "self_check",
]


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

    def __init__(self, *args, terms: Callable[[str], list[str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = terms

    def term_counts(self, value) -> Counter | None:
        """How often each term occurs in ``value`` (None: index it through the analyzer)."""
        if type(self.format).__name__ != "Frequency":
            return None
        if isinstance(value, list):
            return Counter(value)
        terms = getattr(self, "terms", None)  # a field unpickled from an index of an older version has none
        if isinstance(value, str) and terms is not None:
            return Counter(terms(value))
        return None

    def index(self, value, **kwargs):
        counts = None if kwargs else self.term_counts(value)
        if counts is None:
            return super().index(value, **kwargs)
        # (term bytes, frequency, weight, value bytes), as Whoosh's Frequency format gives
        # them for a token stream of these terms (each token weighs 1).
        boost = self.format.field_boost
        return [(term.encode("utf-8"), freq, freq * boost, pack_uint(freq)) for term, freq in counts.items()]


class TermsText(_Terms, fields.TEXT):
    """A TEXT field (frequencies, no positions) indexed by ``terms``, a function that
    splits a value into exactly the tokens ``analyzer`` makes of it, or given the list of
    those tokens."""


class TermsKeyword(_Terms, fields.KEYWORD):
    """A KEYWORD field indexed by ``terms`` (see :class:`TermsText`)."""


class _SegmentLengths:
    """A segment's field lengths, each field's column read once (see the module docstring)."""

    def __init__(self, reader, doc_count: int):
        self._reader = reader
        self._doc_count = doc_count
        self._columns: dict[str, list[int] | None] = {}

    def column(self, fieldname: str) -> list[int] | None:
        """Every document's length in a field (None for a field without lengths)."""
        lengths = self._columns.get(fieldname, False)
        if lengths is False:
            column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = None
            if column is not None:
                lengths = [byte_to_length(b) if b else 0 for b in (column[d] for d in range(self._doc_count))]
            self._columns[fieldname] = lengths
        return lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.column(fieldname)
        if lengths is None:
            return default
        return lengths[docnum] or default


# A posting of a term held in the pool as three floats: document number, weight and its
# value (an unsigned int, or one of these two codes). Whoosh's Frequency and Existence
# formats give exactly these values; any other kind of posting is kept as Whoosh keeps it.
_NO_VALUE, _EMPTY_VALUE = -1.0, -2.0
_KEY_BYTES, _POSTING_BYTES = 250, 26  # the memory a new term and a posting take, measured


def _value_code(vbytes) -> float | None:
    if vbytes is None:
        return _NO_VALUE
    if not vbytes:
        return _EMPTY_VALUE
    if len(vbytes) == 4:
        return float(unpack_uint(vbytes)[0])
    return None


@cache
def _value_bytes(code: float):
    if code == _NO_VALUE:
        return None
    if code == _EMPTY_VALUE:
        return b""
    return pack_uint(int(code))


class _ValueBytes(dict):
    """:func:`_value_bytes` by value code, as a dict: looked up a term at a time, its
    ``__getitem__`` costs a third of the cached function's call."""

    def __missing__(self, code: float):
        found = self[code] = _value_bytes(code)
        return found


_VALUE_BYTES = _ValueBytes()


class _TermPool(writing.PostingPool):
    """The postings of a segment grouped by term, in compact arrays, instead of Whoosh's pool
    of one tuple per posting, sorted at the end and pickled one by one to run files when
    it overflows (that sort and those pickles were half the cost of writing an index).

    Documents are numbered in the order they are added, so each term's postings arrive in
    order and only the terms are sorted. Past ``limitmb``, the pool writes its terms to a
    run file, one record per term, and merges the runs term by term at the end.
    """

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._terms: dict[tuple[str, bytes], array] = {}
        # Terms added by add_counts, by field and text: encoded once, when written.
        self._words: dict[str, dict[str, array]] = {}
        self._other: list[tuple] = []  # postings of other formats, as Whoosh's pool holds them

    def add(self, item):
        fieldname, tbytes, docnum, weight, vbytes = item
        code = _value_code(vbytes)
        if code is None or docnum < 0:  # docnum -1: a spelling word, which the writer ignores
            self.fieldnames.add(fieldname)
            self._other.append(item)
            self.currentsize += 150 + len(tbytes) + len(vbytes or b"")
        else:
            key = (fieldname, tbytes)
            postings = self._terms.get(key)
            if postings is None:
                postings = self._terms[key] = array("d")
                self.fieldnames.add(fieldname)
                self.currentsize += _KEY_BYTES + len(tbytes)
            postings.extend((docnum, weight, code))
            self.currentsize += _POSTING_BYTES
        if self.currentsize > self.limit:
            self.save()

    def add_counts(self, fieldname: str, docnum: int, counts: Counter, boost: float) -> None:
        """Add a document's postings of one field: what :meth:`add` does for each of
        ``(fieldname, term, docnum, freq * boost, pack_uint(freq))``."""
        words = self._words.get(fieldname)
        if words is None:
            words = self._words[fieldname] = {}
            self.fieldnames.add(fieldname)
        size = _POSTING_BYTES * len(counts)
        for term, freq in counts.items():
            postings = words.get(term)
            if postings is None:
                postings = words[term] = array("d")
                size += _KEY_BYTES + len(term)
            postings.extend((docnum, freq * boost, freq))
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()

    def save(self):
        """Write the pool's terms to a run file, in order, one pickle per term."""
        if not self._terms and not self._words:
            return
        path, f = self._new_run()
        with f:
            pickler = pickle.Pickler(f, pickle.HIGHEST_PROTOCOL)
            for key, postings in self._take_current():
                pickler.dump((key, postings.tobytes()))
                pickler.clear_memo()  # its memo would keep every term written alive until the end
        self.runs.append(path)
        self.currentsize = 150 * len(self._other)

    def _take_current(self) -> Iterator[tuple[tuple[str, bytes], array]]:
        """The terms held in memory, in order, and an empty pool for the next ones."""
        terms, words = self._terms, self._words
        self._terms, self._words = {}, {}
        by_field: dict[str, dict[bytes, array]] = {}
        for (fieldname, tbytes), postings in terms.items():
            by_field.setdefault(fieldname, {})[tbytes] = postings
        for fieldname in sorted(by_field.keys() | words.keys()):
            encoded = {text.encode("utf-8"): postings for text, postings in words.get(fieldname, {}).items()}
            for tbytes, postings in by_field.get(fieldname, {}).items():
                if tbytes in encoded:  # from both paths (a merged segment's postings): by document
                    both = itertools.chain(_triples(encoded[tbytes]), _triples(postings))
                    postings = array("d", itertools.chain.from_iterable(
                        (d, w, _value_code(v)) for d, w, v in sorted(both)))
                encoded[tbytes] = postings
            # Sorting the encoded terms: UTF-8 keeps the order of the code points.
            for tbytes in sorted(encoded):
                yield (fieldname, tbytes), encoded[tbytes]

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    key, raw = pickle.load(f)  # one unpickler a term: a shared one keeps all it read
                except EOFError:
                    return
                postings = array("d")
                postings.frombytes(raw)
                yield key, postings
        finally:
            f.close()
            try:
                self._remove_run(path)
            except FileNotFoundError:  # a write that failed: its temporary folder is gone already
                pass

    def terms(self) -> Iterator[tuple[tuple[str, bytes], Sequence]]:
        """(field name, term bytes) with the term's postings, in order: a flat array of
        (docnum, weight, value code) triples, or a list of (docnum, weight, vbytes)."""
        sources = [self._read_run(path) for path in self.runs]
        self.runs = []
        sources.append(self._take_current())
        if self._other:
            grouped: dict[tuple[str, bytes], list] = {}
            for fieldname, tbytes, docnum, weight, vbytes in self._other:
                if docnum >= 0:
                    grouped.setdefault((fieldname, tbytes), []).append((docnum, weight, vbytes))
            self._other = []
            sources.append(iter(sorted(grouped.items())))
        if len(sources) == 1:
            yield from sources[0]
            return
        # Runs hold later documents than the runs before them: equal terms join in run order
        # (heapq.merge gives equal items in the order of their sources, as sorted(chain) would).
        merged = heapq.merge(*sources, key=lambda t: t[0])
        for key, group in itertools.groupby(merged, key=lambda t: t[0]):
            parts = [p for _, p in group]
            if len(parts) == 1:
                yield key, parts[0]
            elif all(isinstance(p, array) for p in parts):
                joined = parts[0]
                for more in parts[1:]:
                    joined.extend(more)  # array to array: one copy, not a float object a value
                yield key, joined
            else:
                yield key, sorted(itertools.chain.from_iterable(_triples(p) for p in parts))

    def iter_postings(self):
        """The postings as Whoosh's pool gives them: (field, term, docnum, weight, vbytes)."""
        for (fieldname, tbytes), postings in self.terms():
            for docnum, weight, vbytes in _triples(postings):
                yield fieldname, tbytes, docnum, weight, vbytes

    def cleanup(self):
        for path in self.runs:
            try:
                self._remove_run(path)
            except OSError:
                pass
        self.runs = []
        self._terms, self._words = {}, {}
        self._other = []


def _triples(postings) -> Iterator[tuple[int, float, bytes | None]]:
    if isinstance(postings, array):
        for i in range(0, len(postings), 3):
            yield int(postings[i]), postings[i + 1], _value_bytes(postings[i + 2])
    else:
        yield from postings


def _write_postings(fieldwriter, schema, lengths: _SegmentLengths | None, terms) -> list[int]:
    """Give a segment's field writer its postings, term by term (what Whoosh's
    ``FieldWriter.add_postings`` does with one tuple per posting).

    Returns the number of postings of each term given to Whoosh's postings writer whole
    (see :func:`_add_whole_term`); the others went to it one posting at a time.
    """
    start_term, add, finish_term = fieldwriter.start_term, fieldwriter.add, fieldwriter.finish_term
    # Another codec's field writer gets every posting through its public add().
    whole = type(fieldwriter) is W3FieldWriter
    sizes: list[int] = []
    current = None
    column = None
    postwriter = unchecked = object()
    for (fieldname, tbytes), postings in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
            column = lengths.column(fieldname) if lengths is not None else None
            postwriter = unchecked
        start_term(tbytes)
        if postwriter is unchecked:  # a new postings writer each field: checked at its first term
            postwriter = _checked_postings_writer(fieldwriter) if whole else None
        if isinstance(postings, array):
            if (postwriter is not None and (len(postings) >= _WHOLE_FROM or len(postings) < 3 * postwriter._inlinelimit)
                    and _add_whole_term(postwriter, postings, column)):
                sizes.append(len(postings) // 3)
            else:
                for i in range(0, len(postings), 3):
                    docnum = int(postings[i])
                    add(docnum, postings[i + 1], _value_bytes(postings[i + 2]) or b"", column[docnum] if column else 0)
        else:
            for docnum, weight, vbytes in postings:
                add(docnum, weight, vbytes or b"", column[docnum] if column else 0)
        finish_term()
    if current is not None:
        fieldwriter.finish_field()
    return sizes


def _unfollowed_whoosh(detail: str):
    """The SearchError for a Whoosh whose writer works otherwise than this module relies on."""
    import whoosh

    from ..errors import SearchError

    return SearchError(
        f"this Whoosh ({'.'.join(map(str, whoosh.__version__))}) writes indexes in a way oerrepo's writer "
        f"does not follow ({detail}); install the version pyproject.toml names (whoosh-reloaded 2.7.x)"
    )


def _checked_postings_writer(fieldwriter) -> W3PostingsWriter | None:
    """The W3 field writer's postings writer, in a term just started, once its block buffer is
    seen to be what :func:`_add_whole_term` fills (SearchError if not); None for byte ids
    (vector postings), which keep Whoosh's path."""
    postwriter = getattr(fieldwriter, "_postwriter", None)
    if not isinstance(postwriter, W3PostingsWriter):
        raise _unfollowed_whoosh(f"the field writer's postings writer is {type(postwriter).__name__}")
    missing = object()
    differing = [
        f"{name}={value!r}" if value is not missing else f"no {name}"
        for name, expected in _BLOCK_STATE.items()
        if (value := getattr(postwriter, name, missing)) is missing or not expected(value)
    ]
    if differing:
        raise _unfollowed_whoosh(f"its postings writer, starting a term, holds {', '.join(differing)}")
    if postwriter._byteids or type(postwriter._ids) is not array or postwriter._ids.typecode != "I":
        return None
    return postwriter


def _empty_array(typecodes: str) -> Callable[[object], bool]:
    return lambda value: type(value) is array and value.typecode in typecodes and not value


# Terms of fewer postings (most terms: a word in one document) go a posting at a time:
# below about six postings, the set-up of a whole term costs more than it saves. Terms
# the codec may inline go whole, for their values (see _add_whole_term).
_WHOLE_FROM = 3 * 6

# What W3PostingsWriter.add_posting keeps of a block and what writes it, as start_postings
# leaves them for a term's first posting.
_BLOCK_STATE: dict[str, Callable[[object], bool]] = {
    "_blocklimit": lambda value: type(value) is int and value > 0,
    "_inlinelimit": lambda value: type(value) is int,
    "_byteids": lambda value: type(value) is bool,
    "_ids": lambda value: value == [] or _empty_array("I")(value),  # a list for byte ids
    "_weights": _empty_array("f"),
    "_values": lambda value: value == [] and type(value) is list,
    "_minlength": lambda value: value is None,
    "_maxlength": lambda value: value == 0,
    "_maxweight": lambda value: value == 0,
    "_terminfo": lambda value: value is not None,
    "_write_block": callable,
}


def _add_whole_term(postwriter: W3PostingsWriter, postings: array, column: list[int] | None) -> bool:
    """Fill a W3 postings writer's blocks with a term's postings (flat (docnum, weight, value
    code) triples) a block at a time, as its ``add_posting`` does one posting at a time; False,
    having added nothing, for postings of which some have values and some none.

    ``add_posting`` writes a full block when the next posting comes, so the last block
    (full or not) is left in the buffer for ``finish_postings``, which writes or inlines it.
    """
    codes = postings[2::3]
    if not codes:
        return False
    if min(codes) >= 0 and len(codes) < postwriter._inlinelimit:
        # Inlined postings are pickled with the term: one bytes object a posting, as Whoosh's
        # own pool holds them (a shared one would be pickled as a reference to the first).
        values = list(map(pack_uint, map(int, codes)))
    elif min(codes) >= 0:
        values = list(map(_VALUE_BYTES.__getitem__, codes))
    elif max(codes) < 0:
        values = None  # add_posting keeps no empty value
    else:
        return False
    docnums = array("I", list(map(int, postings[0::3])))
    weights = postings[1::3].tolist()
    lengths = list(map(column.__getitem__, docnums)) if column else None
    limit = postwriter._blocklimit
    for start in range(0, len(docnums), limit):
        if start:
            postwriter._write_block()
        end = start + limit
        block_weights = weights[start:end]
        postwriter._ids = docnums[start:end]
        postwriter._weights = array("f", block_weights)
        postwriter._values = values[start:end] if values else []
        # As add_posting: the highest weight from 0, lengths of 0 left out of both bounds.
        postwriter._maxweight = max(itertools.chain((0,), block_weights))
        if lengths is None:
            postwriter._minlength, postwriter._maxlength = None, 0
        else:
            counted = list(filter(None, lengths[start:end]))
            postwriter._minlength = min(counted, default=None)
            postwriter._maxlength = max(itertools.chain((0,), counted))
    return True


#: A keyword of ``add_document``/``update_document`` whose value is ``(function, argument)``:
#: the process that writes the document calls ``function(argument)`` for its fields. A
#: multi-process writer sends only the argument to its sub-processes, so the analysis of
#: the documents is spread over them instead of running in the process that feeds them.
FIELDS_OF = "_fields_of"


class SegmentWriter(writing.SegmentWriter):
    """Whoosh's segment writer, reading document lengths once per field when it writes postings,
    and taking fields made where the document is written (:data:`FIELDS_OF`)."""

    def __init__(self, ix, **kwargs):
        # Called by name, not super(): whoosh.multiproc's MpWriter calls this class's
        # __init__ on itself through the name replaced below.
        writing.SegmentWriter.__init__(self, ix, **kwargs)
        self.pool = _TermPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))
        SegmentWriter._read_schema(self)  # by name, as MpWriter comes here too

    def _read_schema(self) -> None:
        # Each field of the schema by name, and the names of those that take our path (no term
        # vectors, no separate spelling words): read once, where Whoosh's schema lookups cost
        # two calls a field a document, three times over.
        self._fields = dict(self.schema.items())
        self._plain_names = frozenset(
            name for name, field in self._fields.items() if not field.vector and not field.separate_spelling()
        )

    def add_field(self, fieldname, fieldspec, **kwargs):
        writing.SegmentWriter.add_field(self, fieldname, fieldspec, **kwargs)
        self._read_schema()

    def remove_field(self, fieldname, **kwargs):
        writing.SegmentWriter.remove_field(self, fieldname, **kwargs)
        self._read_schema()

    def add_document(self, **fields):
        later = fields.pop(FIELDS_OF, None)
        if later is not None:
            make, argument = later
            fields = make(argument)
        if not self._plain(fields):
            writing.SegmentWriter.add_document(self, **fields)
            return
        # What Whoosh's add_document does for documents without boosts, vectors, spelling
        # words or custom stored values, except that the terms of our fields go into the
        # pool a field at a time instead of one posting tuple at a time.
        self._check_state()
        known, pool, perdoc, docnum = self._fields, self.pool, self.perdocwriter, self.docnum
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):  # every one a field of the schema (see _plain)
                value = fields[name]
                if value is None:
                    continue
                field = known[name]
                length = 0
                if field.indexed:
                    counts = field.term_counts(value) if isinstance(field, _Terms) else None
                    if counts is not None:
                        pool.add_counts(name, docnum, counts, field.format.field_boost)
                        if field.scorable:
                            length = sum(counts.values())
                    else:
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if field.scorable:
                                length += freq
                            pool.add((name, tbytes, docnum, weight, vbytes))
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _plain(self, fields) -> bool:
        # Boosts and custom stored values ("_..."), fields the schema lacks (Whoosh's error), term
        # vectors and spelling words: Whoosh's own path.
        return type(self.pool) is _TermPool and self._plain_names.issuperset(fields)

    def _flush_segment(self):
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _SegmentLengths(reader, self.docnum) if reader is not None else None
        self._whole_terms = _write_postings(self.fieldwriter, self.schema, lengths, self.pool.terms())
        self.fieldwriter.close()
        if reader is not None:
            reader.close()


class _Watched:
    """A queue between a multi-process writer and its sub-processes that notices one that died
    (Whoosh's writer would wait for it forever, or commit without its documents)."""

    def __init__(self, queue, writer: MpWriter):
        self._queue, self._writer = queue, writer

    def put(self, item, block=True, timeout=None):
        while True:
            try:
                return self._queue.put(item, block, 0.5 if block and timeout is None else timeout)
            except stdlib_queue.Full:
                self._writer.check_tasks(taking_jobs=True)
                if timeout is not None or not block:
                    raise

    def get(self, block=True, timeout=None):
        try:
            return self._queue.get(block, timeout)
        except stdlib_queue.Empty:
            self._writer.check_tasks()
            raise

    def __getattr__(self, name):
        return getattr(self._queue, name)


def _run_sub_writer(args: tuple) -> None:
    # Whoosh's sub-process body, ending when the process that started it is gone (Whoosh's
    # would wait for its next job forever), and leaving Ctrl-C to it.
    start_indexing_helper()
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    *whoosh_args, segment_docs, cut, cut_docs = args
    _SubWriterTask(*whoosh_args, segment_docs=segment_docs, cut=cut, cut_docs=cut_docs).run()


# A sub-process of a multi-process writer writes what it holds as a segment of its own every
# this many documents, while the job goes on: what is left to write when the job ends is
# at most this much. Without it each sub-process held all its documents to the end (half of
# a 100,000-record harvest's or reindex's postings, pooled, spilled and merged again), and
# the job's last seconds were spent writing them while nothing else ran. Segments this
# large are left alone by Whoosh's merge policy, as those of a kept writer are.
# It also bounds a sub-process's memory: at 10,000 a writer held ~20 MB more than at 5,000
# (imports and reindexes of 20,000 records as fast; 100,000-record searches ~0.2 ms slower).
SEGMENT_DOCS = 5_000

# A cut asked for by the parent (MpWriter.cut_segments), and each segment written after it
# as the job's last documents come, holds at least this many documents: fewer are written
# at the commit in a moment anyway.
CUT_DOCS = 250

# Seconds a sub-process takes to write a segment, per document it holds, while the job
# goes on beside it (a harvest of 20,000 records at 50 ms a page: 3,800-4,000 documents in
# 1.1-1.4 s, on a 2-core machine). A job near its end asks for a cut once what the
# processes hold and the documents still to come take as long to write as the job has
# left (whoosh_backend.WhooshBackend.feed_ending). Early costs a few small segments more;
# late leaves the rest to write after the last page (at 0.00025 s, 0.4-0.5 s of it).
SEGMENT_SECONDS_PER_DOC = 0.0004


class _SubWriterTask(multiproc.SubWriterTask):
    """Whoosh's sub-process body, writing a segment every ``segment_docs`` documents.

    Each segment is written in a thread of its own while the next documents are added to
    a new one: the queue of jobs keeps moving, so the process that feeds it never waits.

    Once the parent sets ``cut`` (a shared integer: 1 + the documents it still expects
    each process to get, 0 until then), the process writes what it holds, and then, for
    those documents, a segment each time the one before is written: the job's last
    documents are written as they come, so that its commit writes only the last few. A
    segment so cut holds ``cut_docs`` documents at least.
    """

    def __init__(self, *args, segment_docs: int = SEGMENT_DOCS, cut=None, cut_docs: int = CUT_DOCS):
        super().__init__(*args)
        self.segment_docs, self.cut, self.cut_docs = segment_docs, cut, cut_docs

    def _process_file(self, filename, doc_count):
        # A job file holds its documents as one pickle (see MpWriter._enqueue), where Whoosh's
        # holds one per document.
        tempstorage = self.writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as f:
            jobs = pickle.load(f)
        tempstorage.delete_file(filename)
        if len(jobs) != doc_count:
            raise ValueError(f"the job file {filename} holds {len(jobs)} documents, not {doc_count}")
        add = self.writer.add_document
        for code, values in jobs:
            if code != 0:  # Whoosh's only job: add a document
                raise ValueError(f"the job file {filename} holds a job of code {code!r}")
            add(**values)

    def run(self):
        ix = self.storage.open_index(self.indexname)
        self.writer = SegmentWriter(ix, _lk=False, **self.kwargs)
        written: list[Future] = []  # the segments written aside, in order
        added = 0  # documents this process was given
        stream_until = None  # once the parent cut: the count up to which segments are cut as they come
        with ThreadPoolExecutor(1, thread_name_prefix="oerrepo-segment") as aside:
            while self.running:
                jobinfo = self.jobqueue.get()
                if jobinfo is None:
                    break
                before = self.writer.docnum
                self._process_file(*jobinfo)
                added += self.writer.docnum - before
                due = self.writer.docnum >= self.segment_docs
                if stream_until is None and self.cut is not None and self.cut.value:
                    # Twice what the parent expects, as a list's documents need not come evenly
                    # to both processes; then segments of segment_docs again (a list longer than
                    # its partner said is not cut into hundreds of small segments).
                    stream_until = added + 2 * (self.cut.value - 1) + self.cut_docs
                if stream_until is not None and added <= stream_until and self.writer.docnum >= self.cut_docs:
                    due = due or not written or written[-1].done()  # the segment before is written
                if due:
                    written.append(aside.submit(self.writer._finalize_segment))
                    self.writer = SegmentWriter(ix, _lk=False, **self.kwargs)
            if not self.running:
                self.writer.cancel()
                return
            segments = [future.result() for future in written]
        if self.writer.docnum or not segments:
            segments.append(self.writer._finalize_segment())
        else:  # nothing since the last segment: its empty files go with the commit's clean-up
            self.writer._close_segment()
        self.resultqueue.put((None, None, segments), timeout=5)


class MpWriter(multiproc.MpWriter):
    """Whoosh's multi-process writer, whose own segment is written as :class:`SegmentWriter` writes,
    and which stops with an error when one of its sub-processes died.

    Each sub-process writes segments of its own (Whoosh's ``multisegment``, whatever is
    asked): Whoosh's other way, merging the sub-processes' postings into one segment, reads
    the run files of its own posting pool, which :class:`_TermPool` writes differently.
    """

    _flush_segment = SegmentWriter._flush_segment

    def __init__(self, ix, *, segment_docs: int = SEGMENT_DOCS, cut_docs: int | None = None, **kwargs):
        kwargs["multisegment"] = True
        super().__init__(ix, **kwargs)
        self.segment_docs = segment_docs  # see _SubWriterTask
        self.cut_docs = CUT_DOCS if cut_docs is None else cut_docs
        # Where this process runs threads, the sub-processes are spawned, and their queues
        # must come from the same context as they (Whoosh makes them in the default one).
        self._spawned = threading.active_count() > 1
        context = multiprocessing.get_context("spawn") if self._spawned else multiprocessing.get_context()
        if self._spawned:
            self.jobqueue, self.resultqueue = context.Queue(self.procs * 4), context.Queue()
        self._cut = context.Value("q", 0, lock=False)  # set once, by cut_segments
        self.jobqueue = _Watched(self.jobqueue, self)
        self.resultqueue = _Watched(self.resultqueue, self)

    def _new_task(self):
        # Spawned (started afresh) in a process that runs threads (a harvest fetching its next
        # page): a forked one would get their locks in whatever state they were. Spawned, it
        # imports this module, so it writes as ours do (see below).
        context = multiprocessing.get_context("spawn") if self._spawned else multiprocessing.get_context()
        args = (self.storage, self.indexname, self.jobqueue._queue, self.resultqueue._queue, self.subargs,
                self.multisegment, self.segment_docs, self._cut, self.cut_docs)
        task = context.Process(target=_run_sub_writer, args=(args,), name="oerrepo-index-writer")
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self):
        # Whoosh pickles each document of a job on its own; one pickle of them all shares what
        # they have in common (the function making their fields, the vocabulary's labels each
        # record's concepts repeat). For 20,000 harvested records: 25 MB of job files written
        # and read back in 0.13 + 0.35 s of CPU, as one pickle a job 11 MB in 0.07 + 0.06 s.
        docbuffer = self.docbuffer
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            f.write(pickle.dumps(docbuffer, pickle.HIGHEST_PROTOCOL))
        if len(self.tasks) < self.procs:
            self._new_task()
        self.jobqueue.put((filename, len(docbuffer)))
        self.docbuffer = []

    def _commit(self, mergetype, optimize, merge):
        # Whoosh's commit of a multi-segment writer, taking a list of segments from each
        # sub-process (see _SubWriterTask) where Whoosh's take one.
        if self.docbuffer:
            self._enqueue()
        for _task in self.tasks:
            self.jobqueue.put(None)
        final = self._merge_segments(mergetype, optimize, merge)
        for task in self.tasks:
            waiting.join(task)
        for _task in self.tasks:
            try:
                _, _, segments = self.resultqueue.get(timeout=1)
            except stdlib_queue.Empty:  # a failed sub-process raised SearchError already (_Watched)
                from ..errors import SearchError

                raise SearchError(
                    "an indexing process ended without handing over what it wrote; nothing of this write reached "
                    "the search index; run 'oerrepo reindex'"
                ) from None
            final.extend(segments)
        if self._added:
            final.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(final)
        self._finish()

    def cut_segments(self, coming: int = 0) -> None:
        """Let each sub-process write what it holds now, as a segment, while it goes on with the
        documents that follow; and then, for the next ``coming`` documents it gets, write a
        segment each time the one before is written (once a writer; see :data:`CUT_DOCS`).

        For a job near its end whose documents come slower than they are written (a harvest
        over the network): what the commit then writes is what came last, not the whole job.
        """
        self._cut.value = 1 + max(0, coming)

    def check_tasks(self, *, taking_jobs: bool = False) -> None:
        """Raise SearchError when a sub-process ended with an error (its documents are lost), or,
        ``taking_jobs`` (jobs wait for them), when every one has ended, whatever its exit code."""
        from ..errors import SearchError

        failed = [task.exitcode for task in self.tasks if task.exitcode not in (None, 0)]
        if failed:
            raise SearchError(
                f"an indexing process stopped with exit code {failed[0]} (its error is printed above); nothing "
                "of this write reached the search index; run 'oerrepo reindex' once the cause is fixed"
            )
        # Ended well without being told to, they take no job, and the jobs would wait for ever:
        # Python runs the program's main script again in each of them, and one that exits with
        # 0 at its top level ends them (see subprocesses.check_not_rerunning_main).
        if taking_jobs and self.tasks and all(task.exitcode is not None for task in self.tasks):
            raise SearchError(
                "the indexing processes ended, without an error, before they were given every document (Python "
                "runs a program's main script again in each process it starts: one that exits at its top level, "
                "outside if __name__ == \"__main__\":, ends them too); nothing of this write reached the search "
                "index; run 'oerrepo reindex'"
            )

    def cancel(self):
        # Whoosh's cancel flags its sub-processes only in this process: they would go on with
        # job files whose folder the cancel removes, and print the errors that follow.
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            if task.pid is not None:  # one that failed to start has nothing to wait for
                task.join()
        writing.SegmentWriter.cancel(self)


# The sub-writers of a multi-process writer are created by name inside whoosh.multiproc
# (in the worker processes, which inherit this module state): they write as ours do.
multiproc.SegmentWriter = SegmentWriter


# The codec of the segments our writers write: Whoosh's, with posting blocks written as they
# are rather than each compressed by zlib. Most blocks are small (a 20,000-record harvest's
# average 110 bytes): compressing them took a twelfth of a writer's time (0.24 s of 2.9 s
# for 10,000 of those records, 0.40 s of 3.7 s for 10,000 imported ones) to save 14 % of
# the index's size (32 against 37 MB for the 20,000). Every block says whether it is
# compressed, so segments written before are read as they were.
CODEC = W3Codec(compression=0)


def open_writer(ix, *, procs: int = 1, timeout: float = 0.0, delay: float = 0.1, **settings):
    """A writer for the index ``ix``: one process, or ``procs`` processes (Whoosh's MpWriter)
    where this process may start processes (a daemonic one may not: it gets one).

    Raises whoosh's LockError when another writer holds the index for ``timeout`` seconds.
    """
    settings.setdefault("codec", CODEC)
    # A daemonic process (the indexing process following a harvest) may not start processes.
    if procs > 1 and not multiprocessing.current_process().daemon:
        return MpWriter(ix, procs=procs, timeout=timeout, delay=delay, **settings)
    settings.pop("segment_docs", None)  # one process writes one segment at its commit
    settings.pop("cut_docs", None)
    return SegmentWriter(ix, timeout=timeout, delay=delay, **settings)


@cache  # once a process (and once a Whoosh version for an index folder: see WhooshBackend)
def self_check() -> None:
    """Build a small index with :func:`open_writer` and with Whoosh's own writer and compare
    them posting by posting; SearchError if they differ.

    The writer above relies on parts of Whoosh a release may change (the segment writer's
    per-document writer and state, the posting pool's run files, the length column, the
    postings writer's block buffer, the multi-process writer's document buffer): a Whoosh
    that differs fails loudly here instead of writing an index that reads wrong.
    """
    import shutil
    import tempfile

    from whoosh import index as windex
    from whoosh.analysis import RegexTokenizer

    from ..errors import SearchError

    # MpWriter._enqueue replaces Whoosh's job files (read back by _SubWriterTask._process_file):
    # Whoosh's add_document must still buffer the documents and hand the buffer to _enqueue.
    buffered = multiproc.MpWriter.add_document.__code__.co_names
    if "_enqueue" not in buffered or "docbuffer" not in buffered:
        raise _unfollowed_whoosh("its multi-process writer no longer hands its document buffer to _enqueue")

    def schema(fast: bool):
        date = fields.NUMERIC(int, bits=32, sortable=True, signed=True)
        date.indexed = False  # a sort column only, as the index keeps dates
        return fields.Schema(  # Whoosh's side indexes through the analyzers' token streams
            id=fields.ID(stored=True, unique=True),
            text=TermsText(analyzer=RegexTokenizer(r"\S+"), terms=spaced if fast else None, phrase=False),
            tags=TermsKeyword(analyzer=RegexTokenizer(r"[^\n]+"), terms=lines if fast else None),
            date=date,
        )

    docs = [
        {"id": str(i), "text": " ".join(["common"] * (1 + i % 5) + [f"w{i % 17}", "ünï"] * (i % 3)),
         "tags": "\n".join(f"t{j}" for j in range(i % 4)), "date": i * 7 - 300}
        for i in range(300)  # more postings than a block holds (128), and a pool that overflows
    ]
    whole_terms: list[int] = []
    folder = tempfile.mkdtemp(prefix="oerrepo-writer-check-")
    try:
        built = []
        for kind in ("whoosh", "ours"):
            ix = windex.create_in(folder, schema(kind == "ours"), indexname=kind)
            if kind == "whoosh":
                writer = writing.SegmentWriter(ix)
                for doc in docs:
                    writer.add_document(**{k: v for k, v in doc.items()})
            else:
                writer = open_writer(ix, limitmb=0.01)
                for doc in docs:
                    writer.add_document(**{FIELDS_OF: (dict, doc)})
            writer.commit()
            if kind == "ours":
                whole_terms = writer._whole_terms
            with ix.searcher() as searcher:
                reader = searcher.reader()
                postings = {}
                for fieldname, text in reader.all_terms():
                    matcher = reader.postings(fieldname, text)
                    found = []
                    while matcher.is_active():
                        found.append((matcher.id(), matcher.weight(), matcher.value()))
                        matcher.next()
                    postings[(fieldname, text)] = found
                lengths = [reader.doc_field_length(d, "text") for d in range(reader.doc_count_all())]
                dates = list(reader.column_reader("date"))
                stored = list(searcher.all_stored_fields())
            ix.close()
            built.append((postings, lengths, dates, stored))
        if built[0] != built[1]:
            raise AssertionError("the index written differs from the one Whoosh's own writer writes")
        # The terms given to the postings writer whole: one of several blocks ("common", in
        # every document), others of one block.
        if not whole_terms or max(whole_terms) != len(docs) or min(whole_terms) > 128:
            raise AssertionError(f"the postings of {len(whole_terms)} terms were written a term at a time")
    except SearchError:
        raise
    except Exception as exc:
        raise _unfollowed_whoosh(str(exc)) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
