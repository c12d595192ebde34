"""Keeping the search index up with the store from a second process during a long write job.

A harvest stores records faster than the index can take them (Whoosh analyses each
document in every language it is in). Indexing in the harvesting process would make the
two take turns; a second process lets them run at once on two cores. The index follows
the store's change sequence, so this process only has to apply what is new, as often as
it can, and stops when told to (after a last catch-up) or when its parent is gone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["BackgroundIndexer"]

POLL = 0.5  # seconds between catch-ups


class BackgroundIndexer:
    """A child process that catches the index of one repository up until :meth:`stop`."""

    def __init__(self, path: Path, db_url: str | None):
        self.path = path
        self.db_url = db_url
        # spawn, not fork: the parent may run threads (harvest workers) holding locks.
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> bool:
        """Start the process; False when it cannot be started (the caller indexes itself)."""
        try:
            self._process = self._context.Process(
                target=_follow, args=(str(self.path), self.db_url, self._stop, os.getpid()),
                name="oerrepo-index", daemon=True,
            )
            self._process.start()
        except (OSError, RuntimeError) as exc:
            log.warning("indexing in a second process is not possible here (%s); indexing in this one", exc)
            self._process = None
            return False
        return True

    def stop(self, *, wait: bool = True) -> None:
        """Ask for a last catch-up and the end; ``wait`` for it (the index is then current)."""
        self._stop.set()
        if self._process is not None and wait:
            self._process.join()


def _follow(path: str, db_url: str | None, stop, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; it tells us to stop
    from ..repository import Repository

    repo = Repository(path, create=False, db_url=db_url)
    try:
        while True:
            stopping = stop.wait(POLL)
            if os.getppid() != parent:
                return  # the parent died: the next open catches the index up
            repo._catch_up_index(wait=True)
            if stopping:
                return
    except Exception as exc:  # noqa: BLE001 - the store is safe; the parent or the next open catches up
        log.warning("background indexing stopped: %s", exc)
    finally:
        repo.close()
