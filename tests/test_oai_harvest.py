"""The feed over HTTP, harvested completely by independent OAI-PMH clients (Sickle, pyoai)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader
from sickle import Sickle

from oai_schemas import OAI, error_code, running, validate
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


# Fields each format carries in full: a harvest of our own feed by our own harvester keeps them.
CARRIED = {
    "lom": ("name", "description", "inLanguage", "keywords", "license", "sdg", "educationalLevel",
            "typicalAgeRange", "url", "identifier", "isAccessibleForFree"),
    "oai_dc": ("name", "description", "inLanguage", "license", "sdg", "url", "identifier"),
}


@pytest.mark.parametrize("prefix", ["lom", "oai_dc"])
def test_own_harvester_round_trip_keeps_every_record_and_field(repo, tmp_path, prefix):
    with running(repo.wsgi_app()) as root:
        with Repository(tmp_path / f"copy-{prefix}") as copy:
            copy.harvest(f"{root}/oai", metadata_prefix=prefix, delay=0)
            harvested = {r.id: r for r in copy.iter(include_deleted=True)}
    originals = {repo.oai_identifier(r.id): r for r in repo.iter()}
    live = {i: r for i, r in harvested.items() if not r.deleted}
    assert set(live) == set(originals)
    for oai_id, original in originals.items():
        copied = live[oai_id].data
        for field in CARRIED[prefix]:
            assert copied.get(field) == original.data.get(field), (oai_id, field)
        creators = [a["name"] for a in original.data.get("creator", [])]
        assert [a["name"] for a in copied.get("creator", [])] == creators, oai_id
