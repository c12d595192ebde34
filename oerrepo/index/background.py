"""Keeping the search index up with the store from a second process during a long write job.

A harvest stores records faster than the index can take them (Whoosh analyses each
document in every language it is in). Indexing in the harvesting process would make the
two take turns; a second process lets them run at once on two cores. The index follows
the store's change sequence, so this process only has to apply what is new, as often as
it can, and stops when told to (after a last catch-up) or when its parent is gone. It adds
what is new to an index writer it keeps for the job, which writes a large segment every so
many documents (whoosh_backend.KEPT_SEGMENT) and commits at the last catch-up, so the index
files are current when the job returns; a job that dies leaves the index at its last
commit, and the next open catches it up.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from typing import Protocol

from .. import waiting
from ..subprocesses import start_helper

log = logging.getLogger(__name__)

__all__ = ["BackgroundIndexer", "IndexFollower"]

POLL = 0.5  # seconds between catch-ups


class IndexFollower(Protocol):
    """What the second process needs: catch the index up with its store, and close both.

    ``catch_up(commit=False)`` adds what is new to a writer it keeps for the next catch-up;
    ``catch_up()`` commits.
    """

    def catch_up(self, *, commit: bool = True) -> None: ...

    def close(self) -> None: ...


class BackgroundIndexer:
    """A child process that catches an index up with its store until :meth:`stop`.

    ``open_follower`` is called in the child to open the store and the index there; it
    must be picklable (a module-level class or function, or a ``functools.partial`` of one).
    """

    def __init__(self, open_follower: Callable[[], IndexFollower]):
        self.open_follower = open_follower
        # spawn, not fork: the parent may run threads (harvest workers) holding locks.
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        # The child sends what stopped it early, so the job can say so (its own index catch-up
        # then does the work).
        self._problems, self._problem_sender = self._context.Pipe(duplex=False)
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> bool:
        """Start the process; False when it cannot be started (the caller indexes itself)."""
        try:
            self._process = self._context.Process(
                target=_follow, args=(self.open_follower, self._stop, os.getpid(), self._problem_sender),
                name="oerrepo-index", daemon=True,
            )
            self._process.start()
        except (OSError, RuntimeError) as exc:
            log.warning("indexing in a second process is not possible here (%s); indexing in this one", exc)
            self._process = None
            return False
        return True

    def stop(self, *, wait: bool = True) -> str | None:
        """Ask for a last catch-up and the end; ``wait`` for it (the index is then current).

        Returns what stopped the process before it could index everything (the caller then
        catches the index up itself), or None when it did.
        """
        self._stop.set()
        if self._process is None or not wait:
            return None
        waiting.join(self._process)
        if self._problems.poll():
            return self._problems.recv()
        if self._process.exitcode:
            return f"the indexing process ended with exit code {self._process.exitcode}"
        return None


def _follow(open_follower: Callable[[], IndexFollower], stop, parent: int, problems) -> None:
    start_helper()  # the parent tells us to stop
    try:
        follower = open_follower()
    except Exception as exc:  # noqa: BLE001 - the parent indexes at its end; the next open catches up
        log.warning("background indexing could not start: %s", exc)
        problems.send(f"it could not start: {exc}")
        return
    try:
        while True:
            stopping = stop.wait(POLL)
            if os.getppid() != parent:
                return  # the parent died: the next open catches the index up
            # One writer for the whole job, committed once at its end: a commit per catch-up
            # wrote a small segment each time and merged them again and again.
            follower.catch_up(commit=stopping)
            if stopping:
                return
    except Exception as exc:  # noqa: BLE001 - the store is safe; the parent or the next open catches up
        log.warning("background indexing stopped: %s", exc)
        problems.send(f"it stopped: {exc}")
    finally:
        follower.close()
