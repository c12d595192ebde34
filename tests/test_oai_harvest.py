"""The feed over HTTP, harvested completely by independent OAI-PMH clients (Sickle, pyoai)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from oai_schemas import error_code, running, validate
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader
from sickle import Sickle

from oerrepo import Repository


@pytest.fixture
def repo(tmp_path) -> Repository:
    repo = Repository(tmp_path / "data")
    repo.load_samples()
    repo.delete("school-solar-garden")  # a tombstone in the feed
    repo.set_setting("oai_page_size", 5)
    yield repo
    repo.close()


def expected_ids(repo: Repository) -> set[str]:
    return {repo.oai_identifier(r.id) for r in repo.iter(include_deleted=True)}


def test_sickle_harvests_every_record_exactly_once(repo):
    with running(repo.wsgi_app()) as root:
        sickle = Sickle(f"{root}/oai", max_retries=0)
        for prefix in ("oai_dc", "lom"):
            records = list(sickle.ListRecords(metadataPrefix=prefix, ignore_deleted=False))
            got = [r.header.identifier for r in records]
            assert len(got) == len(set(got)) and set(got) == expected_ids(repo)
            deleted = [r.header.identifier for r in records if r.header.deleted]
            assert deleted == [repo.oai_identifier("school-solar-garden")]
        titles = {r.header.identifier: r.metadata.get("title") for r in sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True)}
        assert titles[repo.oai_identifier("water-quality-kit-river")] == [
            "Citizen science water-quality kit for the local river"
        ]
        sets = {s.setSpec for s in sickle.ListSets()}
        assert {"sdg:13", "license:cc-by-4.0"} <= sets


def test_pyoai_client_harvests_every_record_exactly_once(repo):
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    with running(repo.wsgi_app()) as root:
        client = Client(f"{root}/oai", registry)
        identify = client.identify()
        assert identify.deletedRecord() == "persistent"
        got = []
        for header, metadata, _about in client.listRecords(metadataPrefix="oai_dc"):
            got.append(header.identifier())
            assert (metadata is None) == header.isDeleted()
        assert len(got) == len(set(got)) and set(got) == expected_ids(repo)
        idents = [h.identifier() for h in client.listIdentifiers(metadataPrefix="lom", set="sdg:13")]
        assert set(idents) == {repo.oai_identifier(r.id) for r in repo.iter(sdg=13, include_deleted=True)}


def test_harvest_during_concurrent_writes_is_complete_and_exact(repo):
    repo.set_setting("oai_page_size", 2)
    stop = threading.Event()
    writes = []

    def writer() -> None:
        ids = sorted(r.id for r in repo.iter())
        n = 0
        while not stop.is_set():
            n += 1
            target = ids[n * 7 % len(ids)]
            try:
                if n % 3 == 0:
                    repo.add({"id": f"concurrent-{n:04d}", "name": f"Added {n}", "license": "CC-BY-4.0"})
                elif n % 3 == 1:
                    repo.update(target, {"keywords": [f"edit {n}"]}, merge=True)
                elif n > 2:
                    repo.delete(f"concurrent-{n - 2:04d}")
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                writes.append(exc)
                return
            writes.append(n)

    thread = threading.Thread(target=writer)
    with running(repo.wsgi_app()) as root:
        thread.start()
        while len(writes) < 5 and thread.is_alive():
            time.sleep(0.005)
        before = expected_ids(repo)
        sickle = Sickle(f"{root}/oai", max_retries=0)
        headers = sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False)
        got = [next(headers).identifier]
        after_first_page = expected_ids(repo)
        writes_at_first_page = len(writes)
        for header in headers:  # a slow harvester: the writer gets in between its pages
            got.append(header.identifier)
            time.sleep(0.01)
        stop.set()
        thread.join()
    assert all(isinstance(w, int) for w in writes), writes[-1]
    assert len(writes) > writes_at_first_page + 5  # the writer really ran during the harvest
    assert len(got) == len(set(got)), "a record was served twice"
    assert before <= set(got) <= after_first_page


def test_bad_http_requests_get_schema_valid_errors(repo):
    with running(repo.wsgi_app()) as root:
        url = f"{root}/oai"
        cases = [
            ("?verb=Nope", "badVerb"),
            ("?verb=Identify&verb=Identify", "badVerb"),
            ("?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=lom", "badArgument"),
            ("?verb=GetRecord&identifier=%3Cx%26y%3E&metadataPrefix=oai_dc", "idDoesNotExist"),
            ("?verb=ListRecords&metadataPrefix=oai_dc&from=%FF%FE", "badArgument"),
            ("?verb=ListRecords&resumptionToken=" + "z" * 3000, "badResumptionToken"),
            ("?verb=ListRecords&metadataPrefix=oai_dc&until=" + "9" * 20000, "badArgument"),
            ("?verb=ListRecords&metadataPrefix=oai_dc&set=%00", "badArgument"),
        ]
        for query, code in cases:
            reply = requests.get(url + query, timeout=10)
            assert reply.status_code == 200
            assert error_code(validate(reply.content)) == code, query


# What each format cannot carry, and why; every other field of every record must come back equal.
NOT_CARRIED = {
    "oerrepo": {},  # the full record: nothing is lost
    "lom": {
        "type": "schema.org types beyond LearningResource have no LOM element",
        "dateModified": "LOM dates a contribution, not the resource's last change",
        "funder": "LOMv1.0 has no funder role", "funding": "LOMv1.0 has no funder role",
        "image": "LOMv1.0 has no element for a preview image, and the strict binding allows no extension",
        "sets": "collections travel as the header's setSpecs (kept in provenance), not in the metadata",
    },
    "oai_dc": {
        "type": "no DC element", "dateModified": "one dc:date only: the publication date",
        "dateCreated": "one dc:date only: the publication date",
        "funder": "no DC element", "funding": "no DC element", "image": "no DC element",
        "sets": "carried by the header's setSpecs", "typicalAgeRange": "no DC element",
        "isAccessibleForFree": "no DC element", "encoding": "dc:format names a format, not a file",
        "isPartOf": "dc:relation has no direction", "hasPart": "dc:relation has no direction",
        # partly carried, checked below
        "keywords": "", "about": "", "creator": "", "publisher": "", "contributor": "", "isBasedOn": "",
    },
}


def round_trip_record() -> dict:
    """A record with what the samples lack: a person as publisher, dates without agents, several files."""
    return {
        "id": "round-trip-edges",
        "name": {"en": "Edges & <corners>", "fr": "Bords et coins"},
        "description": {"en": "Line one.\n\nLine two, with \"quotes\"; and a comma.", "fr": "Texte."},
        "inLanguage": ["en", "fr"],
        "license": "CC0-1.0",
        "publisher": [{"type": "Person", "name": "Ada Lovelace, Countess", "id": "https://orcid.org/0000-0002-1825-0097"}],
        "dateCreated": "2020-01-31",
        "datePublished": "2020-02",
        "learningResourceType": ["https://w3id.org/kim/hcrt/video", "https://w3id.org/kim/hcrt/other"],
        "audience": ["http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/mentor"],
        "educationalLevel": ["https://w3id.org/kim/isced-2011/level4"],
        "url": "https://example.org/edges",
        "sameAs": ["https://mirror.example.org/edges"],
        "encoding": [{"contentUrl": "https://example.org/edges.mp4", "encodingFormat": "video/mp4"},
                     {"contentUrl": "https://example.org/edges.pdf", "encodingFormat": "application/pdf"}],
        "isBasedOn": [{"id": "https://example.org/original"}],
    }


@pytest.mark.parametrize("prefix", ["oerrepo", "lom", "oai_dc"])
def test_own_harvester_round_trip_keeps_every_record_and_field(repo, tmp_path, prefix):
    repo.add(round_trip_record())
    edges = {"verb": "GetRecord", "identifier": repo.oai_identifier("round-trip-edges"), "metadataPrefix": prefix}
    validate(repo.oai_response(edges))  # what the samples lack is written schema-valid too
    with running(repo.wsgi_app()) as root:
        with Repository(tmp_path / f"copy-{prefix}") as copy:
            copy.harvest(f"{root}/oai", metadata_prefix=prefix, delay=0)
            harvested = {r.id: r for r in copy.iter(include_deleted=True)}
    originals = {r.id: r for r in repo.iter()}  # harvested records keep their origin's own ids
    live = {i: r for i, r in harvested.items() if not r.deleted}
    assert set(live) == set(originals)
    lost = NOT_CARRIED[prefix]
    for oai_id, original in originals.items():
        copied, data = live[oai_id].data, original.data
        for field, value in data.items():
            if field != "id" and field not in lost:
                assert copied.get(field) == value, (oai_id, field)
        assert not set(copied) - set(data) - {"id"}, (oai_id, "fields the original does not have")
        if prefix == "oai_dc":
            # partly carried: names of agents, keywords (followed by subject labels), what it is based on
            for role in ("creator", "publisher", "contributor"):
                assert [a["name"] for a in copied.get(role, [])] == [a["name"] for a in data.get(role, [])]
            keywords = data.get("keywords", [])
            assert copied.get("keywords", [])[: len(keywords)] == keywords
            assert [b["id"] for b in copied.get("isBasedOn", [])] == [b["id"] for b in data.get("isBasedOn", [])]
            assert copied.get("datePublished") == (data.get("datePublished") or data.get("dateCreated"))
