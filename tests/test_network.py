"""A real network of hubs on 127.0.0.1: four ``oerrepo serve`` processes harvesting each other.

Topology (an arrow points from the harvested hub to the harvester)::

    A -> B -> C -> A        a loop: A's records come back to A through C
    A -> D,  C -> D         two paths to D: directly from A, and A -> B -> C -> D

Overlaps: the 59 samples at A and at B; one resource under the same DOI with different
local ids (A and B); one under the same URL without a DOI (B and C). Each round, every hub
runs ``oerrepo harvest --all``; rounds go on until one changes nothing.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hubs import Hub
from lxml import etree
from oai_schemas import OAI, validate

from oerrepo.harvesters.dedup import match_keys

PROV = "{http://www.openarchives.org/OAI/2.0/provenance}"
FRIENDS = "{http://www.openarchives.org/OAI/2.0/friends/}"

RICH = {
    "id": "bee-hotel-network",
    "name": {"en": "Bee hotels for the school garden", "pt": "Hotéis de abelhas para a horta escolar"},
    "description": {"en": "Build and monitor bee hotels.", "pt": "Construir e observar hotéis de abelhas."},
    "inLanguage": ["en", "pt"],
    "license": "CC BY-SA 4.0",
    "creator": [{"type": "Person", "name": "Ana Ribeiro", "id": "https://orcid.org/0000-0002-1825-0097"}],
    "funder": [{"type": "Organization", "name": "European Commission", "id": "https://ror.org/00k4n6c32"}],
    "funding": [{"type": "Grant", "name": "Open Schooling Hubs 2026"}],
    "image": "https://a.example.org/img/bee-hotel.jpg",
    "dateModified": "2026-03-04",
    "url": "https://a.example.org/bee-hotels",
    "sdg": [15],
}
RIVER_A = {"id": "river-kit-a", "name": {"en": "River survey kit"}, "license": "CC-BY-4.0",
           "identifier": ["https://doi.org/10.5555/river.kit"], "creator": [{"name": "Jo Lind"}]}
RIVER_B = {"id": "kit-do-rio", "name": {"pt": "Kit de estudo do rio"}, "license": "CC-BY-4.0",
           "identifier": ["https://doi.org/10.5555/RIVER.KIT"], "inLanguage": ["pt"]}
OVEN_B = {"id": "solar-oven-b", "name": {"en": "Build a solar oven"}, "license": "CC-BY-4.0",
          "url": "https://www.ovens.example.org/solar-oven/"}
OVEN_C = {"id": "solar-oven-c", "name": {"en": "Solar oven workshop"}, "license": "CC-BY-4.0",
          "url": "http://ovens.example.org/solar-oven"}
C_ONLY = {"id": "compost-lab", "name": {"en": "Compost laboratory"}, "license": "CC0-1.0"}
D_ONLY = {"id": "kite-physics", "name": {"en": "The physics of kites"}, "license": "CC-BY-4.0"}
GONE = {"id": "to-be-withdrawn", "name": {"en": "A kit withdrawn at its origin"}, "license": "CC-BY-4.0"}

SAMPLES = 59
UPSTREAM_OF_A = SAMPLES + 5  # samples, rich, river, gone, oven, compost (A, B, C are one cycle)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    root = tmp_path_factory.mktemp("network")
    a, b, c, d = (Hub(root, n) for n in ("hub-a", "hub-b", "hub-c", "hub-d"))
    a.init(samples=True)
    a.add(RICH, RIVER_A, GONE)
    b.init(samples=True)
    b.add(RIVER_B, OVEN_B)
    c.init()
    c.add(OVEN_C, C_ONLY)
    d.init()
    d.add(D_ONLY)
    hubs = [a, b, c, d]
    try:
        for hub in hubs:
            hub.serve()
        b.harvests(a)  # each source is checked when it is added: the partners are up by now
        c.harvests(b)
        a.harvests(c)
        d.harvests(a, c)
        yield hubs
    finally:
        for hub in hubs:
            hub.stop()


@pytest.fixture(scope="module")
def settled(network) -> list[list[dict]]:
    """The network after its first rounds: the totals of each round until a quiet one."""
    return rounds_until_quiet(network)


def rounds_until_quiet(hubs: list[Hub], limit: int = 8) -> list[list[dict]]:
    """Harvest round after round until a round changes nothing anywhere; the totals of each."""
    history = []
    for _ in range(limit):
        totals = [hub.harvest() for hub in hubs]
        history.append(totals)
        if all(t["new"] == t["updated"] == t["deleted"] == 0 for t in totals):
            return history
    raise AssertionError(f"the network did not settle in {limit} rounds: {history}")


def live_keys(records: dict[str, dict]) -> Counter:
    """How many live records carry each DOI and each normalised URL."""
    counts: Counter = Counter()
    for data in records.values():
        for key in match_keys(data):
            if key.startswith(("doi:", "url:")):
                counts[key] += 1
    return counts


def feed_identifiers(hub: Hub) -> list[str]:
    out, token = [], None
    while True:
        args = {"resumptionToken": token} if token else {"metadataPrefix": "oai_dc"}
        doc = validate(hub.get("ListIdentifiers", **args))
        out += [h.findtext(f"{OAI}identifier") for h in doc.iter(f"{OAI}header")]
        node = doc.find(f".//{OAI}resumptionToken")
        token = node.text if node is not None else None
        if not token:
            return out


def test_the_network_settles_with_every_resource_once_everywhere(network, settled):
    a, b, c, d = network
    history = settled
    # A change travels the longest path (A -> B -> C -> D) in three rounds; one more says nothing changed.
    assert len(history) <= 5, history
    expected = {"hub-a": UPSTREAM_OF_A, "hub-b": UPSTREAM_OF_A, "hub-c": UPSTREAM_OF_A, "hub-d": UPSTREAM_OF_A + 1}
    for hub in network:
        records = hub.records()
        assert len(records) == expected[hub.name], (hub.name, sorted(records))
        doubles = {k: n for k, n in live_keys(records).items() if n > 1}
        assert not doubles, (hub.name, doubles)
        # Readable ids that never nest another repository's OAI identifier.
        assert not [rid for rid in records if rid.startswith("oai:") or ":oai:" in rid], hub.name
        identifiers = feed_identifiers(hub)
        assert len(identifiers) == len(set(identifiers))
        assert all(i.count("oai:") == 1 for i in identifiers), hub.name
    # The same DOI under two local ids and the same URL without DOI became one record each.
    for hub in network:
        records = hub.records().values()
        river = [r for r in records if "https://doi.org/10.5555/river.kit" in map(str.lower, r.get("identifier", []))]
        ovens = [r for r in records if "ovens.example.org/solar-oven" in r.get("url", "")]
        assert len(river) == 1 and len(ovens) == 1, hub.name


def test_no_echo_reaches_the_origin(network, settled):
    a, b, c, d = network
    history = settled
    assert sum(totals[0]["echoed"] for totals in history) > 0  # A's records came back through C, and were ignored
    own = f"oai:{_namespace(a)}:"
    token, served = None, 0
    while True:
        args = {"resumptionToken": token} if token else {"metadataPrefix": "oerrepo"}
        doc = validate(a.get("ListRecords", **args))
        for record in doc.iter(f"{OAI}record"):
            served += 1
            named = [e.text for e in record.iter(f"{PROV}identifier")]
            assert not [i for i in named if i.startswith(own)], named  # nothing A serves came from A
        node = doc.find(f".//{OAI}resumptionToken")
        token = node.text if node is not None else None
        if not token:
            break
    assert served == UPSTREAM_OF_A
    # A's own records served by A have no provenance: they start here.
    doc = validate(a.get("GetRecord", identifier=f"{own}bee-hotel-network", metadataPrefix="oai_dc"))
    assert doc.find(f".//{OAI}about") is None


def _namespace(hub: Hub) -> str:
    repo = hub.repo()
    try:
        return repo.oai_namespace()
    finally:
        repo.close()


def test_two_paths_are_one_record_whose_provenance_names_both_and_the_origin(network, settled):
    a, b, c, d = network
    rid = "bee-hotel-network"
    assert rid in d.records()
    doc = validate(d.get("GetRecord", identifier=f"oai:{_namespace(d)}:{rid}", metadataPrefix="oerrepo"))
    chains = []
    for about in doc.iter(f"{OAI}about"):
        chain, node = [], about.find(f"{PROV}provenance/{PROV}originDescription")
        while node is not None:
            chain.append(node.findtext(f"{PROV}baseURL"))
            node = node.find(f"{PROV}originDescription")
        chains.append(chain)
    assert sorted(chains) == sorted([[a.oai], [c.oai, b.oai, a.oai]])
    origin = f"oai:{_namespace(a)}:{rid}"
    for about in doc.iter(f"{OAI}about"):
        innermost = list(about.iter(f"{PROV}originDescription"))[-1]
        assert innermost.findtext(f"{PROV}identifier") == origin
    # Identify lists the partner feeds D harvests.
    ident = validate(d.get("Identify"))
    assert sorted(e.text for e in ident.iter(f"{FRIENDS}baseURL")) == sorted([a.oai, c.oai])


def test_every_field_survives_two_hops(network, settled):
    a, b, c, d = network
    original = a.records()["bee-hotel-network"]
    copy = c.records()["bee-hotel-network"]  # A -> B -> C
    assert {k: v for k, v in copy.items() if k != "id"} == {k: v for k, v in original.items() if k != "id"}


def test_updates_and_deletions_reach_every_hub_and_a_quiet_round_reports_nothing(network, settled):
    a, b, c, d = network
    a.cli("update", "bee-hotel-network", _write(a, {**RICH, "name": {"en": "Bee hotels, second edition"}}), "--merge")
    a.cli("delete", "to-be-withdrawn")
    a.cli("delete", "water-quality-kit-river")  # also stored at B by a person: B keeps it
    history = rounds_until_quiet(network)
    assert len(history) <= 5
    for hub in (b, c, d):
        records = hub.records()
        assert records["bee-hotel-network"]["name"] == {"en": "Bee hotels, second edition"}, hub.name
        assert "to-be-withdrawn" not in records, hub.name
        assert "water-quality-kit-river" in records, hub.name
    repo = d.repo()
    try:
        assert repo.get("to-be-withdrawn", include_deleted=True).deleted  # a tombstone for D's harvesters
        sources = {p.source for p in repo.get("water-quality-kit-river").provenance if not p.deleted}
    finally:
        repo.close()
    assert sources == {"hub-c"}  # A's copy is gone; B's record still reaches D through C
    quiet = [hub.harvest() for hub in network]
    assert all(t["new"] == t["updated"] == t["deleted"] == 0 for t in quiet), quiet


def _write(hub: Hub, record: dict) -> str:
    import json

    path = hub.data.parent / f"{hub.name}-change.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return str(path)


def test_feeds_stay_schema_valid(network, settled):
    for hub in network:
        for prefix in ("oai_dc", "lom", "oerrepo"):
            doc = validate(hub.get("ListRecords", metadataPrefix=prefix))
            assert doc.find(f"{OAI}error") is None
            assert isinstance(doc, etree._Element)
