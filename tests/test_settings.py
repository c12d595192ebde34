"""Repository settings are checked when they are set; the feed survives values stored unchecked."""

from __future__ import annotations

import pytest
from lxml import etree

from oerrepo import Repository
from oerrepo.cli import cli
from oerrepo.errors import InvalidSetting
from oerrepo.settings import SETTINGS

OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture
def repo(data_dir):
    with Repository(data_dir) as r:
        yield r


def test_a_misspelt_setting_is_refused_with_the_name_it_resembles(repo):
    with pytest.raises(InvalidSetting, match=r"no setting 'oai_readahead'; did you mean 'oai_read_ahead'\?"):
        repo.set_setting("oai_readahead", False)
    assert "oai_readahead" not in repo.settings()


@pytest.mark.parametrize("key,value,why", [
    ("oai_page_size", "lots", "not a whole number"),
    ("oai_page_size", 0, "between 1 and 1000"),
    ("oai_page_size", "5000", "between 1 and 1000"),
    ("oai_token_lifetime", 5, "between 60 and 2592000"),
    ("oai_sets", "maybe", "neither true nor false"),
    ("admin_email", "nobody", "not an e-mail address"),
    ("base_url", "oer.example.org", "public http(s) address"),
    ("base_url", "ftp://oer.example.org", "public http(s) address"),
    ("oai_identifier", "127.0.0.1", "not a domain name"),
    ("license_policy", "anything-goes", "open-only"),
    ("metadata_license", "all rights reserved", "not recognised"),
    ("repository_name", "   ", "empty"),
    ("oai_secret", "short", "at least 16 characters"),
])
def test_a_value_a_setting_cannot_take_is_refused_and_nothing_changes(repo, key, value, why):
    before = repo.settings().get(key)
    with pytest.raises(InvalidSetting, match=key) as info:
        repo.set_setting(key, value)
    assert why in str(info.value)
    assert repo.settings().get(key) == before


def test_values_are_stored_in_the_form_they_are_used(repo):
    repo.set_setting("oai_page_size", " 25 ")
    repo.set_setting("oai_read_ahead", "off")
    repo.set_setting("oai_sets", "yes")
    repo.set_setting("metadata_license", "CC0")
    repo.set_setting("base_url", "https://oer.example.org/")
    repo.set_setting("repository_name", "  Open   Schooling  Blueprints ")
    got = repo.settings()
    assert (got["oai_page_size"], got["oai_read_ahead"], got["oai_sets"]) == (25, False, True)
    assert got["metadata_license"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert got["base_url"] == "https://oer.example.org"
    assert got["repository_name"] == "Open Schooling Blueprints"


def test_the_feed_keeps_working_with_values_an_older_version_stored_unchecked(repo):
    repo.load_samples()
    repo.store.set_setting("oai_page_size", "lots")  # as written before settings were checked
    repo.store.set_setting("oai_read_ahead", "perhaps")
    repo.store.set_setting("oai_token_lifetime", "-1")
    repo._settings_changed()
    doc = etree.fromstring(repo.oai_response({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}))
    assert len(doc.findall(f".//{OAI}header")) == 59  # the default page of 100 holds every sample


def test_config_command_names_every_setting_and_refuses_bad_values(data_dir):
    from click.testing import CliRunner

    runner = CliRunner()
    base = ["--data", str(data_dir)]
    assert runner.invoke(cli, [*base, "init"]).exit_code == 0
    helptext = runner.invoke(cli, [*base, "config", "--help"]).output
    assert all(key in helptext for key in SETTINGS)
    bad = runner.invoke(cli, [*base, "config", "oai_page_size", "lots"])
    assert bad.exit_code == 1 and "oai_page_size cannot be 'lots': it is not a whole number" in bad.output
    assert "Traceback" not in bad.output
    good = runner.invoke(cli, [*base, "config", "oai_read_ahead", "false"])
    assert good.exit_code == 0 and "oai_read_ahead = False" in good.output


def test_a_setting_without_a_value_is_refused(repo):
    with pytest.raises(InvalidSetting, match="repository_name needs a value"):
        repo.set_setting("repository_name", None)
