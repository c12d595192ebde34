"""The PostgreSQL index's documents as bitmaps, kept in the searching process.

Counting facets over a match set reads every matching row, and a word whose topic ~95 %
of the records hold makes that every row: hundreds of milliseconds at 100,000 records,
however the SQL is written. As the Whoosh index does (:mod:`.docsets`), a search here
works on bitmaps (a Python ``int``, bit *n* = the document numbered *n*, ``docno`` in
the search tables): the match set, every filter and every facet count are a few C-level
``&`` / ``|`` / ``bit_count()`` over them. PostgreSQL is asked only for what is small:
the documents of tokens few records hold, the ranking of those, and one page.

Kept per process, and current: each search reads the tables' change log position in its
own snapshot and applies what changed since (the log names the documents each write
touched; :func:`oerrepo.store.postgres_search.changed_documents` reads them), or reads
everything afresh after a rebuild (a new epoch) or when it fell too far behind.
Held: the live documents, each facet value's and each primary language's documents, and
the documents of the most recently used common tokens (those more than
:data:`~.query.COMMON` records hold, bounded in number); rare tokens are read per search.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ..store import postgres_search as sql
from .docsets import bitmap_of

__all__ = ["DocSets", "View"]

# Common token bitmaps kept: at most this many bytes together (each is size / 8 bytes).
_TOKEN_BYTES = 32 * 1024 * 1024
_MIN_TOKENS = 16
# Phrases whose documents are kept for the searches of one state of the index.
_PHRASES = 256


@dataclass(frozen=True)
class View:
    """The bitmaps of one moment: what a search reads (never changed once made)."""

    epoch: str | None
    position: int
    size: int  # bits: the highest document number + 1
    live: int
    codes: dict[int, int]  # facet code -> documents
    values: dict[int, tuple[str, str]]  # facet code -> (property, value)
    langs: dict[str, int]  # primary language subtag -> documents

    def facet(self, prop: str, values: Sequence[str]) -> int:
        """Documents holding one of ``values`` of ``prop`` (a language also takes its regional
        forms: "en" finds "en-GB"), as the SQL facet condition reads them."""
        wanted = set(values)
        prefixes = tuple(f"{v}-" for v in values) if prop == "inLanguage" else ()
        out = 0
        for code, (p, value) in self.values.items():
            if p == prop and (value in wanted or (prefixes and value.startswith(prefixes))):
                out |= self.codes.get(code, 0)
        return out

    def to_bytes(self, bits: int) -> bytes:
        """A bitmap as bytes covering every document number (for SQL's get_bit)."""
        return bits.to_bytes((self.size >> 3) + 1, "little")


class DocSets:
    """One process's bitmaps of a PostgreSQL search index (thread-safe; see the module docstring)."""

    def __init__(self, *, common: int):
        self.common = common
        self._lock = threading.Lock()
        self._view: View | None = None
        self._tokens: OrderedDict[str, int] = OrderedDict()  # common token -> documents, as of _view
        self._phrases: tuple[View | None, dict] = (None, {})  # phrase -> documents, as of a view

    def view(self, conn: Connection) -> tuple[View, int]:
        """The bitmaps as of ``conn``'s snapshot (or later: another thread may have read a newer
        one), brought up to date first; and the snapshot's own log position."""
        epoch, first, last = sql.position(conn)
        with self._lock:
            view = self._view
            if view is not None and view.epoch == epoch and view.position >= last:
                return view, last
            if view is None or view.epoch != epoch or view.position < first - 1:
                self._view = self._load(conn, epoch, last)
                self._tokens.clear()
            else:
                self._view = self._patch(conn, view, last)
            return self._view, last

    def _load(self, conn: Connection, epoch: str | None, position: int) -> View:
        live, codes, langs = [], {}, {}
        for kind, key, docnos in sql.all_documents(conn):
            if not docnos:
                continue
            if kind == "live":
                live = docnos
            elif kind == "code":
                codes[int(key)] = docnos
            else:
                langs[key] = docnos
        size = max(live, default=0) + 1
        return View(
            epoch=epoch,
            position=position,
            size=size,
            live=bitmap_of(live, size),
            codes={code: bitmap_of(d, size) for code, d in codes.items()},
            values=sql.facet_values(conn),
            langs={lang: bitmap_of(d, size) for lang, d in langs.items()},
        )

    def _patch(self, conn: Connection, view: View, position: int) -> View:
        changed = sql.changed_documents(conn, view.position, position)
        size = max([view.size - 1, *(docno for docno, *_ in changed)]) + 1
        touched = bitmap_of((docno for docno, *_ in changed), size)
        keep = ~touched
        now_live: list[int] = []
        by_code: dict[int, list[int]] = {}
        by_lang: dict[str, list[int]] = {}
        by_token: dict[str, list[int]] = {}
        for docno, codes, langs, tokens in changed:
            if codes is None:
                continue  # deleted: its bits are cleared below and set nowhere
            now_live.append(docno)
            for code in codes:
                by_code.setdefault(code, []).append(docno)
            for lang in langs:
                by_lang.setdefault(lang, []).append(docno)
            for token in tokens:
                if token in self._tokens:
                    by_token.setdefault(token, []).append(docno)

        def patched(old: dict, new: dict) -> dict:
            out = {key: bits & keep for key, bits in old.items()}
            for key, docnos in new.items():
                out[key] = out.get(key, 0) | bitmap_of(docnos, size)
            return out

        for token, bits in list(self._tokens.items()):
            self._tokens[token] = (bits & keep) | bitmap_of(by_token.get(token, ()), size)
        return View(
            epoch=view.epoch,
            position=position,
            size=size,
            live=(view.live & keep) | bitmap_of(now_live, size),
            codes=patched(view.codes, by_code),
            values=sql.facet_values(conn) if by_code.keys() - view.values.keys() else view.values,
            langs=patched(view.langs, by_lang),
        )

    def phrases(self, view: View, snapshot: int) -> dict | None:
        """The documents of the phrases found in ``view``'s very state (key -> bitmap), for
        the searches that read that state; None when ``snapshot`` (a search's own log
        position) is not that state: what it finds may not be kept."""
        if view.position != snapshot:
            return None
        with self._lock:
            kept_view, found = self._phrases
            if kept_view is not view:
                found = {}
                self._phrases = (view, found)
            elif len(found) >= _PHRASES:
                found.pop(next(iter(found)))  # the oldest
            return found

    def tokens(
        self, conn: Connection, view: View, snapshot: int, wanted: Iterable[tuple[str, str, int]]
    ) -> dict[str, int]:
        """The documents of each (key, tsquery text, document count) wanted, by key: kept
        bitmaps for common tokens (read once, then kept current), the others read now, in one
        statement. ``key`` is the marked token of a plain token (whose count, if over
        ``common``, makes it kept); the key of another tsquery starts with "?". ``snapshot``
        is the log position of ``conn``'s snapshot (see :meth:`view`)."""
        out: dict[str, int] = {}
        missing: dict[str, tuple[str, int]] = {}
        with self._lock:
            current = self._view is view
            for key, query, ndoc in wanted:
                bits = self._tokens.get(key) if current else None
                if bits is not None:
                    self._tokens.move_to_end(key)
                    out[key] = bits
                elif key not in out:
                    missing[key] = (query, ndoc)
        if not missing:
            return out
        keys = list(missing)
        found = sql.postings(conn, [missing[k][0] for k in keys])
        limit = max(_MIN_TOKENS, _TOKEN_BYTES // max(1, view.size >> 3))
        with self._lock:
            # Kept only when read in the very state the kept bitmaps are in (later changes then patch it).
            current = self._view is view and view.position == snapshot
            for key, docnos in zip(keys, found):
                # A document numbered beyond the view (written after it) is left out, as the view leaves it out.
                bits = bitmap_of((d for d in docnos if d < view.size), view.size) & view.live
                out[key] = bits
                # A token is kept when many documents hold it (by its count, or as found); other
                # tsqueries' keys start with "?".
                if current and max(missing[key][1], len(docnos)) > self.common and key[:1] != "?":
                    self._tokens[key] = bits
                    while len(self._tokens) > limit:
                        self._tokens.popitem(last=False)
        return out
