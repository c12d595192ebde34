"""A partner that does not answer: said quickly and plainly, and not kept as a source by mistake."""

from __future__ import annotations

import logging
import socket

import pytest
from click.testing import CliRunner
from oai_server import Partner, simple_records

from oerrepo import Repository, __version__
from oerrepo.cli import cli
from oerrepo.errors import HarvestError


@pytest.fixture
def repo(tmp_path):
    with Repository(tmp_path / "d") as r:
        yield r


@pytest.fixture
def dead_url():
    """An http URL on a loopback port where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/oai"


def test_an_unreachable_url_fails_after_few_announced_retries_and_is_not_registered(repo, dead_url, caplog):
    caplog.set_level(logging.INFO, logger="oerrepo.harvest")
    with pytest.raises(HarvestError) as caught:
        repo.harvest(dead_url, backoff=0.01)
    message = str(caught.value)
    assert caught.value.code == "unreachable"
    assert "refused" in message and "not registered" in message and "HTTPConnectionPool" not in message
    assert repo.sources() == []
    said = [r.getMessage() for r in caplog.records]
    assert said[0].startswith(f"contacting {dead_url}")
    assert sum("retry" in line for line in said) == 2  # briefly, not five times with back-off


def test_a_registered_source_that_is_down_stays_registered(repo, dead_url):
    repo.add_source("later", dead_url)
    with pytest.raises(HarvestError):
        repo.harvest("later", backoff=0.01)
    assert [s["name"] for s in repo.sources()] == ["later"]


def test_the_command_says_what_it_tries_and_ends_with_one_message(tmp_path, dead_url):
    result = CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "harvest", dead_url])
    out = result.output
    assert result.exit_code == 1
    assert f"contacting {dead_url} (Identify)" in out
    assert "retry 1 of 2" in out and "retry 2 of 2" in out
    assert out.count("Error:") == 1 and out.count("could not be reached") == 1
    assert "Traceback" not in out and "ConnectionError" not in out


def test_sources_add_verifies_unless_asked_not_to(tmp_path, dead_url):
    run = CliRunner()
    data = ["--data", str(tmp_path / "d")]
    refused = run.invoke(cli, [*data, "sources", "add", "dead", dead_url, "--retries", "0"])
    assert refused.exit_code == 1 and "not registered" in refused.output and "--no-verify" in refused.output
    assert "dead" not in run.invoke(cli, [*data, "sources", "list"]).output
    kept = run.invoke(cli, [*data, "sources", "add", "dead", dead_url, "--no-verify"])
    assert kept.exit_code == 0, kept.output
    assert "not yet verified" in run.invoke(cli, [*data, "sources", "list"]).output
    with Partner(simple_records(3)) as partner:
        added = run.invoke(cli, [*data, "sources", "add", "live", partner.url, "--json"])
        assert added.exit_code == 0, added.output
        assert '"verified": true' in added.output
        run.invoke(cli, [*data, "sources", "add", "later", partner.url, "--no-verify"])
        assert run.invoke(cli, [*data, "harvest", "later"]).exit_code == 0
    listing = run.invoke(cli, [*data, "sources", "list"]).output.splitlines()
    assert [line.startswith("dead") for line in listing if "not yet verified" in line] == [True]


def test_the_report_of_a_registered_source_that_is_down_names_no_format_with_words(tmp_path, dead_url):
    run = CliRunner()
    data = ["--data", str(tmp_path / "d")]
    assert run.invoke(cli, [*data, "sources", "add", "dead", dead_url, "--no-verify"]).exit_code == 0
    out = run.invoke(cli, [*data, "harvest", "--all"]).output
    assert f"dead ({dead_url}) — no metadata format chosen yet, full harvest: failed: " in out
    assert "— ?" not in out


def test_user_agent_has_a_contact_only_with_admin_email(repo, tmp_path):
    repo.set_setting("base_url", "https://oer.example.eu")
    with Partner(simple_records(1)) as partner:
        repo.harvest(partner.url)
        result = CliRunner().invoke(cli, ["--data", str(tmp_path / "other"), "harvest", partner.url])
    assert partner.agents[0] == f"oerrepo/{__version__}"
    assert result.exit_code == 0 and "oerrepo config admin_email" in result.output
