"""The commands that draw progress bars, run as people run them: a real process in a pseudo-terminal.

CliRunner and pipes hide terminal-only code paths (a progress bar is drawn only when
stderr is a terminal), so each command here runs as ``python -m oerrepo`` with its
standard streams on a pty.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import sys
import termios
import time
from pathlib import Path

import pytest
from oai_server import Partner, simple_records

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")

ROOT = Path(__file__).resolve().parents[1]


def _descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, and theirs (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_bytes()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(b")") + 2 :].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def run_in_terminal(*args: str, cwd: Path, timeout: float = 120, interrupt_at: str | None = None,
                    interrupted: list[int] | None = None) -> tuple[int, str]:
    """Run ``oerrepo ARGS`` with stdin, stdout and stderr on a pseudo-terminal; (exit code, all output).

    With ``interrupt_at``, Ctrl-C is typed once that text has been shown (and, given
    ``interrupted``, once the command has started processes of its own, which are added to it)."""
    env = dict(os.environ, COLUMNS="100", LINES="30", TERM="xterm", PYTHONPATH=str(ROOT))
    pid, fd = pty.fork()
    if pid == 0:  # the child: its streams are the pty
        try:
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "oerrepo", *args], env)
        finally:
            os._exit(127)
    # A terminal of 100 x 30: a pty starts at 0 x 0, where tqdm draws its bars 0 columns wide.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    armed: float | None = None  # when the text was shown: Ctrl-C is due
    try:
        while time.monotonic() < deadline:
            if armed is not None:
                # The helper processes the command starts may come a moment after the text:
                # Ctrl-C once they run (or a few seconds on without them: the test says so),
                # reading the terminal meanwhile so that the command never waits to write.
                helpers = _descendants(pid) if interrupted is not None else []
                if helpers or interrupted is None or time.monotonic() > armed + 5:
                    if interrupted is not None:
                        interrupted.extend(helpers)
                    os.write(fd, b"\x03")  # Ctrl-C: the terminal signals its foreground processes
                    armed = None
            ready, _, _ = select.select([fd], [], [], 0.05 if armed is not None else 1.0)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
            if interrupt_at is not None and interrupt_at in b"".join(chunks).decode("utf-8", "replace"):
                armed, interrupt_at = time.monotonic(), None
        else:
            os.kill(pid, 9)
            pytest.fail(f"oerrepo {' '.join(args)} did not finish within {timeout} s")
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    path = tmp_path / "blueprints.json"
    path.write_text(json.dumps([
        {"id": f"bp-{i}", "name": f"Blueprint {i}", "license": "CC-BY-4.0", "url": f"https://example.org/{i}"}
        for i in range(30)
    ]), encoding="utf-8")
    return path


def _ok(code: int, out: str) -> None:
    assert code == 0, out
    assert "Traceback" not in out, out


def test_import_in_a_terminal(tmp_path, records_file):
    code, out = run_in_terminal("--data", "d", "import", str(records_file), cwd=tmp_path)
    _ok(code, out)
    assert "30 added" in out


def test_a_large_import_says_when_it_brings_the_index_up_to_date(tmp_path):
    big = tmp_path / "many.jsonl"
    big.write_text("".join(json.dumps({"id": f"bp-{i}", "name": f"Blueprint {i}", "license": "CC-BY-4.0"}) + "\n"
                           for i in range(1500)), encoding="utf-8")
    code, out = run_in_terminal("--data", "d", "import", str(big), cwd=tmp_path)
    _ok(code, out)
    # after the last record, the index's processes still write: the bar does not stand still unexplained
    assert "bringing the search index up to date (1,500 changes)" in out and "1500 added" in out
    assert "importing many.jsonl: 1500 records" in out  # the bar, drawn to its end
    # ... and left there, above the line: not drawn again below it as if still counting
    assert out.rindex("importing many.jsonl") < out.index("bringing the search index")


def test_reindex_export_and_migrate_in_a_terminal(tmp_path, records_file):
    _ok(*run_in_terminal("--data", "d", "import", str(records_file), cwd=tmp_path))
    code, out = run_in_terminal("--data", "d", "reindex", cwd=tmp_path)
    _ok(code, out)
    assert "Indexed 30 resources" in out
    code, out = run_in_terminal("--data", "d", "export", "--format", "nt", "-o", "all.nt", cwd=tmp_path)
    _ok(code, out)
    assert (tmp_path / "all.nt").read_text(encoding="utf-8").count("<http://schema.org/name>") >= 30
    code, out = run_in_terminal("--data", "d", "export", "--format", "turtle", cwd=tmp_path)  # to the terminal
    _ok(code, out)
    code, out = run_in_terminal("--data", "d", "migrate-store", "--to", str(tmp_path / "copy"), cwd=tmp_path)
    _ok(code, out)
    assert "Every table matches" in out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the processes from /proc")
def test_ctrl_c_stops_a_long_harvest_and_its_helper_processes_without_tracebacks(tmp_path):
    # A long harvest runs a process reading the pages' records and the index's writer
    # processes; a terminal's Ctrl-C reaches them all.
    with Partner(simple_records(3000), page_size=100) as partner:
        partner.on_request = lambda args: time.sleep(0.1) if args.get("verb") == "ListRecords" else None
        helpers: list[int] = []
        code, out = run_in_terminal("--data", "d", "harvest", partner.url, cwd=tmp_path,
                                    interrupt_at="page 16:", interrupted=helpers)
        assert len(helpers) >= 3, out  # the reading process and the index's writers were running
        assert code != 0 and "Aborted!" in out, (code, out)
        assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{pid}").exists() for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in helpers if Path(f"/proc/{pid}").exists()]
        partner.on_request = None
        code, out = run_in_terminal("--data", "d", "harvest", partner.url, cwd=tmp_path)  # it resumes
        _ok(code, out)
        assert "(resumed): complete" in out and "3000 record" not in out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the processes from /proc")
def test_ctrl_c_stops_a_large_import_and_keeps_nothing(tmp_path):
    big = tmp_path / "many.jsonl"
    big.write_text("".join(json.dumps({"id": f"bp-{i}", "name": f"Blueprint {i}", "license": "CC-BY-4.0"}) + "\n"
                           for i in range(20_000)), encoding="utf-8")
    helpers: list[int] = []
    code, out = run_in_terminal("--data", "d", "import", str(big), cwd=tmp_path, interrupt_at=": 2001 records",
                                interrupted=helpers)
    assert helpers and code != 0 and "Aborted!" in out  # the index's writer processes were running
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    from oerrepo import Repository

    with Repository(tmp_path / "d") as repo:  # all or nothing: nothing
        assert repo.count() == 0 and repo.search("Blueprint").total == 0


def test_harvest_in_a_terminal(tmp_path):
    with Partner(simple_records(25), page_size=10) as partner:
        # pages slow enough for the bar to be drawn between them
        partner.on_request = lambda args: time.sleep(0.3) if args.get("verb") == "ListRecords" else None
        code, out = run_in_terminal("--data", "d", "harvest", partner.url, cwd=tmp_path)
        _ok(code, out)
        assert "25" in out
        assert "127.0.0.1: page 2: 20 records" in out and ": :" not in out
        partner.on_request = None
        code, out = run_in_terminal("--data", "d", "harvest", "--all", "--workers", "2", cwd=tmp_path)
        _ok(code, out)


def test_a_long_harvest_in_a_terminal_leaves_its_bar_above_the_index_line(tmp_path):
    # A list of 1,200 records (the partner says so) is a long harvest: its index is written
    # while pages come, and what is left once they all came is announced.
    with Partner(simple_records(1200), page_size=100) as partner:
        code, out = run_in_terminal("--data", "d", "harvest", partner.url, cwd=tmp_path)
    _ok(code, out)
    said = out.index("writing the search index for the records harvested")
    assert "127.0.0.1: page 12: 1200 records" in out[:said]  # the bar, with its final count, above the line
    assert "127.0.0.1: page" not in out[said:]  # ... and not drawn again below it as if still counting
    assert "1200 new" in out[said:]


def test_harvesting_several_sources_in_a_terminal_counts_each_sources_pages(tmp_path):
    with Partner(simple_records(30, prefix="oai:a.test:"), page_size=10) as a, \
            Partner(simple_records(30, prefix="oai:b.test:", start=100), page_size=10) as b:
        for partner in (a, b):  # pages slow enough for the bar to be drawn between them
            partner.on_request = lambda args: time.sleep(0.2) if args.get("verb") == "ListRecords" else None
        for name, partner in (("a", a), ("b", b)):
            _ok(*run_in_terminal("--data", "d", "sources", "add", name, partner.url, cwd=tmp_path))
        code, out = run_in_terminal("--data", "d", "harvest", "--all", "--workers", "2", cwd=tmp_path)
    _ok(code, out)
    # Each list has three pages: the bar says which page of its own list a source is at.
    assert "a: page 3" in out and "b: page 3" in out and "page 4" not in out, out
    assert not re.search(r"(^|[\r\n])\d+ records \[", out), out  # no bar drawn without its label
