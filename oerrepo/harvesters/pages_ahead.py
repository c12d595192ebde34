"""A list's pages fetched ahead of the harvest that stores them.

The fetching thread asks for the next page as soon as the page before it gave its
resumption token, not when the harvest gets round to asking: over a real network the
partner's answer time is what a harvest waits for, and every millisecond between two
requests adds to it (200 pages at 50 ms each took 66 ms a page when the next request was
sent only once the harvest had taken the page and read its records). Where the token can
be read off the answer's last bytes (``peek``), the next request goes out before the page
is parsed, and a second thread parses it: parsing a page in a process busy storing the one
before took a few milliseconds more between two requests. Still one request at a time,
and never more than ``depth`` pages fetched and not yet taken.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .. import waiting
from .client import Page

__all__ = ["PagesAhead", "Request"]

#: (resumption token, from, set): what one ListRecords request asks for.
Request = tuple[str | None, str | None, str | None]


class PagesAhead:
    """Pages of ListRecords requests, each fetched by one thread after the one before it.

    ``fetch(request)`` gets a request's answer and ``read(answer)`` makes the page of it
    (without ``read`` the answer is the page). ``peek(answer)``, when given, is the next
    page's resumption token where it can be told before the page is read (None where it
    cannot); the page is then read in a second thread while the next one is asked for.
    A wrong guess costs a request, never a page: the harvest asks for the token the page
    read gives, and :meth:`get` fetches that when it is not the one asked ahead.
    ``then(page)``, when given, runs on each page in that second thread too (the harvest
    starts reading the page's records there); the futures of :meth:`get` give ``(page,
    what then returned)``.
    """

    def __init__(self, fetch: Callable[[Request], Any], *, read: Callable[[Any], Page] | None = None,
                 peek: Callable[[Any], str | None] | None = None, then: Callable[[Page], Any] | None = None,
                 depth: int = 2):
        self._fetch, self._read, self._peek, self._then = fetch, read, peek, then
        self._depth = depth
        self._executor = waiting.DaemonExecutor("harvest-fetch")
        self._then_executor = (waiting.DaemonExecutor("harvest-fetched")
                               if then is not None or (read is not None and peek is not None) else None)
        self._lock = threading.Condition()
        self._queue: deque[tuple[Request, Future]] = deque()  # asked (or to be) and not yet taken
        self._chain = 0  # a new chain (another request than the one fetched ahead) ends the old one
        self._closed = False

    def get(self, request: Request) -> Future:
        """The page of ``request``: fetched ahead already, or asked now.

        Another request than the one fetched ahead (the harvest restarts a list, or goes
        on with the next set) ends what was fetched ahead; the new request goes after the
        one in flight, never at the same time.
        """
        with self._lock:
            if self._queue and self._queue[0][0] == request:
                _, future = self._queue.popleft()
                self._lock.notify_all()
                return future
            for _, stale in self._queue:
                stale.cancel()
            self._queue.clear()
            self._chain += 1
            future: Future = Future()
            self._executor.submit(self._run, request, future, self._chain)
            self._lock.notify_all()
            return future

    def close(self, *, wait: bool = True) -> None:
        """Stop fetching ahead; ``wait``: until the request in flight ended (else it is left behind)."""
        with self._lock:
            self._closed = True
            for _, stale in self._queue:
                stale.cancel()
            self._queue.clear()
            self._lock.notify_all()
        self._executor.shutdown(wait=wait, cancel_futures=True)
        if self._then_executor is not None:
            self._then_executor.shutdown(wait=wait, cancel_futures=True)

    def _current(self, chain: int) -> bool:
        return not self._closed and chain == self._chain

    def _run(self, request: Request, future: Future, chain: int) -> None:
        # In the fetching thread: this request's answer, then the next one's request queued
        # (at once where the answer tells its token, else once its page is read).
        if not future.set_running_or_notify_cancel():
            return
        try:
            answer = self._fetch(request)
            peeked = self._peek(answer) if self._peek is not None else None
            if self._then_executor is None:
                page = answer if self._read is None else self._read(answer)
                future.set_result((page, None))
        except BaseException as exc:  # noqa: BLE001 - for the harvest to handle; the chain ends here
            future.set_exception(exc)
            return
        if self._then_executor is None:
            self._follow(request, page.token, chain)
            return
        if peeked is not None:
            self._follow(request, peeked, chain)
        self._then_executor.submit(self._finish, request, answer, future, chain, peeked is None)

    def _follow(self, request: Request, token: str | None, chain: int) -> None:
        """Queue the request of the page after ``request``'s, whose token is ``token``."""
        if not token or token == request[0]:
            return  # the list ends here (or loops, which the harvest reports)
        following: Request = (token, request[1], request[2])
        with self._lock:
            # Not more than `depth` pages ahead of the harvest (one may be in flight).
            while self._current(chain) and len(self._queue) >= self._depth:
                self._lock.wait(waiting.SLICE)
            if not self._current(chain):
                return
            ahead: Future = Future()
            self._queue.append((following, ahead))
            self._executor.submit(self._run, following, ahead, chain)

    def _finish(self, request: Request, answer: Any, future: Future, chain: int, follow: bool) -> None:
        # In the second thread: the page read, ``then`` run on it, and the next request queued
        # now where the answer's last bytes did not tell its token.
        try:
            page = answer if self._read is None else self._read(answer)
        except BaseException as exc:  # noqa: BLE001 - for the harvest to handle; the chain ends here
            future.set_exception(exc)
            return
        try:
            future.set_result((page, self._then(page) if self._then is not None else None))
        except BaseException as exc:  # noqa: BLE001 - for the harvest to handle
            future.set_exception(exc)
            return
        if follow:
            self._follow(request, page.token, chain)
