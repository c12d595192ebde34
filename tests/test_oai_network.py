"""The feed as one hub of a network: identity from configuration, the full-record format,
provenance in <about>, friends in Identify. Real HTTP on loopback (waitress)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests
from click.testing import CliRunner
from lxml import etree
from oai_schemas import OAI, RECORD_XSD, error_code, running, validate

from oerrepo import Repository
from oerrepo.cli import cli
from oerrepo.errors import InvalidSetting

REC = "{urn:oerrepo:record:1.0}"
PROV = "{http://www.openarchives.org/OAI/2.0/provenance}"
FRIENDS = "{http://www.openarchives.org/OAI/2.0/friends/}"
IDENT = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"

# A record with what oai_dc and LOM cannot carry: funders, funding, an image, a modification
# date, sets, several languages of every text.
RICH = {
    "id": "bee-hotel-network",
    "name": {"en": "Bee hotels for the school garden", "pt": "Hotéis de abelhas para a horta escolar",
             "de": "Wildbienenhotels für den Schulgarten"},
    "description": {"en": "Build & monitor <bee hotels>.", "pt": "Construir e observar hotéis de abelhas."},
    "inLanguage": ["en", "pt", "de"],
    "license": "CC BY-SA 4.0",
    "creator": [{"type": "Person", "name": "Ana Ribeiro", "id": "https://orcid.org/0000-0002-1825-0097",
                 "affiliation": {"type": "Organization", "name": "Escola Verde"}}],
    "funder": [{"type": "Organization", "name": "European Commission", "id": "https://ror.org/00k4n6c32"}],
    "funding": [{"type": "Grant", "name": "Open Schooling Hubs 2026"}],
    "image": "https://hub.example.org/img/bee-hotel.jpg",
    "dateModified": "2026-03-04",
    "datePublished": "2025-11-20",
    "url": "https://hub.example.org/bee-hotels",
    "identifier": ["https://doi.org/10.5281/zenodo.1234567"],
    "sdg": [15],
    "learningResourceType": "experiment",
    "keywords": ["bees", "biodiversity"],
    "encoding": [{"contentUrl": "https://hub.example.org/bee-hotels.pdf", "encodingFormat": "application/pdf",
                  "contentSize": 123456}],
    "isAccessibleForFree": True,
}


@pytest.fixture
def hub(tmp_path) -> Repository:
    repo = Repository(tmp_path / "hub")
    repo.add_set("gardens", "School gardens")
    repo.add(dict(RICH, sets=["gardens"]))
    yield repo
    repo.close()


def ask(repo: Repository, **args) -> etree._Element:
    return validate(repo.oai_response(args))


# --------------------------------------------------------------------------- identity


def test_identity_never_comes_from_the_host_header(hub):
    hub.set_setting("base_url", "https://oer.example.org")
    with running(hub.wsgi_app()) as root:
        url = urlsplit(root)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        conn.request("GET", "/oai?verb=Identify", headers={"Host": "evil.example"})
        doc = validate(conn.getresponse().read())
        assert doc.findtext(f".//{OAI}baseURL") == "https://oer.example.org/oai"
        assert doc.findtext(f".//{IDENT}repositoryIdentifier") == "oer.example.org"
        oai_id = "oai:oer.example.org:bee-hotel-network"
        conn.request("GET", f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={oai_id}",
                     headers={"Host": "other-name.example"})
        doc = validate(conn.getresponse().read())
        assert error_code(doc) is None
        assert doc.findtext(f".//{OAI}header/{OAI}identifier") == oai_id
        conn.close()


def test_without_a_base_url_the_feed_names_the_port_it_is_served_on_not_the_client_host(hub):
    with running(hub.wsgi_app()) as root:
        reply = requests.get(root + "/oai?verb=Identify", headers={"Host": "evil.example:80"}, timeout=10)
        doc = validate(reply.content)
        assert doc.findtext(f".//{OAI}baseURL") == f"http://127.0.0.1:{urlsplit(root).port}/oai"
        assert "evil.example" not in reply.text


def test_hubs_on_addresses_without_a_domain_get_unique_identifiers_kept_from_init(tmp_path):
    runner = CliRunner()
    namespaces = []
    for name, url in (("a", "http://127.0.0.1:8001"), ("b", "http://localhost:8002"), ("c", None)):
        args = ["--data", str(tmp_path / name), "init"] + (["--base-url", url] if url else [])
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert "oerrepo identity --oai-identifier" in result.output  # says how to set a real one
        shown = json.loads(runner.invoke(cli, ["--data", str(tmp_path / name), "identity", "--json"]).output)
        assert shown["madeUp"] is True
        namespaces.append(shown["oaiIdentifier"])
    assert len(set(namespaces)) == 3 and "oerrepo.local" not in namespaces
    # Kept: a later address does not rename the catalogue.
    assert runner.invoke(cli, ["--data", str(tmp_path / "a"), "config", "base_url", "https://a.example.org"]).exit_code == 0
    shown = json.loads(runner.invoke(cli, ["--data", str(tmp_path / "a"), "identity", "--json"]).output)
    assert shown["oaiIdentifier"] == namespaces[0] and shown["baseURL"] == "https://a.example.org/oai"


def test_init_with_a_domain_takes_it_as_the_identifier(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--data", str(tmp_path / "d"), "init", "--base-url", "https://oer.school.example"])
    assert result.exit_code == 0 and "oai:oer.school.example:<id>" in result.output


def test_renaming_a_published_catalogue_is_refused_unless_confirmed(hub):
    old = hub.oai_namespace()
    with pytest.raises(InvalidSetting, match="--yes"):
        hub.set_setting("oai_identifier", "oer.example.org")
    assert hub.oai_namespace() == old
    runner = CliRunner()
    data = ["--data", str(hub.path)]
    refused = runner.invoke(cli, [*data, "identity", "--oai-identifier", "oer.example.org"])
    assert refused.exit_code == 1 and "--full" in refused.output and "Error:" in refused.output
    done = runner.invoke(cli, [*data, "identity", "--oai-identifier", "oer.example.org", "--yes"])
    assert done.exit_code == 0, done.output
    assert "changed from" in done.output
    fresh = Repository(hub.path)
    try:
        assert fresh.oai_identifier("x") == "oai:oer.example.org:x"
    finally:
        fresh.close()


# --------------------------------------------------------------------------- full record


def test_full_record_carries_every_property_and_validates(hub):
    doc = ask(hub, verb="GetRecord", identifier=hub.oai_identifier("bee-hotel-network"), metadataPrefix="oerrepo")
    resource = doc.find(f".//{OAI}metadata/{REC}resource")
    assert resource is not None
    names = {e.get("{http://www.w3.org/XML/1998/namespace}lang"): e.text for e in resource.iter(f"{REC}name")}
    assert names == RICH["name"]
    assert resource.findtext(f"{REC}image") == RICH["image"]
    assert resource.findtext(f"{REC}dateModified") == "2026-03-04"
    assert [e.text for e in resource.iter(f"{REC}sets")] == ["gardens"]
    funder = resource.find(f"{REC}funder")
    assert {e.get("key"): e.text for e in funder if e.get("key") != "affiliation"}["name"] == "European Commission"


def test_full_record_is_offered_and_its_schema_is_served(hub):
    with running(hub.wsgi_app()) as root:
        doc = validate(requests.get(root + "/oai?verb=ListMetadataFormats", timeout=10).content)
        formats = {f.findtext(f"{OAI}metadataPrefix"): f for f in doc.iter(f"{OAI}metadataFormat")}
        full = formats["oerrepo"]
        assert full.findtext(f"{OAI}metadataNamespace") == "urn:oerrepo:record:1.0"
        schema_url = full.findtext(f"{OAI}schema")
        assert schema_url == f"http://127.0.0.1:{urlsplit(root).port}/schemas/oerrepo-record.xsd"
        reply = requests.get(schema_url, timeout=10)
        assert reply.status_code == 200 and reply.content == RECORD_XSD.read_bytes()


def test_a_hub_harvesting_another_keeps_every_field(hub, tmp_path):
    other = Repository(tmp_path / "other")
    try:
        with running(hub.wsgi_app()) as root:
            report = other.harvest(f"{root}/oai", source="hub")
        assert report.totals()["new"] == 1 and report.sources[0].metadata_prefix == "oerrepo"
        (copy,) = list(other.iter())
        original = hub.get("bee-hotel-network").data
        assert {k: v for k, v in copy.data.items() if k != "id"} == {k: v for k, v in original.items() if k != "id"}
    finally:
        other.close()


# --------------------------------------------------------------------------- provenance and friends


def test_harvested_records_carry_schema_valid_provenance_and_friends_are_listed(hub, tmp_path):
    other = Repository(tmp_path / "other")
    try:
        with running(hub.wsgi_app()) as root:
            other.harvest(f"{root}/oai", source="hub")
            (copy,) = list(other.iter())
            doc = ask(other, verb="ListRecords", metadataPrefix="oai_dc")
            abouts = doc.findall(f".//{OAI}record/{OAI}about")
            assert len(abouts) == 1
            origin = abouts[0].find(f"{PROV}provenance/{PROV}originDescription")
            assert origin.findtext(f"{PROV}baseURL") == f"{root}/oai"
            assert origin.findtext(f"{PROV}identifier") == hub.oai_identifier("bee-hotel-network")
            assert origin.findtext(f"{PROV}metadataNamespace") == "urn:oerrepo:record:1.0"
            assert origin.get("altered") == "true"  # served as oai_dc, harvested as the full record
            assert origin.findtext(f"{PROV}datestamp") == hub.get("bee-hotel-network").datestamp
            full = ask(other, verb="GetRecord", identifier=other.oai_identifier(copy.id), metadataPrefix="oerrepo")
            assert full.find(f".//{PROV}originDescription").get("altered") == "false"
            # The hub's own records carry no provenance: it is their origin.
            assert ask(hub, verb="ListRecords", metadataPrefix="oai_dc").find(f".//{OAI}about") is None

            ident = ask(other, verb="Identify")
            assert [e.text for e in ident.iter(f"{FRIENDS}baseURL")] == [f"{root}/oai"]
            other.set_setting("oai_friends", "false")
            assert ask(other, verb="Identify").find(f".//{FRIENDS}friends") is None
    finally:
        other.close()
