"""The PostgreSQL implementation of :class:`SearchBackend`: search inside the database.

Used when the store is on PostgreSQL, so every web worker searches the same index without
a shared disk. The documents are analysed in Python by the same code as the Whoosh
index (:mod:`.tokens`) and stored as tsvectors; queries are read and planned by the same
code too (:mod:`.query`), with the search tables answering the planner's questions
(:class:`PostgresLexicon`). So both backends find the same records for the same words.
"Did you mean" uses trigram similarity (pg_trgm) over the indexed words.

A search counts in this process: the match set, the filters and every facet count are
bitmaps (:mod:`.postgres_docsets`: those of facet values and of tokens thousands of
records hold are kept per process and followed through the tables' change log; the
others are read per search through the GIN index). SQL then scores only the rows the
query's rare parts reach (the others rank as equals, the query's language first, then
the most recent, as the Whoosh index ranks tokens held by over ``COMMON`` records as
constants) and reads one page along the order's index. A search is one statement
asking whether the index is current, then one read transaction of four or five.

The index follows the store's change sequence like the Whoosh one, but more strictly:
documents and the last applied seq are written in one transaction, so the two can never
disagree, and a transaction-level advisory lock keeps two writers from applying the same
changes at once.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future

from sqlalchemy import Connection

from .. import licenses, waiting
from ..errors import SearchError
from ..store import Store
from ..store import postgres_search as sql
from .analysis import fold, folded_words, primary_language
from .backend import FACETS, Hit, IndexDocument, IndexEntry, SearchRequest, SearchResult, check_page
from .docsets import bitmap_of, ids_of
from .fed import FedChanges
from .postgres_docsets import DocSets, View
from .postgres_rows import RowWorkers, rows_of
from .query import COMMON, _all_stopwords, exact_title, parse, plan
from .schema import SCHEMA_VERSION
from .snippets import snippet
from .whoosh_query import coordination_groups

__all__ = ["PostgresBackend", "PostgresLexicon"]

_BATCH = 500
# Statistics are refreshed after an apply of this many changes (autovacuum sees to smaller ones).
_ANALYZE_AFTER = 5000
_MARKS = sql.MARKS
_quote = sql._quote

log = logging.getLogger(__name__)


def _marked(kind: str, token: str) -> str:
    return _MARKS[kind] + token


class _Beside:
    """The search rows of one long write transaction (an import), written as they are built
    in a transaction of the index's own on a second connection, which commits once the
    store's transaction has: the database writes the rows on one backend while the import
    stores its records on the other, where it wrote both, one after the other, on one.

    Committed first, the rows would name records that are not stored (and stay so, were the
    store's transaction to roll back); so :meth:`commit` is for after that commit only, and
    :meth:`rollback` for when it failed. Rows that could not be built or written before then
    fail the store's transaction (:meth:`check`), as they did when it wrote them itself; rows
    that could not be committed after it are left out (logged): their records are indexed
    from the store by the catch-up, as any change is."""

    def __init__(self, store: Store):
        self._conn = store.engine.connect()
        self._transaction = self._conn.begin()
        self._queue: queue.Queue = queue.Queue(maxsize=1)  # rows built while a batch is written, no more
        self._written = FedChanges()
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        try:
            self.started = sql.begin_apply(self._conn, False) is not None  # not while another writer applies
        except BaseException:
            self._end()
            raise
        if not self.started:
            self._end()
            return
        self._thread = threading.Thread(target=self._run, name="oerrepo-search-rows", daemon=True)
        self._thread.start()

    def put(self, handle: list[Future], seqs: list[int]) -> None:
        """Write these rows (being built) after those put before; waits while a batch waits
        already. Raises what stopped the writing of rows put before."""
        self.check()
        self._put((handle, seqs))

    def check(self) -> None:
        """Raise what stopped the writing (the rows could not be built or written): the store's
        transaction fails with it, as it did when it wrote them itself."""
        if self._failure is not None:
            raise self._failure

    def drain(self) -> None:
        """Wait until every row put is written (in the transaction, not committed); raise what
        stopped it."""
        written = threading.Event()
        self._put((written, []))
        while self._thread is not None and self._thread.is_alive() and not written.wait(waiting.SLICE):
            pass
        self.check()

    def _put(self, item: tuple) -> None:
        while True:
            try:
                self._queue.put(item, timeout=waiting.SLICE)  # a timeout, for Ctrl-C
                return
            except queue.Full:
                if self._thread is None or not self._thread.is_alive():
                    return

    def commit(self, fed: FedChanges) -> None:
        """The store's transaction has committed: commit the rows, and count their changes as
        fed. Rows that could not be written or committed are left to the catch-up (logged)."""
        failure = self._stop()
        if failure is None:
            try:
                self._transaction.commit()
            except Exception as exc:  # noqa: BLE001 - nothing is lost: the catch-up indexes these records
                failure = exc
            else:
                fed.update(self._written)
        if failure is not None:
            log.warning("the search rows of the records just stored were not committed (%s); "
                        "they are indexed from the store now", failure)
        self._end()

    def rollback(self) -> None:
        """The store's transaction rolled back: so do the rows."""
        self._stop()
        self._end()

    def _stop(self) -> BaseException | None:
        if self._thread is not None:
            self._put((None, []))  # the end of the rows
            waiting.join(self._thread)
            self._thread = None
        return self._failure

    def _end(self) -> None:
        """Close the connection: a transaction still open rolls back (nothing to do on a broken one)."""
        try:
            self._conn.close()
        except Exception as exc:  # noqa: BLE001 - the server ended it: nothing of it is kept
            log.debug("closing the search rows' connection: %s", exc)

    def _run(self) -> None:
        while True:
            handle, seqs = self._queue.get()
            if handle is None:
                return
            if isinstance(handle, threading.Event):  # drain(): all before it is written
                handle.set()
                continue
            if self._failure is not None:
                continue  # the transaction failed: only emptying the queue, for put() not to wait
            try:
                _Feeding.write(self._conn, handle)
                for seq in seqs:
                    self._written.add(seq)
            except BaseException as exc:  # noqa: BLE001 - raised in the store's thread by check()
                self._failure = exc


class _Feeding:
    """Rows fed in one write transaction after another (see :meth:`PostgresBackend.feed`)."""

    def __init__(self, conn: Connection, workers: RowWorkers, beside: _Beside | None = None):
        self.conn, self.workers, self.beside = conn, workers, beside
        self.pending: tuple[list[Future], list[int]] | None = None  # rows being built and their changes
        self.fed = FedChanges()  # the changes whose rows were written
        self._writing: threading.Thread | None = None  # writing rows apart (see write_committed)

    def write_pending(self) -> None:
        """Write the rows built so far: into the transaction, or hand them to the transaction
        beside it (see :class:`_Beside`)."""
        self.settle()
        if self.pending is None:
            return
        (handle, seqs), self.pending = self.pending, None
        if self.beside is not None:
            self.beside.put(handle, seqs)
            return
        self.write(self.conn, handle)
        self._fed(seqs)

    def write_committed(self, store: Store) -> None:
        """Write the rows built so far, of a transaction that has committed, in a transaction of
        their own, in a thread: the caller's next transaction goes on meanwhile (a harvest's
        next page), instead of writing them first and holding the store's write lock while the
        database updates the search tables' indexes. Where another writer holds the index, the
        rows are left out: the next apply indexes their records from the store."""
        self.settle()
        if self.pending is None:
            return
        pending, self.pending = self.pending, None
        self._writing = threading.Thread(target=self._write_apart, args=(store, *pending),
                                         name="oerrepo-search-rows", daemon=True)
        self._writing.start()

    def settle(self) -> None:
        """Wait for the rows being written apart."""
        if self._writing is not None:
            waiting.join(self._writing)
            self._writing = None

    def commit_beside(self) -> None:
        """The feeding transaction has committed: so do the rows written beside it."""
        beside, self.beside = self.beside, None
        if beside is None:
            return
        if self.pending is not None:  # the last rows, built while the store committed
            (handle, seqs), self.pending = self.pending, None
            with contextlib.suppress(Exception):  # what stopped the rows: commit() says so and leaves them out
                beside.put(handle, seqs)
        beside.commit(self.fed)

    def close(self) -> None:
        """The feeding ends without a commit of its rows (rolled back, or committed by commit_beside)."""
        self.settle()
        beside, self.beside = self.beside, None
        if beside is not None:
            beside.rollback()
        self.workers.close()

    def _fed(self, seqs: list[int]) -> None:
        for seq in seqs:
            self.fed.add(seq)

    @staticmethod
    def write(conn: Connection, handle: list[Future]) -> None:
        rows = RowWorkers.rows(handle)
        for start in range(0, len(rows), _BATCH):
            sql.put_documents(conn, rows[start : start + _BATCH])

    def _write_apart(self, store: Store, handle: list[Future], seqs: list[int]) -> None:
        try:
            with sql.writing(store) as conn:
                applied = sql.begin_apply(conn, False)
                if applied is None:
                    log.debug("another writer holds the search index: %d records are indexed from the store", len(seqs))
                    return
                if seqs and applied >= min(seqs):
                    # Another process applied these changes from the store, and perhaps later
                    # ones to the same records: these rows would write over them.
                    return
                self.write(conn, handle)
            self._fed(seqs)  # once committed: otherwise the next apply writes them
        except Exception as exc:  # noqa: BLE001 - nothing is lost: the next apply indexes these records
            log.warning("the search rows of %d harvested records were not written (%s); "
                        "they are indexed from the store when the harvest ends", len(seqs), exc)


class PostgresLexicon:
    """The search tables as the query planner's :class:`~.query.Lexicon`, within one search's
    transaction ``conn`` (so a search sees one state of the index throughout)."""

    def __init__(self, conn: Connection, docsets: DocSets, view: View, snapshot: int):
        self.conn, self.docsets, self.view, self.snapshot = conn, docsets, view, snapshot
        self.counts: dict[str, int] = {}  # marked token -> documents holding it, as far as asked
        self.bits: dict[str, int] = {}  # marked token -> its documents, as far as read

    def lookup(self, tokens: list[tuple[str, str]], words: list[str], limit: int):
        marked = {_marked(kind, text): (kind, text) for kind, text in tokens}
        found, within = sql.lookup(self.conn, list(marked), words)
        self.counts.update(found)
        return {marked[m]: n for m, n in found.items()}, {w: _compounds(w, within[w], limit) for w in words}

    def frequencies(self, tokens: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        return self.lookup(tokens, [], 0)[0]

    def compounds(self, word: str, limit: int) -> list[str]:
        return self.lookup([], [word], limit)[1][word]

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        return [(w, n) for w, n in sql.closest_words(self.conn, word) if _distance(w, word) <= maxdist]

    def prefetch(self, tokens: list[tuple[str, str]]) -> None:
        self.read([_marked(kind, text) for kind, text in tokens])

    def read(self, tokens: Iterable[str], queries: dict[str, str] | None = None) -> None:
        """Read the documents of these marked tokens (and of these other tsqueries, by key) that
        are not read yet, in one statement."""
        wanted = [(t, _quote(t), self.counts.get(t, 0)) for t in dict.fromkeys(tokens) if t not in self.bits]
        wanted += [(key, q, 0) for key, q in (queries or {}).items() if key not in self.bits]
        if wanted:
            self.bits.update(self.docsets.tokens(self.conn, self.view, self.snapshot, wanted))

    def languages(self, tokens: list[tuple[str, str]]) -> dict[str, int]:
        marked = [_marked(kind, text) for kind, text in tokens]
        self.read(marked)
        bits = 0
        for token in marked:
            bits |= self.bits.get(token, 0)
        if not bits:
            return {}
        # As the Whoosh index counts them: documents by each of their languages.
        out: dict[str, int] = {}
        for code, (prop, value) in self.view.values.items():
            if prop == "inLanguage":
                n = (self.view.codes.get(code, 0) & bits).bit_count()
                if n:
                    lang = primary_language(value)
                    out[lang] = out.get(lang, 0) + n
        return out


def _compounds(word: str, candidates: list[tuple[str, int]], limit: int) -> list[str]:
    """The indexed words (most frequent first) that ``word`` heads or ends (see Lexicon.compounds)."""
    out = []
    for candidate, _n in candidates:
        offset = candidate.find(word)
        while offset != -1:
            rest = len(candidate) - offset - len(word)
            if (offset == 0 and rest >= 3) or (offset >= 3 and rest <= 3):
                out.append(candidate)
                break
            offset = candidate.find(word, offset + 1)
        if len(out) >= limit:
            break
    return out


class PostgresBackend:
    """Full-text search in the store's own PostgreSQL database."""

    def __init__(self, store: Store, *, common: int = COMMON):
        """``common``: a token more documents than this hold is kept as a bitmap and ranks as
        a constant (see :mod:`.postgres_docsets`)."""
        if not store.is_postgres:
            raise SearchError("the PostgreSQL search backend needs a store on PostgreSQL")
        self.store = store
        self.common = common
        self._docsets = DocSets(common=common)
        self._installed = False
        self._lock = threading.Lock()  # guards the one-time installation only
        self._feeding: _Feeding | None = None

    # -- bookkeeping -------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._installed:
            return
        with self._lock:
            if not self._installed:
                sql.install(self.store, SCHEMA_VERSION)
                self._installed = True

    def last_seq(self) -> int:
        """The last store change applied (0 for a new index)."""
        return int(sql.state(self.store).get("seq", 0))

    def progress(self, last_change: Callable[[], int]) -> tuple[bool, int, int]:
        """(needs_rebuild, last_seq, the store's last change), read in one statement (asked
        before every search: each round trip to the server counts)."""
        state, last = sql.progress(self.store)
        if state.get("schema") != SCHEMA_VERSION:
            return True, 0, 0
        return False, int(state.get("seq", 0)), last

    def needs_rebuild(self) -> bool:
        """True when the search tables are missing or of another version."""
        return sql.state(self.store).get("schema") != SCHEMA_VERSION

    # -- writing -----------------------------------------------------------------------

    def apply(
        self,
        entries: Callable[[int], Iterable[IndexEntry]],
        *,
        wait: bool = True,
        pending: int = 0,
        commit: bool = True,
    ) -> int | None:
        """Apply the store's changes after the last applied seq, in one transaction with that seq
        (always committed: the documents are rows of the store, written in its transactions)."""
        self._ensure()
        if self._feeding is not None:
            self._feeding.settle()  # rows written apart hold the index's lock until they commit
            # The catch-up after the feeding transaction's commit (the feeder's thread, which
            # alone calls it meanwhile, see SearchService.catch_up): its rows commit now.
            self._feeding.commit_beside()
        with self.store.transaction() as conn:
            start = sql.begin_apply(conn, wait)
            if start is None:
                return None
            if self._feeding is not None:
                # Rows fed in a transaction that has committed since (the lock is free, so no
                # feeding transaction is open), still being built: written with this apply.
                self._feeding.conn = conn
                self._feeding.write_pending()
            last = start
            puts: dict[str, sql.Row] = {}
            gone: set[str] = set()

            def flush() -> None:
                sql.delete_documents(conn, sorted(gone))
                sql.put_documents(conn, list(puts.values()))
                puts.clear()
                gone.clear()

            # Many changes at once: their rows are built by two worker processes while these are
            # written. Not for a process following a running job (``commit=False``): its frequent
            # applies are small, and the job has the other core.
            for batch in rows_of(((entry, entry.document) for entry in entries(start)), parallel=commit):
                for entry, row in batch:
                    if entry.fed:  # written with the record, in its transaction
                        last = max(last, entry.seq)
                        continue
                    if entry.resource_id in puts or entry.resource_id in gone:
                        flush()  # keep the order of changes to one resource
                    if row is None:
                        gone.add(entry.resource_id)
                    else:
                        puts[entry.resource_id] = row
                    last = max(last, entry.seq)
                    if len(puts) + len(gone) >= _BATCH:
                        flush()
            flush()
            self.discard()  # rows fed in a committed transaction: their seqs are applied now
            if last != start:
                sql.finish_apply(conn, last, SCHEMA_VERSION)
                if last - start >= _ANALYZE_AFTER:
                    sql.analyze(conn)
            return last

    def feed(self, documents: Iterable[tuple[int, IndexDocument]], conn: Connection | None = None, *,
             aside: bool = False) -> bool:
        """Write new records' rows in the transaction ``conn`` that stores them (see SearchBackend).

        The first call takes the index's write lock in that transaction, without waiting
        (another writer applying: the records are indexed from the store after the commit,
        as any change is). Two worker processes analyse each batch while the store goes on
        with the next; a batch's rows are written at the next call, the last ones by
        :meth:`finish_feed` (before the transaction commits: they commit or roll back with
        the records) or, when the transaction committed without it, by the next :meth:`apply`
        or, once the next feeding transaction starts, in a transaction of their own beside it
        (a harvest's pages: the rows of one are built while the next is fetched, and written
        while it is stored). With ``aside`` (one long transaction: an import) the rows go into
        a transaction of the index's own instead, on a second connection, written by a thread
        as they are built while the store goes on, and committed by the :meth:`apply` after
        the store's transaction has committed (see :class:`_Beside`); ``conn`` never waits
        for them."""
        if conn is None:
            return False
        feeding = self._feeding
        if feeding is not None:
            feeding.settle()
        if feeding is None:
            # Not _ensure(): installing takes a write transaction of its own, which would wait
            # forever for the caller's (it holds the store's write lock). Tables of this
            # version leave nothing to install; without them the catch-up after the commit
            # installs them and indexes the records.
            if self.needs_rebuild():
                return False
            if aside:
                beside = _Beside(self.store)
                if not beside.started:
                    return False
                try:
                    feeding = _Feeding(conn, RowWorkers(), beside)
                except BaseException:
                    beside.rollback()
                    raise
            elif sql.begin_apply(conn, False) is None:
                return False
            else:
                feeding = _Feeding(conn, RowWorkers())
            self._installed = True
            self._feeding = feeding
        elif feeding.conn is not conn:
            # The transaction before committed (one rolled back ends the feeding, see discard):
            # its rows still being built are written beside this one, which writes no search
            # rows, so it needs no index lock.
            feeding.write_committed(self.store)
            feeding.conn = conn
        else:
            feeding.write_pending()
        docs = list(documents)
        feeding.pending = (feeding.workers.submit([doc for _, doc in docs]), [seq for seq, _ in docs])
        return True

    def settle(self, *, quiet: bool = False) -> None:
        """Wait for the rows of a committed transaction being written apart; raise what stopped
        the rows written beside the feeding transaction, if anything did (``quiet``: nothing).
        Rows are written into the feeding transaction itself only by the calls that feed it
        (see :meth:`feed`): the caller may use it meanwhile."""
        feeding = self._feeding
        if feeding is not None:
            feeding.settle()
            if feeding.beside is not None and not quiet:
                feeding.beside.check()

    def finish_feed(self) -> None:
        """Write the rows still being analysed (before the feeding transaction commits; rows
        written beside it are all written then, to be committed after it)."""
        feeding = self._feeding
        if feeding is not None:
            feeding.write_pending()
            if feeding.beside is not None:
                feeding.beside.drain()

    def feed_ending(self, seconds_left: float, records_left: int) -> bool:
        """Nothing to do: the rows :meth:`feed` writes are written with each transaction."""
        return True

    def fed_through(self, seq: int) -> int:
        """The end of the run of changes :meth:`feed` wrote from ``seq + 1`` on (see SearchBackend)."""
        feeding = self._feeding
        return feeding.fed.held_through(seq) if feeding is not None else seq

    def was_fed(self, resource_id: str, seq: int) -> bool:
        """True when :meth:`feed` wrote this change's row in its (since committed) transaction."""
        feeding = self._feeding
        return feeding is not None and seq in feeding.fed

    def discard(self) -> None:
        """Forget what :meth:`feed` wrote: its transaction rolled back, and the rows with it."""
        feeding, self._feeding = self._feeding, None
        if feeding is not None:
            feeding.close()

    def rebuild(
        self, documents: Iterable[IndexDocument], last_seq: int, *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace every document in one transaction: searches see the old index until it commits."""
        self._ensure()
        count = 0
        with self.store.transaction() as conn:
            sql.begin_apply(conn, True)
            sql.clear(conn)
            for batch in rows_of((None, doc) for doc in documents):
                sql.put_documents(conn, [row for _, row in batch], log=False)
                count += len(batch)
                if progress:
                    progress(len(batch))
            sql.finish_apply(conn, last_seq, SCHEMA_VERSION)
            sql.analyze(conn)
        return count

    # -- reading -----------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a query with filters, facets, sorting and paging (see SearchBackend).

        One read transaction: the bitmaps brought up to date, the planner's look-ups (one
        statement, two for a misspelt word), the documents of the query's tokens (one
        statement; common tokens' are kept), then counting in this process, and one
        statement ranking the rows rare tokens reach and reading the page.
        """
        check_page(request)
        self._ensure()
        parsed = parse(request.query)
        with sql.searching(self.store) as conn:
            view, snapshot = self._docsets.view(conn)
            sql.by_index(conn)
            return self._search(conn, view, snapshot, parsed, request)

    def _search(self, conn: Connection, view: View, snapshot: int, parsed, request: SearchRequest) -> SearchResult:
        lexicon = PostgresLexicon(conn, self._docsets, view, snapshot)
        planned = plan(parsed, lexicon, language=request.language)
        frequencies = dict(planned.frequencies)
        tree = _for_sql(_expand_prefixes(conn, planned.tree, frequencies, lexicon.counts))
        filters = {k: list(v) for k, v in request.filters.items() if v}
        if request.open_only:
            opened = [v for p, v in view.values.values() if p == "license" and _is_open(v)]
            wanted = [v for v in filters.get("license", opened) if v in opened]
            filters["license"] = wanted or ["-"]  # no open licence at all: nothing matches
        for prop in filters:
            if prop not in FACETS:
                raise SearchError(f"cannot filter on {prop!r}; use one of: {', '.join(FACETS)}")

        bits = _Bits(view, lexicon, frequencies, self.common)
        bits.read(tree)
        matched = bits.of(tree) & view.live
        kept = {prop: view.facet(prop, values) for prop, values in filters.items()}
        found = matched
        for f in kept.values():
            found &= f
        facets: dict[str, dict[str, int]] = {}
        if request.facets:
            by_prop: dict[str, list[tuple[int, str]]] = {prop: [] for prop in FACETS}
            for code, (prop, value) in view.values.items():
                if prop in by_prop:
                    by_prop[prop].append((code, value))
            for prop in FACETS:
                # A facet's counts honour every filter but its own.
                base = matched
                for other, f in kept.items():
                    if other != prop:
                        base &= f
                counts: dict[str, int] = {}
                for code, value in by_prop[prop]:
                    n = (base & view.codes.get(code, 0)).bit_count()
                    if n:
                        counts[value] = counts.get(value, 0) + n
                facets[prop] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

        groups = [_for_sql(g) for g in coordination_groups(planned.tree)]
        scored = tree[0] != "all" and any(_has_text(g) for g in groups)
        by_rank = request.sort not in ("date", "name") and scored
        comp = sql._Compiler()
        language = planned.language
        if by_rank:
            rank = _rank(comp, groups, language, planned.language_boost,
                         exact_title(parsed.text) if parsed.plain and parsed.words else None)
            rare = bits.rare(tree)
            # Ranking reads the tsvectors of the rows rare tokens reach; those only tokens
            # thousands of records hold reach follow, the query's language first, then the most recent.
            ranked = found if rare is None else found & rare
            rest = found & ~ranked
            in_language = view.langs.get(language, 0) if language else 0
            unranked = [(rest & in_language, True), (rest & ~in_language, False)]
        else:
            rank, ranked, unranked = None, 0, [(found, False)]
        rows = sql.page(
            conn,
            comp,
            rank=rank,
            ranked=ids_of(ranked),
            unranked=[_rows(view, b, lang) for b, lang in unranked if b],
            language=language,
            sort=request.sort if request.sort in ("date", "name") else ("relevance" if by_rank else "date"),
            offset=(request.page - 1) * request.page_size,
            limit=request.page_size,
        )
        words = _snippet_words(planned.tree)
        hits = [
            Hit(
                id=row["id"],
                name=row["name"],
                score=float(row["rank"] or 0.0) if tree[0] != "all" else 0.0,
                snippet=_snippet(row.get("description") or "", words),
                license=row["license"],
                languages=list(row["languages"] or []),
                date=row["date"] or "",
            )
            for row in rows
        ]
        return SearchResult(
            total=found.bit_count(),
            hits=hits,
            facets=facets,
            suggestion=planned.suggestion,
            page=request.page,
            page_size=request.page_size,
            notes=planned.notes,
        )

    def close(self) -> None:
        """Nothing to release: the store owns the connections."""


def _for_sql(tree: tuple) -> tuple:
    """Phrases as their content words (what the search tables find) and all their words in
    order (what their texts must hold side by side)."""
    kind = tree[0]
    if kind in ("and", "or", "should"):
        return (kind, [_for_sql(sub) for sub in tree[1]])
    if kind == "not":
        return ("not", _for_sql(tree[1]))
    if kind == "phrase":
        words = folded_words(tree[2])
        stop = _all_stopwords()
        content = [w for w in dict.fromkeys(words) if w not in stop] or list(dict.fromkeys(words))
        return ("phrase", tree[1], content, words)
    if kind == "word":  # a field's word
        return ("match", tree[2], (("word", tree[1], fold(tree[2]), 1.0),))
    return tree


# A set of at most this many documents is listed by number; a larger one goes to SQL as a
# bitmap, read along the order's index until the page is full.
_LIST_MAX = 2000
# A prefix standing for more indexed words than this is matched by PostgreSQL's own prefix search.
_PREFIX_WORDS = 64


def _rows(view: View, bits: int, in_language: bool) -> sql.Rows:
    if bits.bit_count() <= _LIST_MAX:
        return sql.Rows(docnos=ids_of(bits), in_language=in_language)
    return sql.Rows(bitmap=view.to_bytes(bits), in_language=in_language)


def _rank(comp, groups: list[tuple], language: str | None, boost: float, title: str | None) -> str:
    """The relevance of a row of ``d``, as the Whoosh index ranks: the sum of the groups' scores
    (words side by side), times the square of the share of groups it matches, times ``boost``
    for a row in the query's language and EXACT_TITLE_BOOST for an exact title."""
    rank = "(" + " + ".join(comp.score(g) for g in groups) + ")"
    if len(groups) > 1:
        share = " + ".join(f"(CASE WHEN {comp.condition(g)} THEN 1 ELSE 0 END)" for g in groups)
        rank = f"{rank} * power(({share}) / {float(len(groups))}, 2)"
    if title:
        rank = f"({rank}) * (CASE WHEN {comp._param(title)} = ANY(d.title_exact) THEN {sql.EXACT_TITLE_BOOST} ELSE 1 END)"
    if language:
        rank = f"({rank}) * (CASE WHEN {comp._param(language)} = ANY(d.langs) THEN {float(boost)} ELSE 1 END)"
    return rank


def _has_text(node: tuple) -> bool:
    if node[0] in ("match", "phrase", "prefix"):
        return True
    if node[0] in ("and", "or", "should"):
        return any(_has_text(n) for n in node[1])
    return False


def _expand_prefixes(conn: Connection, tree: tuple, frequencies: dict, counts: dict) -> tuple:
    """Each ``prefix*`` as the indexed words it stands for (a match of those words, so that
    words thousands of records hold rank as the query's other common words do); a prefix
    standing for very many words stays a prefix search."""
    def stem(node: tuple) -> str:
        return re.sub(r"[^\w]", "", node[2])  # as the tsquery of a prefix reads it

    prefixes = {stem(node) for node in _nodes(tree, "prefix")} - {""}
    if not prefixes:
        return tree
    words = sql.prefix_words(conn, sorted(prefixes), limit=_PREFIX_WORDS)

    def expand(node: tuple) -> tuple:
        kind = node[0]
        if kind in ("and", "or", "should"):
            return (kind, [expand(sub) for sub in node[1]])
        if kind == "not":
            return ("not", expand(node[1]))
        if kind == "prefix" and stem(node) in words and len(words[stem(node)]) <= _PREFIX_WORDS:
            for word, n in words[stem(node)]:
                frequencies[("word", word)] = n
                counts[word] = n
            return ("match", node[2], tuple(("word", node[1], w, 1.0) for w, _ in words[stem(node)]))
        return node

    return expand(tree)


def _nodes(tree: tuple, kind: str) -> list[tuple]:
    if tree[0] in ("and", "or", "should"):
        return [n for sub in tree[1] for n in _nodes(sub, kind)]
    if tree[0] == "not":
        return _nodes(tree[1], kind)
    return [tree] if tree[0] == kind else []


class _Bits:
    """A compiled query tree (see postgres_search._Compiler) evaluated over bitmaps."""

    def __init__(self, view: View, lexicon: PostgresLexicon, frequencies: dict, common: int):
        self.view, self.lexicon, self.frequencies, self.common = view, lexicon, frequencies, common
        self.ids: dict[str, int] = {}
        self.phrases: dict[tuple, int] = {}

    @staticmethod
    def _token(alt: tuple) -> str | None:
        """The marked token an alternative stands for alone (None: a tsquery of its own, or none)."""
        if alt[0] == "word":
            return None if alt[1] else alt[2]
        if alt[0] in ("stem", "topic", "part"):
            return _marked(alt[0], alt[1])
        return None

    def _leaves(self, node: tuple, tokens: list[str], queries: dict[str, str], ids: list[str]) -> None:
        kind = node[0]
        if kind in ("and", "or", "should"):
            for sub in node[1]:
                self._leaves(sub, tokens, queries, ids)
        elif kind == "not":
            self._leaves(node[1], tokens, queries, ids)
        elif kind == "match":
            for alt in node[2]:
                self._alt_leaves(alt, tokens, queries)
        elif kind == "phrase":
            if node[1]:
                query = sql._Compiler().tsquery(node)
                if query:
                    queries["?" + query] = query
            else:
                tokens += node[2]
        elif kind == "prefix":
            query = sql._Compiler().tsquery(node)
            if query:
                queries["?" + query] = query
        elif kind == "id":
            ids.append(node[1])

    def _alt_leaves(self, alt: tuple, tokens: list[str], queries: dict[str, str]) -> None:
        if alt[0] == "split":
            for part in alt[2]:
                for sub in part:
                    self._alt_leaves(sub, tokens, queries)
            return
        token = self._token(alt)
        if token is not None:
            tokens.append(token)
        elif alt[0] == "word":
            query = sql.alternative_tsquery(alt)
            queries["?" + query] = query

    def read(self, tree: tuple) -> None:
        """Read every document set the tree needs that is not read yet (one statement)."""
        tokens: list[str] = []
        queries: dict[str, str] = {}
        ids: list[str] = []
        self._leaves(tree, tokens, queries, ids)
        self.lexicon.read(tokens, queries)
        if ids:
            for resource_id in dict.fromkeys(ids):
                docnos = sql.docnos_of(self.lexicon.conn, [resource_id])
                self.ids[resource_id] = bitmap_of(docnos, self.view.size) if docnos else 0

    def _get(self, key: str) -> int:
        return self.lexicon.bits.get(key, 0)

    def alt(self, alt: tuple) -> int:
        kind = alt[0]
        if kind == "split":
            out = -1
            for part in alt[2]:
                bits = 0
                for sub in part:
                    bits |= self.alt(sub)
                out &= bits
            return out if alt[2] and out != -1 else 0
        if kind == "concept":
            return self.view.facet(alt[1], [alt[2]])
        token = self._token(alt)
        if token is not None:
            return self._get(token)
        if kind == "word":
            return self._get("?" + sql.alternative_tsquery(alt))
        return 0

    def of(self, node: tuple) -> int:
        """The documents a node matches (some may be gone: the caller keeps the live ones)."""
        kind = node[0]
        if kind == "all":
            return self.view.live
        if kind == "and":
            out = self.view.live
            for sub in node[1]:
                out &= self.of(sub)
            return out
        if kind in ("or", "should"):
            out = 0
            for sub in node[1]:
                out |= self.of(sub)
            return out
        if kind == "not":
            return self.view.live & ~self.of(node[1])
        if kind == "match":
            out = 0
            for alt in node[2]:
                out |= self.alt(alt)
            return out
        if kind == "phrase":
            return self.phrase(node)
        if kind == "prefix":
            query = sql._Compiler().tsquery(node)
            return self._get("?" + query) if query else 0
        if kind == "facet":
            if node[1] not in FACETS:
                raise SearchError(f"cannot filter on {node[1]!r}; use one of: {', '.join(FACETS)}")
            return self.view.facet(node[1], node[2])
        if kind == "id":
            return self.ids.get(node[1], 0)
        raise SearchError(f"cannot search for {node!r}")

    def phrase(self, node: tuple) -> int:
        """The documents holding a phrase: those its words reach whose texts hold them side by
        side (read once per search, and kept for the searches of the same state of the index)."""
        key = (node[1], tuple(node[3]))
        found = self.phrases.get(key)
        kept = self.lexicon.docsets.phrases(self.view, self.lexicon.snapshot)
        if found is None and kept is not None:
            found = kept.get(key)
        if found is None:
            if node[1]:
                query = sql._Compiler().tsquery(node)
                candidates = self._get("?" + query) if query else 0
            else:
                candidates = self.view.live if node[2] else 0
                for word in node[2]:
                    candidates &= self._get(word)
            if len(node[3]) > 1:  # a single word needs no check of its neighbours
                docnos = sql.phrase_docnos(self.lexicon.conn, ids_of(candidates), node[1], node[3])
                candidates = bitmap_of(docnos, self.view.size)
            found = self.phrases[key] = candidates
            if kept is not None:
                kept[key] = found
        return found

    def rare(self, tree: tuple) -> int | None:
        """The documents the query's rare parts reach (tokens, compounds split in two, phrases and
        prefixes at most COMMON records hold); None when no part is common (then every matched
        row is ranked)."""
        out = 0
        dropped = False

        def walk(node: tuple) -> None:
            nonlocal out, dropped
            kind = node[0]
            if kind in ("and", "or", "should"):
                for sub in node[1]:
                    walk(sub)
            elif kind == "match":
                for alt in node[2]:
                    token = (alt[0], alt[2] if alt[0] == "word" else alt[1])
                    if alt[0] in ("word", "stem", "topic", "part") and self.frequencies.get(token, 0) > self.common:
                        dropped = True
                        continue
                    if alt[0] != "concept":
                        add(self.alt(alt))
            elif kind in ("phrase", "prefix"):
                add(self.of(node))

        def add(bits: int) -> None:
            # A compound's parts or a phrase thousands of records hold count as a common token.
            nonlocal out, dropped
            if bits.bit_count() > self.common:
                dropped = True
            else:
                out |= bits

        walk(tree)
        return out if dropped else None


def _snippet_words(tree: tuple) -> set[str]:
    kind = tree[0]
    if kind in ("and", "or", "should"):
        return {w for sub in tree[1] for w in _snippet_words(sub)}
    if kind == "match":
        return {a[2] for a in tree[2] if a[0] == "word"}
    if kind == "phrase":
        return set(folded_words(tree[2]))
    return set()


def _snippet(description: str, words: set[str]) -> str:
    import html

    marked = snippet(description, words) if words and description else ""
    if marked:
        return marked
    description = " ".join(description.split())
    if len(description) > 200:
        description = description[:200].rsplit(" ", 1)[0] + " …"
    return html.escape(description, quote=False)


def _distance(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _is_open(url: str) -> bool:
    lic = licenses.try_normalize(url)
    return bool(lic and lic.is_open)
