"""The pieces of network harvesting on their own: echoes, origins, distances, readable ids."""

from __future__ import annotations

import itertools

import pytest
from oai_schemas import running

from oerrepo import Repository
from oerrepo.harvesters.network import Hub, distance, namespace_label, origin_of, readable_ids

HERE = Hub("hub-a1b2c3d4e5.oerrepo.local", frozenset({"http://127.0.0.1:8001/oai"}))


def desc(base: str, identifier: str) -> dict:
    return {"baseURL": base, "identifier": identifier, "datestamp": "2026-01-01", "metadataNamespace": "x",
            "harvestDate": "2026-01-02", "altered": False}


def test_a_record_whose_every_chain_passes_here_is_an_echo():
    via_us = [desc("http://c.example/oai", "oai:c.example:x"), desc("http://127.0.0.1:8001/oai", "oai:b.example:x")]
    ours = [desc("http://b.example/oai", "oai:hub-a1b2c3d4e5.oerrepo.local:x")]
    assert HERE.split([via_us]) == ([], True)
    assert HERE.split([ours]) == ([], True)
    direct = [desc("http://b.example/oai", "oai:b.example:x")]
    assert HERE.split([via_us, direct]) == ([direct], False)  # also arrived by a path that avoids us
    assert HERE.split([]) == ([], False)  # no provenance: the partner is the origin


def test_origin_and_distance_follow_the_shortest_chain():
    long = [desc("http://c/oai", "oai:c.example:1"), desc("http://b/oai", "oai:b.example:7"),
            desc("http://a/oai", "oai:a.example:kit")]
    short = [desc("http://b/oai", "oai:b.example:7"), desc("http://a/oai", "oai:a.example:kit")]
    assert origin_of("oai:d.example:9", [long, short]) == "oai:a.example:kit"
    assert distance([long, short]) == 2
    assert origin_of("oai:d.example:9", []) == "oai:d.example:9" and distance([]) == 0


def test_readable_ids_never_nest_an_oai_identifier():
    first = list(itertools.islice(readable_ids("oai:oer.example.org:water-quality-kit-river"), 4))
    assert first == ["water-quality-kit-river", "water-quality-kit-river--oer-example",
                     "water-quality-kit-river--oer-example-2", "water-quality-kit-river--oer-example-3"]
    assert next(readable_ids("oai:zenodo.org:12345")) == "zenodo-12345"
    assert next(readable_ids("oai:hub-x7k2m9qa01.oerrepo.local:bee%20hotel")) == "bee-hotel"
    assert next(readable_ids("https://doi.org/10.5281/zenodo.1")) == "https://doi.org/10.5281/zenodo.1"
    for identifier in ("oai:a.example:oai:b.example:x", "oai:c.example:%%%", "weird id with spaces"):
        for rid in itertools.islice(readable_ids(identifier), 3):
            assert not rid.startswith("oai:") and " " not in rid and rid[0].isalnum(), rid
    assert namespace_label("hub-x7k2m9qa01.oerrepo.local") == "hub-x7k2m9qa01"


# --------------------------------------------------------------------------- the value policy, over HTTP

KIT = {"id": "bee-hotels", "name": {"en": "Bee hotels"}, "license": "CC-BY-4.0",
       "identifier": ["https://doi.org/10.5555/bees"], "creator": [{"name": "Ana Ribeiro"}]}


@pytest.fixture
def origin_and_republisher(tmp_path):
    origin, republisher, here = (Repository(tmp_path / n) for n in ("origin", "republisher", "here"))
    origin.add(KIT)
    yield origin, republisher, here
    for repo in (origin, republisher, here):
        repo.close()


def test_the_origin_wins_over_a_republisher_whichever_arrives_first(origin_and_republisher):
    origin, republisher, here = origin_and_republisher
    with running(origin.wsgi_app()) as o_root, running(republisher.wsgi_app()) as r_root:
        republisher.harvest(f"{o_root}/oai", source="origin")
        here.harvest(f"{r_root}/oai", source="republisher")  # the copy arrives first
        report = here.harvest(f"{o_root}/oai", source="origin")
        assert report.totals()["merged"] == 1 and "these values win" in report.sources[0].merged[0][2]
        origin.update("bee-hotels", {"name": {"en": "Bee hotels, revised"}}, merge=True)
        here.harvest(f"{r_root}/oai", source="republisher")  # the re-publisher has not seen the change
        here.harvest(f"{o_root}/oai", source="origin")
        assert [r.id for r in here.iter()] == ["bee-hotels"]
        assert here.get("bee-hotels").data["name"] == {"en": "Bee hotels, revised"}
        roles = {p.source: p.role for p in here.get("bee-hotels").provenance}
        assert roles == {"origin": "primary", "republisher": "duplicate"}


def test_a_person_edit_here_wins_over_the_partner(origin_and_republisher):
    origin, _, here = origin_and_republisher
    with running(origin.wsgi_app()) as root:
        here.harvest(f"{root}/oai", source="origin")
        here.update("bee-hotels", {"keywords": ["pollinators"]}, merge=True)
        origin.update("bee-hotels", {"name": {"en": "Bee hotels, revised"}}, merge=True)
        report = here.harvest(f"{root}/oai", source="origin")
    assert report.totals()["updated"] == 0
    assert any("edited here" in note for note in report.sources[0].notes)
    assert here.get("bee-hotels").data["keywords"] == ["pollinators"]
