"""The oerrepo command: every command works, prints JSON on request, and fails with one clear line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from oerrepo.cli import cli

RECORDS = Path(__file__).parent / "data" / "records"
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def run(data_dir):
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, ["--data", str(data_dir), *args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def _all_commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield prefix + name, command
        if isinstance(command, click.Group):
            yield from _all_commands(command, prefix + name + " ")


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for name, command in _all_commands(cli):
        assert command.help and "Example:" in command.help, name
        assert f"oerrepo {name.split()[0]}" in readme, name


def test_help_touches_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["list", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_samples_list_show_stats(run):
    out = run("init", "--samples").output
    assert "sample blueprints:" in out
    records = json.loads(run("list", "--json").output)
    assert len(records) >= 40 and all("id" in r and "license" in r for r in records)
    lines = run("list", "--jsonl").output.splitlines()
    assert len(lines) == len(records) and json.loads(lines[0])["id"] == records[0]["id"]
    first = records[0]["id"]
    shown = json.loads(run("show", first, "--json").output)
    assert shown["id"] == first and shown["_meta"]["seq"] >= 1
    text = run("show", first).output
    assert "licence:" in text and "attribution:" in text
    stats = json.loads(run("stats", "--json").output)
    assert stats["resources"] == len(records)
    assert "openness" in run("stats").output


def test_add_update_delete_history(run, tmp_path):
    rec = tmp_path / "kit.json"
    rec.write_text(json.dumps({"id": "kit", "name": "Kit", "license": "cc-by-sa", "sdg": 13}), encoding="utf-8")
    added = json.loads(run("add", str(rec), "--json").output)
    assert added["added"] == ["kit"]
    change = tmp_path / "change.json"
    change.write_text(json.dumps({"keywords": ["solar"]}), encoding="utf-8")
    updated = json.loads(run("update", "kit", str(change), "--merge", "--json").output)
    assert updated["keywords"] == ["solar"] and updated["license"].endswith("/by-sa/4.0/")
    assert "deleted kit" in run("delete", "kit").output
    history = json.loads(run("history", "kit", "--json").output)
    assert [h["action"] for h in history] == ["add", "update", "delete"]
    result = run("show", "kit", ok=False)
    assert result.exit_code == 1 and "Error: the resource 'kit' was deleted on" in result.output


def test_import_reports_ids_and_skips(run, tmp_path):
    out = json.loads(run("import", str(RECORDS / "plain.csv"), "--json").output)
    assert out["added"] and out["skipped"] == []
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,license\nb1,Fine,CC0\nb2,Broken,not-a-licence\n", encoding="utf-8")
    result = run("import", str(bad), ok=False)
    assert result.exit_code == 1
    assert result.output.startswith("Error: nothing was imported") and "bad.csv row 3" in result.output
    assert "Traceback" not in result.output
    out = json.loads(run("import", str(bad), "--skip-invalid", "--json").output)
    assert out["added"] == ["b1"] and out["skipped"][0]["where"] == "bad.csv row 3"


def test_list_filters(run):
    run("init", "--samples")
    all_records = json.loads(run("list", "--json").output)
    pt = json.loads(run("list", "--language", "pt", "--json").output)
    assert pt and all(any(t.startswith("pt") for t in r["inLanguage"]) for r in pt)
    expected = [r["id"] for r in all_records if "http://metadata.un.org/sdg/13" in r.get("sdg", [])]
    assert [r["id"] for r in json.loads(run("list", "--sdg", "13", "--json").output)] == expected
    assert len(json.loads(run("list", "--limit", "3", "--json").output)) == 3


def test_validate(run, tmp_path):
    good = RECORDS / "typed_forms.json"
    assert "0 invalid" in run("validate", str(good)).output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x", "license": "CC0", "sdg": 99}]), encoding="utf-8")
    result = run("validate", str(bad), ok=False)
    assert result.exit_code == 1 and "bad.json record 1" in result.output and "sdg" in result.output


def test_license_command(run):
    obj = json.loads(run("license", "http://creativecommons.org/licenses/by-sa/4.0/deed.de", "--json").output)
    assert obj["id"] == "CC-BY-SA-4.0" and obj["url"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert obj["open"] is True
    many = json.loads(run("license", "CC BY 4.0", "CC BY-NC 4.0", "--json").output)
    assert [m["open"] for m in many["licenses"]] == [True, False]
    # the verdict the text output gives is in the JSON too, without --combine
    text = run("license", "CC BY-SA 4.0", "CC BY-NC-SA 4.0").output
    assert "combined: not allowed" in text
    both = json.loads(run("license", "CC BY-SA 4.0", "CC BY-NC-SA 4.0", "--json").output)
    assert both["combined"]["allowed"] is False and both["combined"]["reason"] in text
    allowed = json.loads(run("license", "CC BY 4.0", "CC BY-SA 4.0", "--json").output)["combined"]
    assert allowed["allowed"] is True and [x["id"] for x in allowed["adaptationLicenses"]] == ["CC-BY-SA-4.0"]
    verdict = json.loads(run("license", "CC BY-SA 4.0", "CC BY-NC-SA 4.0", "--combine", "--json").output)
    assert verdict["allowed"] is False
    text = run("license", "CC BY 4.0", "CC BY-SA 4.0", "--title", "Bee hotels", "--author", "Ana").output
    assert "combined: allowed" in text and "CC BY-SA 4.0" in text and "Bee hotels" in text
    result = run("license", "all rights reserved", ok=False)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "CC-BY-4.0" in result.output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["show", "x"], "no data folder"),
        (["list"], "no data folder"),
        (["import", "/definitely/not/here.json"], "does not exist"),
    ],
)
def test_errors_are_one_line_without_traceback(run, args, fragment):
    result = run(*args, ok=False)
    assert result.exit_code != 0
    assert fragment in result.output and "Traceback" not in result.output


def test_not_a_data_folder(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    result = CliRunner().invoke(cli, ["--data", str(folder), "init"])
    assert result.exit_code == 1
    assert re.match(r"Error: .* is not an oerrepo data folder", result.output)


def test_data_folder_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OERREPO_DATA", str(tmp_path / "env-data"))
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0 and (tmp_path / "env-data" / "repo.db").exists()


def test_config_and_sets(run):
    run("init")
    assert "license_policy = open-only" in run("config", "license_policy", "open-only").output
    result = run("config", "license_policy", "whatever", ok=False)
    assert result.exit_code == 1 and "open-only" in result.output
    run("sets", "add", "museums", "Resources from museums")
    assert "Resources from museums" in run("sets").output


VERSIONLESS = [
    ("nc", "Creative Commons Attribution-NonCommercial", "https://creativecommons.org/licenses/by-nc/4.0/"),
    ("cc0", "CC0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("gfdl", "GFDL", "https://spdx.org/licenses/GFDL-1.3-only.html"),
    ("gnu", "GNU Free Documentation License", "https://spdx.org/licenses/GFDL-1.3-only.html"),
]


def _versionless_file(tmp_path, prefix: str) -> Path:
    path = tmp_path / f"{prefix}.json"
    path.write_text(json.dumps([{"id": f"{prefix}-{rid}", "name": f"Record {rid}", "license": text}
                                for rid, text, _ in VERSIONLESS]), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["import", "add", "validate"])
def test_versionless_licences_are_reported_per_record(run, tmp_path, command):
    text = run(command, str(_versionless_file(tmp_path, "text"))).output
    for number, _ in enumerate(VERSIONLESS, 1):
        assert re.search(rf"note text\.json record {number}: license: no version given", text), text
    out = json.loads(run(command, str(_versionless_file(tmp_path, "js")), "--json").output)
    wheres = {n["where"] for n in out["notes"] if "license: no version given" in n["note"]}
    assert wheres == {f"js.json record {i}" for i in range(1, len(VERSIONLESS) + 1)}
    if command != "validate":
        shown = {r["id"]: r["license"] for r in json.loads(run("list", "--json").output)}
        assert shown == {f"{p}-{rid}": url for p in ("text", "js") for rid, _, url in VERSIONLESS}


def test_versionless_licence_is_said_by_the_python_api(tmp_path):
    from oerrepo import Repository

    with Repository(tmp_path / "d") as repo:
        res = repo.add({"name": "Bee hotels", "license": "GNU Free Documentation License"})
        assert res.license == "https://spdx.org/licenses/GFDL-1.3-only.html"
        assert res.notes == ("license: no version given: read as GFDL-1.3-only",)
        assert repo.add({"name": "Pond life", "license": "CC-BY-4.0"}).notes == ()
        report = repo.import_records([{"name": "Moths", "license": "CC BY-SA"}])
        assert report.notes == [("record 1", "license: no version given: read as version 4.0")]
        changed = repo.update(res.id, {"name": "Bee hotels", "license": "CC0"})
        assert changed.notes == ("license: no version given: read as CC0 1.0",)
