"""Read-ahead of list pages: the next page is rendered while the harvester reads this one.

A harvester parses and stores each page before it asks for the next, so the server
would sit idle during that time and the harvester would wait during the rendering.
When a page with a resumption token is served, the page that token names is rendered
in the background; the request that presents the token takes the finished text.

A page is a pure function of its token (lists are served as of their start), so a
page rendered ahead is exactly the page rendered on request. At most ``max_pages``
pages are kept; a page no one asks for is dropped when newer ones arrive. A request
never waits for work that has not started: it cancels it and renders the page itself.

Behind a load balancer that spreads one harvest over several server processes, a page
rendered ahead would mostly be asked of another process. So a list is read ahead only
while its harvester keeps coming back: when the token it presents was issued here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor

__all__ = ["ReadAhead"]

MAX_PAGES = 32  # pages of 100 records: a few MB at most
MAX_ISSUED = 4096  # tokens remembered as issued here (a few hundred kB)


class ReadAhead:
    """Pages rendered ahead, by key (the resumption token that will ask for them)."""

    def __init__(self, max_pages: int = MAX_PAGES):
        self.max_pages = max_pages
        self._pages: OrderedDict[Hashable, Future] = OrderedDict()
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        self._issued: OrderedDict[Hashable, None] = OrderedDict()
        self.hits = 0  # pages served from read-ahead: what it saves is visible
        self.scheduled = 0

    def issued(self, key: Hashable) -> None:
        """Remember that this process handed out ``key`` (a resumption token)."""
        with self._lock:
            self._issued[key] = None
            if len(self._issued) > MAX_ISSUED:
                self._issued.popitem(last=False)

    def issued_here(self, key: Hashable) -> bool:
        """True when this process handed out ``key`` (recently)."""
        with self._lock:
            return key in self._issued

    def schedule(self, key: Hashable, render: Callable[[], str]) -> None:
        """Render a page in the background, to be taken with :meth:`take`."""
        with self._lock:
            if self._closed or key in self._pages:
                return
            if self._executor is None:
                # One thread: read-ahead uses an idle core, it never competes with requests for many.
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="oai-read-ahead")
            while len(self._pages) >= self.max_pages:
                _, stale = self._pages.popitem(last=False)
                stale.cancel()
            self._pages[key] = self._executor.submit(render)
            self.scheduled += 1

    def take(self, key: Hashable) -> str | None:
        """The page rendered ahead for ``key``, or None when the caller should render it itself."""
        with self._lock:
            future = self._pages.pop(key, None)
        if future is None or future.cancel():
            return None  # never scheduled, or not started yet: rendering here is as quick
        try:
            page = future.result()
        except (CancelledError, Exception):  # noqa: BLE001 - the caller renders it again and reports any error
            return None
        with self._lock:
            self.hits += 1
        return page

    def close(self) -> None:
        """Drop the pages and stop the background thread."""
        with self._lock:
            self._closed = True
            for future in self._pages.values():
                future.cancel()
            self._pages.clear()
            self._issued.clear()
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)  # a page being rendered finishes alone
