"""Waits that Ctrl-C interrupts, and the background thread a program does not wait for at its end."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from concurrent.futures import CancelledError, ThreadPoolExecutor

import pytest

from oerrepo import waiting


def test_results_come_in_order_and_the_first_failure_is_raised_without_waiting_for_the_others():
    release = threading.Event()
    with ThreadPoolExecutor(3) as pool:
        assert waiting.results([pool.submit(lambda n=n: n * n) for n in range(5)]) == [0, 1, 4, 9, 16]
        slow = pool.submit(release.wait, 60)
        failing = pool.submit(int, "not a number")
        with pytest.raises(ValueError, match="not a number"):
            waiting.results([slow, failing])
        assert not slow.done()  # raised while the slow one still ran
        release.set()


def test_a_wait_given_a_stop_ends_when_it_is_set():
    stop, never = threading.Event(), threading.Event()
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(never.wait, 60)
        threading.Timer(0.3, stop.set).start()
        assert waiting.wait(held, stop) is False
        never.set()
        assert waiting.wait(held, stop) is False  # stopped stays stopped
        assert waiting.wait(held) is True


def test_the_daemon_executor_runs_jobs_in_order_and_cancels_those_not_started():
    executor = waiting.DaemonExecutor("test")
    started, gate, order = threading.Event(), threading.Event(), []
    first = executor.submit(lambda: started.set() or gate.wait(60) and order.append(1))
    started.wait(60)
    second = executor.submit(order.append, 2)
    third = executor.submit(order.append, 3)
    executor.shutdown(wait=False, cancel_futures=True)
    gate.set()
    waiting.wait(first)
    assert second.cancelled() and third.cancelled() and order == [1]
    with pytest.raises(CancelledError):
        third.result()
    with pytest.raises(RuntimeError, match="after its shutdown"):
        executor.submit(print)


PROGRAM = """
import signal, sys, threading
from oerrepo import waiting

def press_ctrl_c():  # from another thread than the main one, as the operating system may
    sys.stdin.readline()
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)

threading.Thread(target=press_ctrl_c, daemon=True).start()
job = waiting.DaemonExecutor("hanging").submit(threading.Event().wait, 300)  # a request that hangs
print("waiting", flush=True)
waiting.result(job)
"""


def test_ctrl_c_from_any_thread_ends_a_program_waiting_for_a_job_that_hangs():
    program = subprocess.Popen([sys.executable, "-c", PROGRAM], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert program.stdout.readline() == "waiting\n"
        program.stdin.write("now\n")
        program.stdin.flush()
        # Before, it waited for the job (300 s): neither the wait nor the program's end was interrupted.
        program.wait(timeout=60)
    finally:
        program.kill()
    assert program.returncode == -signal.SIGINT or "KeyboardInterrupt" in program.stderr.read()
