"""Waiting for other threads and processes in a way that Ctrl-C interrupts at once.

Python runs a signal's handler in the main thread only, and only once that thread runs
Python code again. When the operating system hands Ctrl-C to another thread of the
process, or the signal comes just before the main thread starts to wait, a plain
``future.result()`` or ``thread.join()`` goes on waiting until what it waits for ends (a
harvest's whole list, a partner's page held for a minute) and only then raises
KeyboardInterrupt. Waiting in short slices lets the main thread see the interrupt within
a fraction of a second, whichever thread received it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Executor, Future
from concurrent.futures import wait as wait_for
from typing import Any, Protocol

__all__ = ["wait", "result", "results", "join", "DaemonExecutor"]

#: Seconds between two looks at a pending interrupt; a wait costs a wake-up this often.
SLICE = 0.2


class Joinable(Protocol):
    """A thread or a process."""

    def is_alive(self) -> bool: ...

    def join(self, timeout: float | None = None) -> None: ...


def wait(future: Future, stop: threading.Event | None = None) -> bool:
    """Wait until ``future`` is done (whatever its outcome), interruptible by Ctrl-C.

    With ``stop``, the wait also ends once it is set (by the thread that took Ctrl-C, for
    the other threads): then False, and the future is left to itself.
    """
    while not future.done():
        if stop is not None and stop.is_set():
            return False
        wait_for([future], timeout=SLICE)
    return True


def result(future: Future) -> Any:
    """``future.result()``, interruptible by Ctrl-C while it waits."""
    wait(future)
    return future.result()


def results(futures: Iterable[Future]) -> list[Any]:
    """The results of ``futures`` in their order; the first failure is raised as soon as it happens."""
    ordered = list(futures)
    pending = set(ordered)
    while pending:
        done, pending = wait_for(pending, timeout=SLICE, return_when=FIRST_EXCEPTION)
        for future in done:
            failure = future.exception()
            if failure is not None:
                raise failure
    return [f.result() for f in ordered]


def join(worker: Joinable) -> None:
    """``worker.join()`` for a thread or process, interruptible by Ctrl-C while it waits."""
    while worker.is_alive():
        worker.join(SLICE)


class DaemonExecutor(Executor):
    """One background thread running what is submitted, in order, that the interpreter does
    not wait for when the program ends.

    Python waits at its exit for every thread of a ThreadPoolExecutor to finish its job. A
    job that waits for a partner (a request that hangs until its timeout, a minute) then
    keeps a command alive long after Ctrl-C stopped it. Use this for jobs whose result is of
    no use once the program ends, and which write nothing.
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` in the thread after what was submitted before."""
        if self._closed:
            raise RuntimeError("cannot submit to a DaemonExecutor after its shutdown")
        future: Future = Future()
        self._jobs.put((future, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more jobs; ``cancel_futures``: drop those not started; ``wait``: until the thread ends."""
        self._closed = True
        if cancel_futures:
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job[0].cancel()
        self._jobs.put(None)
        if wait:
            join(self._thread)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                outcome = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the future
                future.set_exception(exc)
            else:
                future.set_result(outcome)
