"""The worker processes that build PostgreSQL search rows for large jobs.

No database is needed: the rows are built in Python, and written by the caller.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from oerrepo.errors import SearchError
from oerrepo.index.backend import IndexDocument
from oerrepo.index.postgres_rows import RowWorkers, row_of
from oerrepo.subprocesses import INDEXING_NICE


def _docs(n: int) -> list[IndexDocument]:
    return [
        IndexDocument(id=f"kit-{i:05d}", name=f"Pond survey {i}", titles=[("en", f"Pond survey {i}")],
                      descriptions=[("en", f"Learners count the dragonflies of pond {i} through the seasons")],
                      facets={"source": ["local"]})
        for i in range(n)
    ]


def _finishes(work, seconds: float = 60.0):
    """Run ``work`` in a thread; what it returned or raised, or AssertionError when it hangs."""
    outcome: list = []

    def run():
        try:
            outcome.append(("returned", work()))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(("raised", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds:.0f} s"
    return outcome[0]


def test_workers_build_the_rows_a_single_process_builds_in_order():
    docs = _docs(250)
    with RowWorkers() as workers:
        rows = workers.rows(workers.submit(docs))
    assert [r.id for r in rows] == [d.id for d in docs]
    assert rows[7] == row_of(docs[7]) and rows[-1] == row_of(docs[-1])


@pytest.mark.skipif(not os.path.isdir("/proc") or not hasattr(os, "nice"), reason="reads priorities from /proc")
def test_workers_yield_the_cores_to_the_process_feeding_them():
    before = set(multiprocessing.active_children())
    with RowWorkers() as workers:
        workers.rows(workers.submit(_docs(250)))
        expected = {min(19, os.nice(0) + INDEXING_NICE)}
        deadline = time.monotonic() + 30  # a process sets its priority as it starts
        while True:
            niceness = []
            for process in multiprocessing.active_children():
                if process not in before:
                    with open(f"/proc/{process.pid}/stat") as f:
                        niceness.append(int(f.read().rsplit(")", 1)[1].split()[16]))  # field 19: nice
            if (niceness and set(niceness) == expected) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert niceness and set(niceness) == expected, niceness


@pytest.mark.skipif(not hasattr(os, "kill") or os.name != "posix", reason="needs POSIX signals")
def test_a_worker_killed_mid_job_fails_the_job_clearly_instead_of_hanging():
    # The system may kill a worker (out of memory, an operator): the job must end with a
    # clear error, and closing the workers must not wait for a lock the dead one held.
    before = set(multiprocessing.active_children())
    workers = RowWorkers()
    handle = workers.submit(_docs(20_000))  # far more than the workers finish before the kill
    started = [p for p in multiprocessing.active_children() if p not in before]
    assert started, "the workers should run as processes of their own"
    os.kill(started[0].pid, signal.SIGKILL)

    kind, value = _finishes(lambda: workers.rows(handle))
    assert kind == "raised" and isinstance(value, SearchError), value
    assert "ended unexpectedly" in str(value) and "Run it again" in str(value)
    assert _finishes(workers.close) == ("returned", None)
    assert not [p for p in multiprocessing.active_children() if p not in before and p.is_alive()]


def test_rows_keep_no_record_name_in_the_word_cache():
    # The word caches hold words, which records repeat, not whole names, which they do not:
    # a long import's rows would otherwise grow the importing process record by record.
    from itertools import islice, permutations

    from oerrepo.index import analysis

    words = ["garden", "bees", "water", "energy", "school", "maps"]
    docs = [IndexDocument(id=f"r{i}", name=" ".join(p), titles=[("en", " ".join(p))], facets={"source": ["local"]})
            for i, p in enumerate(islice(permutations(words), 600))]
    analysis.fold.cache_clear()
    row_of(docs[0])
    before = analysis.fold.cache_info().currsize
    for doc in docs[1:]:
        row_of(doc)
    assert analysis.fold.cache_info().currsize - before < 20
