"""A harvest killed with SIGKILL mid-way continues when run again: no record lost, none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from oai_server import Partner, simple_records

from oerrepo import Repository


def test_kill_9_mid_harvest_then_rerun_completes_without_duplicates(tmp_path):
    data = tmp_path / "data"
    total = 60
    with Partner(simple_records(total), page_size=5) as partner:
        partner.fault("slow", times=1000, seconds=0.15)  # every page slow enough to be killed between
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "oerrepo", "--data", str(data), "harvest", partner.url, "--name", "p"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if (data / "repo.db").exists():
                    with Repository(data) as probe:
                        try:
                            if probe.count() >= 15:
                                break
                        except Exception:  # the schema may still be being created
                            pass
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        with Repository(data) as repo:
            stored_before = repo.count()
            assert 0 < stored_before < total
            assert repo.sources()[0]["resumable"]
            partner.faults.clear()
            report = repo.harvest("p")
            src = report.sources[0]
            assert src.resumed and src.complete
            assert repo.count() == total
            assert src.new == total - stored_before
            for i in range(1, total + 1):
                rid = f"partner-{i}"  # the partner's local id, named by its namespace
                assert [r.action for r in repo.history(rid)] == ["add"]
                assert len(repo.get(rid).provenance) == 1
