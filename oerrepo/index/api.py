"""Full-text search, as methods of :class:`oerrepo.Repository`.

The index follows the store's change sequence: after every write the Repository
applies the new changes to it, and on opening it applies whatever a process that
died between its store commit and its index commit left behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from ..errors import SearchError, SearchUnavailable
from ..model import Resource
from .backend import FACETS, IndexEntry, SearchBackend, SearchRequest, SearchResult
from .document import document_for
from .whoosh_query import resolve_facet_value

log = logging.getLogger(__name__)

INDEX_FOLDER = "index"
_BATCH = 1000
_PROVENANCE_BATCH = 500

FilterValue = str | int | Iterable[str | int] | None


def _values(value: FilterValue) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value if v not in (None, "")]


class SearchMixin:
    """Full-text search methods of the Repository facade."""

    _search_backend: SearchBackend | None = None

    # -- public API -------------------------------------------------------------

    def search(
        self,
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
    ) -> SearchResult:
        """Search the resources: words, "phrases", AND/OR/NOT, field:value and prefix*.

        Filters take short forms or stored values and may be lists (any value of one
        filter, all filters together): ``license`` ('CC-BY-4.0'), ``language`` ('pt'),
        ``sdg`` (13), ``type`` ('lesson_plan'), ``level`` ('ISCED-2'), ``audience``
        ('teacher'), ``source`` (a harvest source name, or 'local'). ``open_only`` keeps
        openly licensed resources (no NC/ND). ``sort`` is ``relevance``, ``date`` or ``name``.

        >>> result = repo.search("energia solar", sdg=7, language="pt")   # doctest: +SKIP
        >>> result.total, [h.id for h in result.hits], result.facets["license"]   # doctest: +SKIP
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
        request = SearchRequest(
            query=query or "",
            filters=filters,
            open_only=open_only,
            sort=sort,
            page=page,
            page_size=page_size,
            facets=facets,
        )
        backend = self._index_backend()
        # Pick up what other processes committed but could not index yet; never wait for a writer.
        # While serving, a missing or outdated index is rebuilt beside the requests, never in one.
        self._catch_up_index(wait=False, rebuild=not self.__dict__.get("_serving"))
        return backend.search(request)

    def reindex(self, *, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the search index from the store, from scratch; returns the number of resources.

        Searches keep working on the old index until the new one is committed.
        """
        backend = self._index_backend()
        last = self.store.last_seq()  # before reading: later changes are replayed (harmlessly)
        return backend.rebuild(self._documents(self.store.iter_resources(batch=1000)), last, progress=progress)

    @staticmethod
    def search_facets() -> tuple[str, ...]:
        """The properties search results count values of (``license``, ``inLanguage``, ...)."""
        return FACETS

    # -- keeping the index in step with the store -------------------------------

    def _index_backend(self) -> SearchBackend:
        self.store  # open the store first: opening catches the index up
        return self._backend()

    def _backend(self) -> SearchBackend:
        """The search backend for this store: PostgreSQL's own full-text search on a
        PostgreSQL store (every web worker then sees one index), else Whoosh in the data folder."""
        if self._search_backend is None:
            store = self._store  # already open: called from the store's open hook or after it
            if store is not None and store.is_postgres:
                from .postgres import PostgresBackend

                self._search_backend = PostgresBackend(store)
            else:
                from .whoosh_backend import WhooshBackend

                self._search_backend = WhooshBackend(self.path / INDEX_FOLDER)
        return self._search_backend

    def _documents(self, resources: Iterable[Resource]) -> Iterator:
        """Index documents of resources, their provenance read in one query per batch
        (one query per resource would cost more than analysing it)."""
        many = getattr(self, "_provenance_for", None)
        if many is None:
            yield from (document_for(self._with_provenance(res)) for res in resources)
            return
        it = iter(resources)
        while chunk := list(islice(it, _PROVENANCE_BATCH)):
            found = many([res.id for res in chunk])
            for res in chunk:
                res.provenance = tuple(found.get(res.id, ()))
                yield document_for(res)

    def _index_entries(self, seq: int) -> Iterator[IndexEntry]:
        """The store's changes after ``seq`` as index entries (only a resource's latest per batch)."""
        while True:
            revisions = self.store.changes_since(seq, limit=_BATCH)
            if not revisions:
                return
            latest = {rev.resource_id: rev.seq for rev in revisions}
            kept = [rev for rev in revisions if latest[rev.resource_id] == rev.seq]  # later changes supersede
            live = [rev for rev in kept if rev.action != "delete" and rev.data is not None]
            resources = [Resource(data=rev.data, seq=rev.seq, datestamp=rev.datestamp) for rev in live]
            documents = dict(zip((rev.seq for rev in live), self._documents(resources)))
            for rev in kept:
                yield IndexEntry(rev.seq, rev.resource_id, documents.get(rev.seq))
            seq = revisions[-1].seq

    def _catch_up_index(self, *, wait: bool, rebuild: bool = True) -> None:
        backend = self._backend()
        if backend.needs_rebuild():
            if not rebuild:
                self._reindex_aside()
                raise SearchUnavailable(
                    "the search index is being rebuilt (it was missing or outdated); search again in a moment"
                )
            self.reindex()
            return
        if backend.last_seq() >= self.store.last_seq():
            return
        backend.apply(self._index_entries, wait=wait)

    def _reindex_aside(self) -> None:
        """Rebuild the index in a thread of its own, unless one is rebuilding it already."""
        with self.__dict__.setdefault("_reindex_lock", threading.Lock()):
            running = self.__dict__.get("_reindex_thread")
            if running is not None and running.is_alive():
                return

            def rebuild() -> None:
                try:
                    self.reindex()
                except Exception:  # noqa: BLE001 - logged; the next search starts another attempt
                    log.exception("rebuilding the search index failed")

            thread = threading.Thread(target=rebuild, name="oerrepo-reindex", daemon=True)
            self.__dict__["_reindex_thread"] = thread
            thread.start()

    def _feature_open(self) -> None:
        # A process that died after its store commit left changes unindexed: apply them now.
        # Without waiting: if another writer holds the lock, it is applying them itself.
        self._catch_up_index(wait=False)

    def _feature_changed(self) -> None:
        try:
            self._catch_up_index(wait=True)
        except SearchError as exc:
            # The store change is committed and safe; the next open or search applies it.
            log.warning("the search index could not follow the last change yet: %s", exc)

    # -- indexing in a second process during long write jobs -------------------------

    def _index_in_background(self) -> bool:
        """Let a second process keep the index up from now on (shared by the jobs of this
        Repository); True when it runs. Each True must be matched by :meth:`_index_in_background_done`."""
        from .background import BackgroundIndexer

        with self.__dict__.setdefault("_background_lock", threading.Lock()):
            users = self.__dict__.get("_background_users", 0)
            if users == 0:
                indexer = BackgroundIndexer(self.path, getattr(self, "_db_url", None))
                if not indexer.start():
                    return False
                self.__dict__["_background_indexer"] = indexer
            self.__dict__["_background_users"] = users + 1
            return True

    def _index_in_background_done(self, *, wait: bool = True) -> None:
        """One job no longer needs the second process; the last one stops it (after a last catch-up)."""
        with self.__dict__["_background_lock"]:
            self.__dict__["_background_users"] -= 1
            if self.__dict__["_background_users"]:
                return
            indexer = self.__dict__.pop("_background_indexer")
        indexer.stop(wait=wait)

    def _feature_close(self) -> None:
        if self._search_backend is not None:
            self._search_backend.close()
            self._search_backend = None
