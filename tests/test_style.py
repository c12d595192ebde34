"""The tree stays clean under the lint rules configured in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = Path(sys.executable).parent / "ruff"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    assert found, "ruff is part of the test extras: pip install -e '.[test]'"
    return [found]


def test_ruff_finds_nothing():
    run = subprocess.run([*_ruff(), "check", "--no-cache", "oerrepo", "tests", "benchmarks", "tools"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
