"""Several harvest workers on one store: a source is harvested by one of them at a time."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest
from oai_server import Partner, Rec, dc

from oerrepo import HarvestError, Repository

FAST = dict(backoff=0.01, retries=1, timeout=2.0)


def records(n: int, host: str) -> list[Rec]:
    """Records of one partner, distinct from every other partner's (no URL or title in common)."""
    return [
        Rec(f"oai:{host}:{i}", "2024-01-01T00:00:00Z",
            dc(f"{host} blueprint {i}", creators=[f"Teacher {host} {i}"],
               rights=["https://creativecommons.org/licenses/by/4.0/"], identifiers=[f"https://{host}/item/{i}"]))
        for i in range(1, n + 1)
    ]

HOLDER = """
import sys, time
from oerrepo import Repository
repo = Repository(sys.argv[1])
with repo.store.claim("harvest:" + sys.argv[2]) as mine:
    print("held" if mine else "refused", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(data_dir):
    procs = []

    def hold(source: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir), source],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "held"
        procs.append(proc)
        return proc

    yield hold
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_source_another_worker_harvests_is_left_to_it(data_dir, holder):
    repo = Repository(data_dir)
    with Partner(records(6, "a.test")) as a, Partner(records(4, "b.test")) as b:
        repo.add_source("alpha", a.url, **FAST)
        repo.add_source("beta", b.url, **FAST)
        worker = holder("alpha")  # another worker is busy with alpha
        report = repo.harvest_all()
        assert [s.source for s in report.sources] == ["beta"]
        assert not a.requests and repo.count() == 4
        with pytest.raises(HarvestError, match="being harvested by another process"):
            repo.harvest("alpha")
        # The claim dies with its holder, even by kill -9.
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        report = repo.harvest_all()
        assert {s.source for s in report.sources} == {"alpha", "beta"}
        assert repo.count() == 10
    assert all(len(repo.history(r.id)) == 1 for r in repo)
    # Listings carry where each record came from.
    assert {r.provenance[0].source for r in repo.iter()} == {"alpha", "beta"}


WORKER = """
import json, sys
from oerrepo import Repository
report = Repository(sys.argv[1]).harvest_all()
print(json.dumps([s.source for s in report.sources]))
"""


def test_two_workers_at_once_store_every_record_once(data_dir):
    repo = Repository(data_dir)
    partners = [Partner(records(12, f"p{i}.test"), page_size=3) for i in range(3)]
    for p in partners:
        p.__enter__()
    try:
        for i, p in enumerate(partners):
            repo.add_source(f"p{i}", p.url, delay=0.05, **FAST)
        repo.close()
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(data_dir)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = []
        for w in workers:
            out, err = w.communicate(timeout=180)
            assert w.returncode == 0, err
            outputs.append(out)
    finally:
        for p in partners:
            p.__exit__(None, None, None)
    repo = Repository(data_dir)
    assert repo.count() == 36
    # Every record was added exactly once, whichever worker took its source.
    assert all([r.action for r in repo.history(x.id)] == ["add"] for x in repo)
    # Each partner served its list once per worker that harvested it, never interleaved twice.
    for p in partners:
        firsts = [r for r in p.requests if r.get("verb") == "ListRecords" and "resumptionToken" not in r]
        assert len(firsts) >= 1


def test_harvest_all_with_workers_harvests_sources_at_the_same_time(data_dir):
    from oai_server import simple_records

    b_asked = threading.Event()
    with Repository(data_dir) as repo, Partner(simple_records(25), page_size=10) as a, \
            Partner([Rec(f"oai:b.test:{i}", "2024-01-01T00:00:00Z", dc(f"Kit {i}", rights=["CC0-1.0"]))
                     for i in range(15)], page_size=10) as b:
        repo.add_source("a", a.url)
        repo.add_source("b", b.url)
        repo.add_source("c-down", "http://127.0.0.1:9/oai", retries=0, timeout=1.0)
        # a's second page is answered only once b has been asked for records: one worker at a
        # time would wait here 10 s and then find b not yet asked.
        a.fault("none", times=1)
        waited: list[str] = []
        a.fault("wait", event=b_asked, waited=waited)
        b.on_request = lambda args: args.get("verb") == "ListRecords" and b_asked.set()
        report = repo.harvest_all(workers=3)
        assert waited == ["event"]  # b was asked while a's harvest was under way
        assert [(s.source, s.complete, s.new) for s in report.sources] == [("a", True, 25), ("b", True, 15),
                                                                            ("c-down", False, 0)]
        assert report.sources[2].error and repo.count() == 40
        assert repo.search("Kit").total == 15


def test_ctrl_c_stops_a_parallel_harvest_and_the_next_run_continues(data_dir):
    repo = Repository(data_dir)
    with Partner(records(30, "a.test"), page_size=10) as a, Partner(records(30, "b.test"), page_size=10) as b:
        repo.add_source("a", a.url, **FAST)
        repo.add_source("b", b.url, **FAST)
        repo.close()
        asked, released = threading.Event(), threading.Event()
        for partner in (a, b):  # each list's second page is held until Ctrl-C has been pressed
            partner.on_request = lambda args: "resumptionToken" in args and asked.set()
            partner.fault("none", times=1)
            partner.fault("wait", times=1, seconds=60.0, event=released)
        cli = subprocess.Popen([sys.executable, "-m", "oerrepo", "--data", str(data_dir), "harvest", "--all",
                                "--workers", "2", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        assert asked.wait(60)
        cli.send_signal(signal.SIGINT)
        # the held pages are answered only once the signal has had time to arrive, however busy the machine
        threading.Timer(2.0, released.set).start()
        out, err = cli.communicate(timeout=90)
        assert cli.returncode != 0 and "Traceback" not in err, err
        with Repository(data_dir) as repo:
            assert 0 < repo.count() < 60  # the first pages were kept
            second = repo.harvest_all(workers=2)
            assert sorted((s.source, s.complete, s.resumed) for s in second.sources) == [
                ("a", True, True), ("b", True, True)]
            assert repo.count() == 60
            assert all([r.action for r in repo.history(x.id)] == ["add"] for x in repo)


INTERRUPTED_ELSEWHERE = """
import signal, sys, threading
from oerrepo import Repository

def press_ctrl_c():
    sys.stdin.readline()  # the test says when
    # The operating system may hand Ctrl-C to any thread of the process: here, to this one.
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)

threading.Thread(target=press_ctrl_c, daemon=True).start()
with Repository(sys.argv[1]) as repo:
    try:
        if sys.argv[2] == "all":
            repo.harvest_all(workers=2)
        else:
            repo.harvest("a")
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""


@pytest.mark.parametrize("how", ["all", "one"])
def test_ctrl_c_received_by_another_thread_stops_the_harvest_without_waiting_for_the_partner(data_dir, how):
    repo = Repository(data_dir)
    with Partner(records(30, "a.test"), page_size=10) as a, Partner(records(30, "b.test"), page_size=10) as b:
        partners = (a, b) if how == "all" else (a,)
        for name, partner in zip("ab", partners):
            repo.add_source(name, partner.url, backoff=0.01, retries=0, timeout=120.0)
        repo.close()
        asked, released = threading.Event(), threading.Event()
        for partner in partners:  # each list's third page is held until the test ends
            # (it is asked while the second is stored, after the first was)
            partner.on_request = lambda args: args.get("resumptionToken", "").startswith("1|20|") and asked.set()
            partner.fault("none", times=2)
            partner.fault("wait", times=1, seconds=110.0, event=released)
        cli = subprocess.Popen([sys.executable, "-c", INTERRUPTED_ELSEWHERE, str(data_dir), how],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert asked.wait(60)
            with Repository(data_dir) as watching:  # the two pages before the held one are stored
                deadline = time.monotonic() + 60
                while watching.count() < 20 * len(partners) and time.monotonic() < deadline:
                    time.sleep(0.05)
            # Before, the main thread saw the interrupt only once the held page came (110 s later).
            out, err = cli.communicate("now\n", timeout=60)
        finally:
            released.set()
            cli.kill()
        assert out.strip() == "interrupted" and "Traceback" not in err, err
    with Repository(data_dir) as repo:
        assert repo.count() == 20 * len(partners)  # the first pages were kept, the held ones never came


def test_several_long_harvests_at_once_are_indexed_by_a_second_process(data_dir, monkeypatch):
    import multiprocessing
    import time

    from oerrepo.harvesters import loop

    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)  # each page 'long' enough to hand the indexing over
    seen: list[list[str]] = []
    repo = Repository(data_dir)
    with Partner(records(150, "a.test"), page_size=50) as a, Partner(records(150, "b.test"), page_size=50) as b:
        for partner in (a, b):
            partner.on_request = lambda args: time.sleep(0.2) if args.get("verb") == "ListRecords" else None
        repo.add_source("alpha", a.url, **FAST)
        repo.add_source("beta", b.url, **FAST)
        report = repo.harvest_all(workers=2, progress=lambda **_: seen.append(
            [p.name for p in multiprocessing.active_children()]))
    assert [s.new for s in report.sources] == [150, 150]
    # one harvest's records fed to the index would be committed by the other's catch-up while
    # their page's transaction is still open: a second process follows the store instead
    assert any("oerrepo-index" in names for names in seen), seen
    assert not any(n.startswith("oerrepo-index-writer") for names in seen for n in names), seen
    result = repo.search("blueprint")
    assert result.total == 300 and result.facets["source"] == {"alpha": 150, "beta": 150}
    repo.close()
