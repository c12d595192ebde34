"""What the oerrepo command tells people: summaries, suggestions that work, data on request."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from oerrepo.cli import cli


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    data = tmp_path / "d"

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, ["--data", str(data), *args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def _records(path, n, *, start=0, bad=()):
    rows = []
    for i in range(start, start + n):
        row = {"id": f"r-{i}", "name": f"Resource {i}", "license": "CC-BY-4.0", "url": f"https://example.org/{i}"}
        if i in bad:
            row["license"] = "all rights reserved, no licence at all"
        rows.append(row)
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _flags(command: str) -> set[str]:
    help_text = CliRunner().invoke(cli, [command, "--help"]).output
    return set(re.findall(r"--[a-z][a-z-]+", help_text))


def test_a_large_import_is_summarised_not_listed(run, tmp_path):
    out = run("import", str(_records(tmp_path / "many.json", 500))).output
    assert "added r-" not in out
    assert "500 added, 0 updated, 0 unchanged, 0 skipped" in out
    listed = json.loads(run("import", "--upsert", "--json", str(tmp_path / "many.json")).output)
    assert len(listed["unchanged"]) == 500
    small = run("import", str(_records(tmp_path / "few.json", 2, start=1000))).output
    assert "added r-1000" in small and "added r-1001" in small


def test_many_skipped_records_are_cut_short(run, tmp_path):
    path = _records(tmp_path / "bad.json", 100, bad=set(range(60)))
    out = run("import", "--skip-invalid", str(path)).output
    assert out.count("skipped bad.json record") == 20
    assert "40 more skipped" in out and "40 added" in out and "60 skipped" in out


@pytest.mark.parametrize("command", ["add", "import"])
def test_the_flags_an_error_suggests_exist_on_that_command(run, tmp_path, command):
    run("import", str(_records(tmp_path / "first.json", 1)))
    for path in (_records(tmp_path / "invalid.json", 2, start=5, bad={5}), _records(tmp_path / "again.json", 1)):
        result = run(command, str(path), ok=False)
        assert result.exit_code == 1 and "Traceback" not in result.output
        # a flag suggested outside a quoted whole command ('oerrepo import FILE --upsert') is for this one
        suggested = set(re.findall(r"--[a-z][a-z-]+", re.sub(r"'oerrepo [^']*'", "", result.output)))
        assert suggested <= _flags(command), (command, result.output)
    # and the suggestion works
    out = run("add", "--skip-invalid", str(tmp_path / "invalid.json")).output
    assert "1 added" in out and "1 skipped" in out
