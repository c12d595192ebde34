"""`oerrepo duplicates` and Repository.duplicates(): merged clusters and probable duplicates."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from oai_schemas import running

from oerrepo import Repository
from oerrepo.cli import cli

KIT = {"id": "bee-hotels", "name": {"en": "Bee hotels for the school garden"}, "license": "CC-BY-4.0",
       "identifier": ["https://doi.org/10.5555/bees"], "creator": [{"name": "Ana Ribeiro"}]}


@pytest.fixture
def hubs(tmp_path):
    origin, here = Repository(tmp_path / "origin"), Repository(tmp_path / "here")
    origin.add(dict(KIT, id="hoteis-abelhas", name={"pt": "Hotéis de abelhas"}))  # same DOI, another id
    origin.add({"id": "partner-solar", "name": {"en": "Solar oven workshop"}, "license": "CC-BY-4.0",
                "url": "https://ovens.example.org/solar"})
    here.add(KIT)
    # Nearly the same title, different creators: kept apart.
    here.add({"id": "bee-hotel-garden", "name": {"en": "Bee hotels for the school gardens"}, "license": "CC-BY-4.0",
              "creator": [{"name": "Otto Weber"}]})
    # The same resource in two languages: same creators and date, different languages.
    here.add({"id": "kites-en", "name": {"en": "The physics of kites"}, "license": "CC-BY-4.0", "inLanguage": ["en"],
              "creator": [{"name": "Li Wei"}], "datePublished": "2025-05-01"})
    here.add({"id": "kites-de", "name": {"de": "Die Physik der Drachen"}, "license": "CC-BY-4.0", "inLanguage": ["de"],
              "creator": [{"name": "Li Wei"}], "datePublished": "2025-05-01"})
    # The same web address but for its language segment.
    here.add({"id": "compost-en", "name": {"en": "Compost lab"}, "license": "CC0-1.0",
              "url": "https://compost.example.org/en/lab"})
    here.add({"id": "compost-pt", "name": {"pt": "Laboratório de compostagem"}, "license": "CC0-1.0",
              "url": "https://compost.example.org/pt/lab"})
    with running(origin.wsgi_app()) as root:
        here.harvest(f"{root}/oai", source="origin")
    yield origin, here
    origin.close()
    here.close()


def test_merged_clusters_name_their_providers_and_why(hubs):
    _, here = hubs
    report = here.duplicates()
    clusters = {c.id: c for c in report.merged}
    assert set(clusters) == {"bee-hotels"}  # the partner's copy joined the local record; the oven is one record
    bee = clusters["bee-hotels"]
    assert bee.local
    assert [p["source"] for p in bee.providers] == ["(local)", "origin"]
    assert "same DOI 10.5555/bees" in bee.providers[1]["why"]
    assert here.get("bee-hotels").data["name"] == {"en": "Bee hotels for the school garden"}  # the local values won


def test_probable_duplicates_are_pairs_left_for_a_person(hubs):
    _, here = hubs
    pairs = {p.ids: p.why for p in here.duplicates().probable}
    assert "different creators" in pairs[("bee-hotel-garden", "bee-hotels")]
    assert "different languages" in pairs[("kites-de", "kites-en")]
    assert "language" in pairs[("compost-en", "compost-pt")]
    assert not any("partner-solar" in ids for ids in pairs)


def test_the_command_prints_and_gives_json(hubs):
    _, here = hubs
    runner = CliRunner()
    shown = runner.invoke(cli, ["--data", str(here.path), "duplicates"])
    assert shown.exit_code == 0, shown.output
    assert "1 merged resource(s)" in shown.output and "bee-hotels" in shown.output
    data = json.loads(runner.invoke(cli, ["--data", str(here.path), "duplicates", "--json"]).output)
    assert data["mergedCount"] == 1 and data["probableCount"] >= 3
    assert {"ids", "names", "why"} <= set(data["probable"][0])
