"""The state of a results page, held entirely in its URL (shareable, bookmarkable).

Parameter names are those of the ``/search`` JSON route: ``q``, ``license``, ``language``,
``sdg``, ``type``, ``level``, ``audience``, ``source`` (each may repeat), ``open_only``,
``sort``, ``page``; plus ``lang``, the interface language when the reader chose one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

__all__ = ["FILTERS", "SORTS", "SearchState", "query_string"]

# URL parameter -> the record property the search facets count.
FILTERS: dict[str, str] = {
    "sdg": "sdg",
    "type": "learningResourceType",
    "level": "educationalLevel",
    "language": "inLanguage",
    "license": "license",
    "source": "source",
    "audience": "audience",
}
SORTS: tuple[str, ...] = ("relevance", "date", "name")
PAGE_SIZE = 10
MAX_PAGE = 1000  # deeper than any reader goes; bounds the work a crafted URL can ask for
_MAX_VALUES = 20  # per filter
_MAX_QUERY = 500  # characters


def query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """``?a=1&b=2`` for the pairs (empty values dropped), or '' when none remain."""
    kept = [(k, v) for k, v in pairs if v not in (None, "")]
    return "?" + urlencode(kept) if kept else ""


@dataclass(frozen=True)
class SearchState:
    """What a reader asked for: query, filters (parameter -> values), openness, sorting and page."""

    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    open_only: bool = False
    sort: str = "relevance"
    page: int = 1
    lang: str | None = None  # only when chosen explicitly: links then keep it

    @classmethod
    def from_args(cls, args: dict[str, list[str]], lang: str | None = None) -> SearchState:
        """Read the state from parsed query arguments; values out of range fall back to defaults."""
        filters: dict[str, tuple[str, ...]] = {}
        for name in FILTERS:
            values = [v.strip() for v in args.get(name, []) if v.strip()]
            if values:
                filters[name] = tuple(dict.fromkeys(values))[:_MAX_VALUES]
        try:
            page = int(args.get("page", ["1"])[0])
        except ValueError:
            page = 1
        sort = args.get("sort", ["relevance"])[0]
        return cls(
            q=args.get("q", [""])[0].strip()[:_MAX_QUERY],
            filters=filters,
            open_only=args.get("open_only", [""])[0].lower() in ("1", "true", "yes", "on"),
            sort=sort if sort in SORTS else "relevance",
            page=min(max(page, 1), MAX_PAGE),
            lang=lang,
        )

    # -- changing the state (each returns a new one) -------------------------------

    def adding(self, name: str, value: str) -> SearchState:
        values = self.filters.get(name, ())
        if value in values:
            return self
        return replace(self, filters={**self.filters, name: (*values, value)}, page=1)

    def removing(self, name: str, value: str | None = None) -> SearchState:
        kept = tuple(v for v in self.filters.get(name, ()) if value is not None and v != value)
        filters = {k: v for k, v in self.filters.items() if k != name}
        if kept:
            filters[name] = kept
        return replace(self, filters=filters, page=1)

    def with_query(self, q: str) -> SearchState:
        return replace(self, q=q, page=1)

    def on_page(self, page: int) -> SearchState:
        return replace(self, page=page)

    def toggling_open(self) -> SearchState:
        return replace(self, open_only=not self.open_only, page=1)

    def cleared(self) -> SearchState:
        return SearchState(q=self.q, lang=self.lang)

    # -- the URL -----------------------------------------------------------------

    def pairs(self, *, page: bool = True) -> list[tuple[str, str]]:
        out = [("q", self.q)]
        for name in FILTERS:
            out += [(name, v) for v in self.filters.get(name, ())]
        if self.open_only:
            out.append(("open_only", "1"))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if page and self.page > 1:
            out.append(("page", str(self.page)))
        if self.lang:
            out.append(("lang", self.lang))
        return out

    def url(self, path: str = "/search") -> str:
        return path + query_string(self.pairs())

    @property
    def active(self) -> bool:
        """True when the reader asked for anything (a query, a filter or openness)."""
        return bool(self.q or self.filters or self.open_only)
