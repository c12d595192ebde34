"""The harvest and sources commands."""

from __future__ import annotations

import json

from click.testing import CliRunner
from oai_server import Partner, Rec, dc, simple_records

from oerrepo.cli import cli


def run(data, *args):
    return CliRunner().invoke(cli, ["--data", str(data), *args], catch_exceptions=False)


def test_sources_add_list_harvest_all_and_remove(tmp_path):
    data = tmp_path / "data"
    with Partner(simple_records(12)) as partner:
        result = run(data, "sources", "add", "partner", partner.url, "--delay", "0", "--on-missing-license", "skip")
        assert result.exit_code == 0, result.output
        listed = json.loads(run(data, "sources", "list", "--json").output)
        assert listed[0]["name"] == "partner" and listed[0]["settings"]["on_missing_license"] == "skip"
        result = run(data, "harvest", "--all", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and report["sources"][0]["new"] == 12
        text = run(data, "harvest", "partner").output
        assert "0 new" in text and "complete" in text
    assert "partner" in run(data, "sources", "list").output
    assert run(data, "sources", "remove", "partner").exit_code == 0
    assert run(data, "sources", "list").output.startswith("no sources")


def test_harvest_url_creates_the_data_folder_and_failures_are_one_error_line(tmp_path):
    data = tmp_path / "new-folder"
    with Partner(simple_records(3)) as partner:
        result = run(data, "harvest", partner.url, "--name", "p")
        assert result.exit_code == 0 and "3 new" in result.output
        partner.fault("error422", code="badArgument", text="bad from")
        result = CliRunner().invoke(cli, ["--data", str(data), "harvest", "p", "--full"])
    assert result.exit_code == 1
    assert "Error: the partner answered OAI-PMH error badArgument" in result.output
    assert "Traceback" not in result.output
    assert run(data, "harvest").exit_code == 2


def test_full_harvest_with_workers_and_mass_deletion_from_the_command_line(tmp_path):
    data = tmp_path / "data"
    kits = [Rec(f"oai:b.test:{i}", "2024-01-01T00:00:00Z", dc(f"Kit {i}", rights=["CC0-1.0"])) for i in range(3)]
    with Partner(simple_records(14), page_size=5) as a, Partner(kits, page_size=5) as b:
        assert run(data, "sources", "add", "a", a.url).exit_code == 0
        assert run(data, "sources", "add", "b", b.url).exit_code == 0
        assert run(data, "harvest", "a", "--workers", "2").exit_code == 2  # several sources at once: --all
        first = json.loads(run(data, "harvest", "--all", "--workers", "2", "--json").stdout)
        assert first["ok"] and first["totals"]["new"] == 17
        a.records = a.records[:2]
        kept = json.loads(run(data, "harvest", "a", "--full", "--json").stdout)["sources"][0]
        assert kept["unlisted"] == 0 and any("--allow-mass-deletion" in n for n in kept["notes"])
        gone = json.loads(run(data, "harvest", "a", "--full", "--allow-mass-deletion", "--json").stdout)
        assert gone["sources"][0]["unlisted"] == 12 and gone["totals"]["deleted"] == 12
    assert "resources: 5 (12 deleted)" in run(data, "stats").output
