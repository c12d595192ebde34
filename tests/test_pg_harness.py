"""The PostgreSQL tests skip only when no server was given; a server given but unreachable fails the run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_TEST = "tests/test_store_errors.py::test_a_constraint_violation_is_a_store_error_and_writes_nothing"


def _pytest(env_url: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OERREPO_TEST_PG_URL"}
    if env_url is not None:
        env["OERREPO_TEST_PG_URL"] = env_url
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{ONE_TEST}[postgresql]"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_without_a_server_the_postgresql_variants_skip():
    run = _pytest(None)
    assert run.returncode == 0 and "1 skipped" in run.stdout, run.stdout[-2000:]


def test_a_server_that_was_given_but_does_not_answer_fails_the_run():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = _pytest(f"postgresql+psycopg://oerrepo@127.0.0.1:{port}/oerrepo_test")
    assert run.returncode == 1 and ("1 failed" in run.stdout or "1 error" in run.stdout), run.stdout[-2000:]
    assert "does not answer" in run.stdout
