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


def test_config_shows_every_setting_with_its_default_and_as_json(run):
    from oerrepo.settings import SETTINGS

    out = run("config").output
    for key in SETTINGS:
        assert key in out, key
    assert "oai_page_size is not set (default: 100)" in out
    assert run("config", "admin_email").output.strip().startswith("admin_email is not set (default: none")
    run("config", "oai_page_size", "50")
    assert run("config", "oai_page_size").output.strip() == "oai_page_size = 50"
    shown = json.loads(run("config", "--json").output)
    assert shown["oai_page_size"] == {"value": 50, "set": True, "default": "100"}
    assert shown["license_policy"] == {"value": None, "set": False, "default": "any"}
    one = json.loads(run("config", "license_policy", "--json").output)
    assert one["key"] == "license_policy" and one["default"] == "any"
    wrong = run("config", "admin_emial", ok=False)
    assert wrong.exit_code == 1 and "did you mean 'admin_email'" in wrong.output


def test_sets_as_json(run):
    assert json.loads(run("sets", "--json").output) == []
    run("sets", "add", "museums", "Resources from museums")
    assert json.loads(run("sets", "--json").output) == [
        {"spec": "museums", "name": "Resources from museums", "description": None, "count": 0}]


def test_show_of_a_deleted_record_says_when_and_history_shows_values(run, tmp_path):
    run("import", str(_records(tmp_path / "one.json", 1)))
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"name": "A better name"}), encoding="utf-8")
    run("update", "r-0", str(changed), "--merge")
    run("delete", "r-0")
    shown = run("show", "r-0", ok=False)
    assert shown.exit_code == 1 and "was deleted on 20" in shown.output and "oerrepo history r-0" in shown.output
    history = run("history", "r-0").output
    assert 'name: {"und": "Resource 0"} -> {"und": "A better name"}' in history
    revisions = json.loads(run("history", "r-0", "--json").output)
    assert revisions[1]["values"]["name"] == {"old": {"und": "Resource 0"}, "new": {"und": "A better name"}}


def test_deleting_or_replacing_a_deleted_record_says_it_is_deleted_not_unknown(run, tmp_path):
    run("import", str(_records(tmp_path / "one.json", 1)))
    run("delete", "r-0")
    again = run("delete", "r-0", ok=False)
    assert again.exit_code == 1 and "no resource with id" not in again.output
    assert "'r-0' is already deleted;" in again.output and "oerrepo history r-0" in again.output
    record = tmp_path / "r0.json"
    record.write_text(json.dumps({"id": "r-0", "name": "Back again", "license": "CC-BY-4.0"}), encoding="utf-8")
    replaced = run("update", "r-0", str(record), ok=False)
    assert replaced.exit_code == 1 and "no resource with id" not in replaced.output
    assert "'r-0' was deleted;" in replaced.output and "'add' a record with this id" in replaced.output
    run("add", str(record))
    assert "Back again" in run("show", "r-0").output
    assert "no resource with id 'r-9'" in run("delete", "r-9", ok=False).output


def test_one_is_singular(run, tmp_path):
    run("import", str(_records(tmp_path / "one.json", 1)))
    assert "1 resource found" in run("search", "Resource").output
    assert "1 resource\n" in run("list").output
    assert "Indexed 1 resource." in run("reindex").output


def test_a_restricted_licence_is_not_called_open(run, tmp_path):
    said = run("license", "CC BY-NC-ND 4.0", "CC BY-ND 4.0", "CC BY 4.0").output
    assert "open but" not in said
    assert "NoDerivatives 4.0 International: restricted (non-commercial, no adaptations)" in said
    assert "Attribution-NoDerivatives 4.0 International: restricted (no adaptations)" in said
    assert "Attribution 4.0 International: open" in said
    rows = tmp_path / "nc.json"
    rows.write_text(json.dumps([{"id": "nc", "name": "Bees", "license": "CC BY-NC 4.0"}]), encoding="utf-8")
    run("import", str(rows))
    assert "licence: CC BY-NC 4.0 (CC-BY-NC-4.0, restricted (non-commercial))" in run("show", "nc").output
