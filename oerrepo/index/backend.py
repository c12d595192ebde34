"""The interface every search backend implements, and the objects it exchanges.

The Repository talks to a :class:`SearchBackend` only; the Whoosh index in the data
folder is one implementation, a PostgreSQL full-text one can be another. Requests,
documents and results are plain dataclasses of ours, so nothing backend-specific
reaches callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = [
    "FACETS",
    "SORTS",
    "IndexDocument",
    "IndexEntry",
    "SearchRequest",
    "Hit",
    "SearchResult",
    "SearchBackend",
]

from ..model import FACETS  # noqa: E402  (the one definition, shared with the store's search tables)

SORTS: tuple[str, ...] = ("relevance", "date", "name")


@dataclass
class IndexDocument:
    """What the index knows of one resource, in backend-neutral form.

    Texts carry their language (a BCP 47 tag; ``und`` when unknown) so a backend can
    analyse each in its own language.
    """

    id: str
    name: str
    titles: list[tuple[str, str]] = field(default_factory=list)
    keywords: list[tuple[str, str]] = field(default_factory=list)
    descriptions: list[tuple[str, str]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)  # vocabulary labels in every language
    facets: dict[str, list[str]] = field(default_factory=dict)
    date: str = ""  # ISO date of the latest of modified / published / created, for recency
    languages: list[str] = field(default_factory=list)
    license: str | None = None


@dataclass(frozen=True)
class IndexEntry:
    """One store change for the index: the resource's new document, or None when it was deleted."""

    seq: int
    resource_id: str
    document: IndexDocument | None
    #: Written to the index already by :meth:`SearchBackend.feed`: only its seq counts (a run of
    #: such changes may come as one entry, the run's last seq, with no resource id).
    fed: bool = False


@dataclass
class SearchRequest:
    """A query with its resolved filters (property -> accepted values, OR within, AND across)."""

    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    open_only: bool = False
    sort: str = "relevance"
    page: int = 1
    page_size: int = 10
    facets: bool = True
    language: str | None = None  # the reader's language, ranked first (None: guessed from the query)


@dataclass
class Hit:
    """One found resource: id, title, a snippet with ``<mark>`` around matches, score, licence, languages."""

    id: str
    name: str
    score: float
    snippet: str = ""
    license: str | None = None
    languages: list[str] = field(default_factory=list)
    date: str = ""

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "license": self.license,
            "inLanguage": self.languages,
            "date": self.date or None,
        }


@dataclass
class SearchResult:
    """The answer to a search: total hits, one page of hits, facet counts and a suggestion.

    ``facets`` maps a record property (``license``, ``inLanguage``, ``sdg``, ...) to
    {stored value: count}; each property's counts honour every *other* active filter.
    ``notes`` explains how a mistyped query was read (shown to people, not in ``to_dict``).
    """

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    page: int = 1
    page_size: int = 10
    notes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size)) if self.page_size else 1

    def __iter__(self) -> Iterator[Hit]:
        """The hits of this page, best first: ``for hit in repo.search("water"): print(hit.id)``."""
        return iter(self.hits)

    def to_dict(self) -> dict:
        """The JSON form: ``total``, ``hits``, ``facets`` and ``suggestion``."""
        return {
            "total": self.total,
            "hits": [h.to_dict() for h in self.hits],
            "facets": self.facets,
            "suggestion": self.suggestion,
        }


@runtime_checkable
class SearchBackend(Protocol):
    """A full-text index that follows the store's change sequence."""

    def last_seq(self) -> int:
        """The last store change this index has applied (0 for a new index)."""

    def needs_rebuild(self) -> bool:
        """True when the index is missing or was built by an incompatible version."""

    def progress(self, last_change: Callable[[], int]) -> tuple[bool, int, int]:
        """(:meth:`needs_rebuild`, :meth:`last_seq`, the store's last change) at once; asked before
        every search. ``last_change()`` asks the store (a backend in the store's database may
        read it in the same round trip instead); the last two are 0 when a rebuild is needed."""

    def apply(
        self,
        entries: Callable[[int], Iterable[IndexEntry]],
        *,
        wait: bool = True,
        pending: int = 0,
        commit: bool = True,
    ) -> int | None:
        """Apply the store changes after the index's last seq, atomically with that seq.

        ``entries(seq)`` yields the changes after ``seq``; the backend calls it once it
        holds its write lock, so concurrent writers never apply a change twice out of
        order. Returns the new last seq, or None when ``wait`` is false and another
        writer holds the lock (that writer catches the index up). ``pending`` is roughly
        how many changes there are (a backend may write many with more processes). With
        ``commit=False`` a backend may keep its writer for the next call instead of committing.
        """

    def feed(self, documents: Iterable[tuple[int, IndexDocument]], conn: Connection | None = None, *,
             aside: bool = False) -> bool:
        """Write ``(seq, document)`` pairs of new records while the transaction ``conn`` storing
        them still runs, so that indexing overlaps storing: into a writer kept uncommitted until
        the :meth:`apply` after that transaction commits (Whoosh), or into that transaction
        itself (PostgreSQL). That apply skips the entries :meth:`was_fed` names. False when
        the backend takes none (it then indexes them from the store as usual). With ``aside``
        (one long transaction) the backend may write them beside ``conn`` instead, in a
        transaction of its own that it commits with the :meth:`apply` after ``conn`` has
        committed; :meth:`settle` raises what stopped it."""

    def settle(self, *, quiet: bool = False) -> None:
        """Wait for what :meth:`feed` still writes of transactions before; raise what stopped
        the writing (``quiet``: the transaction is failing anyway, only wait)."""

    def finish_feed(self) -> None:
        """Write what :meth:`feed` still holds, before the feeding transaction commits."""

    def feed_ending(self, seconds_left: float, records_left: int) -> bool:
        """The feeding job expects its last ``records_left`` records in about ``seconds_left``:
        the backend may write what it holds meanwhile, so that little is left for the commit.
        True once there is nothing more to do for it (the caller then stops telling)."""

    def was_fed(self, resource_id: str, seq: int) -> bool:
        """True when the change ``seq`` of ``resource_id`` is in the kept writer already."""

    def fed_through(self, seq: int) -> int:
        """The last seq of the changes :meth:`feed` wrote one after another from ``seq + 1`` on
        (``seq`` when it did not write that change): the catch-up need not read them again."""

    def discard(self) -> None:
        """Drop what :meth:`feed` wrote (the transaction rolled back)."""

    def rebuild(
        self, documents: Iterable[IndexDocument], last_seq: int, *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace the whole index by ``documents`` (current at store seq ``last_seq``); returns the count."""

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a query; raises SearchError with a readable message for a query it cannot run."""

    def close(self) -> None:
        """Release files and caches."""


def check_page(request: SearchRequest) -> None:
    """Refuse page numbers and sizes no person means (SearchError)."""
    from ..errors import SearchError

    if request.sort not in SORTS:
        raise SearchError(f"unknown sort {request.sort!r}; use one of {', '.join(SORTS)}")
    if request.page < 1:
        raise SearchError(f"page {request.page} does not exist; pages start at 1")
    if not 1 <= request.page_size <= 1000:
        raise SearchError(f"page size {request.page_size} is out of range; use 1 to 1000")


def entries_sequence(entries: Sequence[IndexEntry]) -> int:
    """The highest seq in a batch of entries (0 for none)."""
    return max((e.seq for e in entries), default=0)
