"""Full-text search of a store: the search part of :class:`oerrepo.Repository`.

The index follows the store's change sequence: after every write the Repository asks
the search service to apply the new changes, and on opening it applies whatever a
process that died between its store commit and its index commit left behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SearchError, SearchUnavailable
from .backend import FACETS, IndexEntry, SearchBackend, SearchRequest, SearchResult
from .query import resolve_facet_value

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Connection

    from ..model import Provenance, Resource
    from ..store import Store
    from .background import BackgroundIndexer

__all__ = ["SearchService", "search_request", "CurrentIndexSearch"]

log = logging.getLogger(__name__)

_BATCH = 1000
_PROVENANCE_BATCH = 500
_ANNOUNCED = 1000  # changes from which bringing the index up to date is announced

FilterValue = str | int | Iterable[str | int] | None
ProvenanceLoader = Callable[[list[str]], "dict[str, list[Provenance]]"]


def _values(value: FilterValue) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value if v not in (None, "")]


def search_request(
    query: str = "",
    *,
    license: FilterValue = None,
    language: FilterValue = None,
    sdg: FilterValue = None,
    type: FilterValue = None,
    level: FilterValue = None,
    audience: FilterValue = None,
    source: FilterValue = None,
    open_only: bool = False,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 10,
    facets: bool = True,
    prefer_language: str | None = None,
) -> SearchRequest:
    """The backend-neutral request for a search, its filters resolved to stored values.

    The query takes words, "phrases", AND/OR/NOT, field:value and prefix*. Filters take
    short forms or stored values and may be lists (any value of one filter, all filters
    together); ``open_only`` keeps openly licensed resources; ``sort`` is ``relevance``,
    ``date`` or ``name``; records in ``prefer_language`` rank first.
    """
    filters: dict[str, list[str]] = {}
    for prop, given in (
        ("license", license),
        ("inLanguage", language),
        ("sdg", sdg),
        ("learningResourceType", type),
        ("educationalLevel", level),
        ("audience", audience),
        ("source", source),
    ):
        resolved = [uri for v in _values(given) for uri in resolve_facet_value(prop, v)]
        if resolved:
            filters[prop] = resolved
    return SearchRequest(
        query=query or "",
        filters=filters,
        open_only=open_only,
        sort=sort,
        page=page,
        page_size=page_size,
        facets=facets,
        language=prefer_language.split("-")[0].lower() if prefer_language else None,
    )


class CurrentIndexSearch:
    """Searches of the Whoosh index in ``index_dir`` without opening its store, while the index
    has applied every change (see :meth:`search`).

    Opening the store costs more than a search in a current index takes: a command that only
    searches asks the store for its last change (``store.probe``) and comes here. The index
    stays open between searches, as a composed repository keeps it: a newly opened index
    reads again what a search keeps per index generation (the word list, sort keys, facet
    values): 100-200 ms a search at 20,000 records instead of 5-20 ms.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._backend = None

    def search(self, last_seq: int, query: str = "", **options) -> SearchResult | None:
        """The result of the search when the index has applied every change up to ``last_seq``
        (the store's last); None when it has not (the store must catch it up)."""
        from .whoosh_backend import WhooshBackend

        with self._lock:
            if self._backend is None:
                self._backend = WhooshBackend(self.index_dir)
            backend = self._backend
        if backend.needs_rebuild() or backend.last_seq() < last_seq:
            return None
        return backend.search(search_request(query, **options))

    def close(self) -> None:
        """Close the index (a later search opens it again)."""
        with self._lock:
            backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()


class SearchService:
    """Full-text search of one store: searching, rebuilding, and keeping the index in step.

    ``store`` is the opened store; ``index_dir`` the Whoosh index folder (unused on a
    PostgreSQL store, which searches itself); ``provenance`` reads the provenance of many
    records at once (harvest sources are a facet); ``background`` starts a second process
    that follows the store during long write jobs (None: this process always indexes).
    """

    def __init__(
        self,
        store: Store,
        index_dir: Path,
        *,
        provenance: ProvenanceLoader,
        background: Callable[[], BackgroundIndexer] | None = None,
    ):
        self.store = store
        self.index_dir = index_dir
        self._provenance = provenance
        self._background = background
        self._backend_: SearchBackend | None = None
        self._background_lock = threading.Lock()
        self._background_users = 0
        # The thread whose transactions feed the index (see feed): one at a time, as the
        # catch-up that commits the index must not take records of a transaction still open.
        self._feeder: int | None = None
        self._background_indexer: BackgroundIndexer | None = None
        self.serving = False  # True in a web service: searches in requests never rebuild the index
        self._reindex_lock = threading.Lock()
        self._reindex_thread: threading.Thread | None = None

    # -- public API -------------------------------------------------------------

    def search(self, query: str = "", **options: Any) -> SearchResult:
        """Search the resources (``Repository.search`` documents the query language and the options)."""
        request = search_request(query, **options)
        backend = self.backend()
        # Pick up what other processes committed but could not index yet; never wait for a writer.
        # While serving, a missing or outdated index is rebuilt beside the requests, never in one.
        self.catch_up(wait=False, rebuild=not self.serving)
        return backend.search(request)

    def reindex(self, *, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the search index from the store, from scratch; returns the number of resources.

        Searches keep working on the old index until the new one is committed.
        """
        backend = self.backend()
        last = self.store.last_seq()  # before reading: later changes are replayed (harmlessly)
        return backend.rebuild(self._documents(self.store.iter_resources(batch=1000)), last, progress=progress)

    @staticmethod
    def search_facets() -> tuple[str, ...]:
        """The properties search results count values of (``license``, ``inLanguage``, ...)."""
        return FACETS

    # -- keeping the index in step with the store -------------------------------

    def backend(self) -> SearchBackend:
        """The search backend for this store: PostgreSQL's own full-text search on a
        PostgreSQL store (every web worker then sees one index), else Whoosh in the data folder."""
        if self._backend_ is None:
            if self.store.is_postgres:
                from .postgres import PostgresBackend

                self._backend_ = PostgresBackend(self.store)
            else:
                from .whoosh_backend import WhooshBackend

                self._backend_ = WhooshBackend(self.index_dir)
        return self._backend_

    def _documents(self, resources: Iterable[Resource]) -> Iterator:
        """Index documents of resources, their provenance read in one query per batch
        (one query per resource would cost more than analysing it)."""
        from .document import document_for

        it = iter(resources)
        while chunk := list(islice(it, _PROVENANCE_BATCH)):
            found = self._provenance([res.id for res in chunk])
            for res in chunk:
                res.provenance = tuple(found.get(res.id, ()))
                yield document_for(res)

    def _index_entries(self, seq: int) -> Iterator[IndexEntry]:
        """The store's changes after ``seq`` as index entries (only a resource's latest per batch)."""
        from ..model import Resource

        backend = self.backend()
        while True:
            # Changes the index was given already, one after another (an import's or a long
            # harvest's catch-up finds nearly all of them so), are not read at all: one entry
            # stands for them; of the others, only the records not fed are read.
            through = backend.fed_through(seq)
            if through > seq:
                yield IndexEntry(through, "", None, fed=True)
                seq = through
            revisions = self.store.change_heads(seq, limit=_BATCH)
            if not revisions:
                return
            latest = {rev.resource_id: rev.seq for rev in revisions}
            kept = [rev for rev in revisions if latest[rev.resource_id] == rev.seq]  # later changes supersede
            fed = {rev.seq for rev in kept if backend.was_fed(rev.resource_id, rev.seq)}
            wanted = [rev.seq for rev in kept if rev.action != "delete" and rev.seq not in fed]
            records = self.store.change_data(wanted) if wanted else {}
            live = [rev for rev in kept if rev.seq in records]
            resources = [Resource(data=records[rev.seq], seq=rev.seq, datestamp=rev.datestamp) for rev in live]
            documents = dict(zip((rev.seq for rev in live), self._documents(resources)))
            for rev in kept:
                yield IndexEntry(rev.seq, rev.resource_id, documents.get(rev.seq), fed=rev.seq in fed)
            seq = revisions[-1].seq

    def catch_up(self, *, wait: bool, rebuild: bool = True, commit: bool = True) -> None:
        """Apply the store's changes the index has not seen (rebuilding a missing or damaged index).

        Without ``wait``, a writer holding the index lock is left to apply them itself. Without
        ``rebuild``, a missing or outdated index is rebuilt in a thread of its own and
        SearchUnavailable raised meanwhile. Without ``commit``, the index keeps its writer for
        the next catch-up, which adds to it (see the backends' ``apply``).
        """
        if self._feeder not in (None, threading.get_ident()):
            # A job in another thread feeds the index in transactions of its own, one perhaps
            # still open: committing the index now would commit its records before the store
            # does. Its own catch-up, when it ends, applies this change too.
            return
        backend = self.backend()
        rebuild_needed, applied, last = backend.progress(self.store.last_seq)
        if rebuild_needed:
            if not rebuild:
                self._reindex_aside()
                raise SearchUnavailable(
                    "the search index is being rebuilt (it was missing or outdated); search again in a moment"
                )
            if self.store.last_seq() >= _ANNOUNCED:
                # The first command of a new version on a large catalogue waits for this: said,
                # where a command shows no log lines of its own too (a warning reaches stderr).
                log.warning("rebuilding the search index (it is missing, or was written by another version of "
                            "oerrepo); on a large catalogue this takes a while, once")
            self.reindex()
            return
        if applied >= last and commit:
            return
        if commit and last - applied >= _ANNOUNCED:
            # An import's or a harvest's last seconds: commands show this line (INFO).
            changes = self.store.count_changes(applied, last)
            log.info("bringing the search index up to date (%s)", f"{changes:,} change{'' if changes == 1 else 's'}")
        backend.apply(self._index_entries, wait=wait, pending=last - applied, commit=commit)
        if commit:
            self._feeder = None

    def _reindex_aside(self) -> None:
        """Rebuild the index in a thread of its own, unless one is rebuilding it already."""
        with self._reindex_lock:
            running = self._reindex_thread
            if running is not None and running.is_alive():
                return

            def rebuild() -> None:
                try:
                    self.reindex()
                except Exception:  # noqa: BLE001 - logged; the next search starts another attempt
                    log.exception("rebuilding the search index failed")

            thread = threading.Thread(target=rebuild, name="oerrepo-reindex", daemon=True)
            self._reindex_thread = thread
            thread.start()

    def feed(self, resources: list[Resource], conn: Connection, *, aside: bool = False) -> bool:
        """Index records stored for the first time while the transaction ``conn`` storing
        them still runs, so that indexing overlaps storing; the catch-up after the commit
        applies them with the index's seq. Each resource carries its whole provenance (none:
        a local record). False when the backend takes none. Call :meth:`discard` if the
        transaction rolls back; :meth:`finish_feed` before it commits has the index hold
        everything by then (otherwise the next feeding transaction or the catch-up writes the
        rest). Several transactions one after the other may feed the same writer (a harvest's
        pages), from one thread until the catch-up that commits them: another thread's records
        are refused meanwhile. With ``aside`` (one long transaction: an import) the index may
        write them beside ``conn`` (PostgreSQL: in a transaction of its own, committed by the
        catch-up after ``conn`` has); :meth:`settle` raises what stopped that, if anything did."""
        from .document import document_for

        me = threading.get_ident()
        if self._feeder not in (None, me):
            return False
        if not self.backend().feed(((res.seq, document_for(res)) for res in resources), conn, aside=aside):
            return False
        self._feeder = me
        return True

    def settle(self, *, quiet: bool = False) -> None:
        """Wait until :meth:`feed` no longer writes rows of transactions before, and raise what
        stopped the rows of this one, if anything did (``quiet``: it is failing, only wait)."""
        self.backend().settle(quiet=quiet)

    def finish_feed(self) -> None:
        """Write what :meth:`feed` still holds (inside the feeding transaction, before it commits)."""
        self.backend().finish_feed()

    def feed_ending(self, seconds_left: float, records_left: int) -> bool:
        """The job feeding the index expects its last ``records_left`` records in about
        ``seconds_left``: the index may write what it holds, and them as they come, meanwhile.
        True once nothing more is to be done for it."""
        return self.backend().feed_ending(seconds_left, records_left)

    def discard(self) -> None:
        """Drop what :meth:`feed` wrote: its transaction rolled back."""
        self.backend().discard()
        self._feeder = None

    def follow(self) -> None:
        """Bring the index up to the store after a committed write (a failure is logged, not raised:
        the store change is committed and safe, and the next open or search applies it)."""
        try:
            self.catch_up(wait=True)
        except SearchError as exc:
            log.warning("the search index could not follow the last change yet: %s", exc)

    # -- indexing in a second process during long write jobs -------------------------

    def start_background(self) -> bool:
        """Let a second process keep the index up from now on (shared by the jobs of this
        service); True when it runs. Each True must be matched by :meth:`stop_background`."""
        if self._background is None:
            return False
        with self._background_lock:
            if self._background_users == 0:
                indexer = self._background()
                if not indexer.start():
                    return False
                self._background_indexer = indexer
            self._background_users += 1
            return True

    def stop_background(self, *, wait: bool = True) -> str | None:
        """One job no longer needs the second process; the last one stops it (after a last catch-up).

        Returns what stopped the second process before it indexed everything (the caller
        then catches up itself), or None."""
        with self._background_lock:
            self._background_users -= 1
            if self._background_users:
                return None
            indexer, self._background_indexer = self._background_indexer, None
        if indexer is not None:
            return indexer.stop(wait=wait)
        return None

    def close(self) -> None:
        """Release the index (the store is its owner's to close)."""
        if self._backend_ is not None:
            self._backend_.close()
            self._backend_ = None
