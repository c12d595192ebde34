"""What every helper process of a command does when it starts."""

from __future__ import annotations

import os
import signal
import sys

from .collector import for_bulk_process

__all__ = ["ignore_interrupts", "start_helper", "start_indexing_helper", "INDEXING_NICE", "check_not_rerunning_main"]

# Processes that analyse and write the search index run at this much lower a priority
# (Unix nice) than the process feeding them: their work is throughput, waited for only at
# the job's end, while the feeding process waits at every step for a partner's answer or
# the database's. On two cores, a 100,000-record harvest at 50 ms a page spent 5.7 s
# between pages in all at equal priority, 4.1-4.6 s at 10 (55.9-56.5 against 57.4 s); an
# import of 20,000 records on PostgreSQL took 2-9 % less in four interleaved pairs, and on
# SQLite as long in two. They still get every core nothing else wants.
INDEXING_NICE = 10


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the parent process.

    A terminal sends it to every process of its foreground group. The parent stops its
    helper processes itself and says what was kept; a helper that took the interrupt too
    would print a traceback of its own over that message.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_helper() -> None:
    """What a helper process of a bulk job does first: leave Ctrl-C to its parent (see
    :func:`ignore_interrupts`) and collect garbage as bulk work does (see :mod:`.collector`)."""
    ignore_interrupts()
    for_bulk_process()


def start_indexing_helper() -> None:
    """What a process analysing or writing the search index does first: :func:`start_helper`,
    and yield the cores to its parent (:data:`INDEXING_NICE`)."""
    start_helper()
    if hasattr(os, "nice"):  # not on Windows
        os.nice(INDEXING_NICE)


def check_not_rerunning_main(doing: str) -> None:
    """Refuse ``doing`` (a write) when called from the top level of a script that a helper
    process is running again.

    Helper processes are started afresh ("spawned") where the parent runs threads, and
    Python then runs the parent's main script again in each of them, as a module named
    ``__mp_main__``. A script that writes to the repository at its top level, outside
    ``if __name__ == "__main__":``, would write again from each helper: on PostgreSQL the
    helper waited for the write lock its parent held while the parent waited for the
    helper, for ever. The helper then stops with a message saying what to change (a
    traceback from a process the script never started itself would only hide it), and the
    script's own call fails because its helper did.
    """
    if "__mp_main__" not in sys.modules:  # multiprocessing names the main module so once imported
        return
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__mp_main__":
            script = frame.f_globals.get("__file__") or "the main script"
            raise SystemExit(
                f"oerrepo: {script} {doing} at its top level, and a helper process of oerrepo ran it again "
                "(Python runs a program's main script anew in each process it starts this way); put that code "
                'under if __name__ == "__main__": so that only the program itself runs it'
            )
        frame = frame.f_back
