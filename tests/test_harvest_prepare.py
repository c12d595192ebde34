"""A long harvest reads its pages' records in a process of its own (harvesters/prepare.py).

The records are real partners' (../shared/fixtures/oai), served in pages on loopback.
"""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest
from conftest import shared_path
from lxml import etree
from oai_server import Partner, Rec

from oerrepo import Repository
from oerrepo.harvesters import loop

OAI = "{http://www.openarchives.org/OAI/2.0/}"
FIXTURES = [  # oai_dc from Zenodo (with deleted records), SubjectsPlus and Erasmus' OAICat
    ("zenodo", "ListRecords_set_software_oai_dc_page1.xml"),
    ("zenodo", "ListRecords_TRIMMED_resumed_with_deleted.xml"),
    ("subjectsplus", "ListRecords_oai_dc.xml"),
    ("erasmus-oaicat", "ListRecords_from.xml"),
    ("erasmus-oaicat", "ListRecords_2004.xml"),
]


def _recorded() -> list[Rec]:
    recs: dict[str, Rec] = {}
    for parts in FIXTURES:
        root = etree.parse(str(shared_path("fixtures", "oai", *parts))).getroot()
        for node in root.iter(OAI + "record"):
            header = node.find(OAI + "header")
            payload = next((c for c in node.find(OAI + "metadata") if isinstance(c.tag, str)), None) \
                if node.find(OAI + "metadata") is not None else None
            identifier = header.findtext(OAI + "identifier").strip()
            recs[identifier] = Rec(
                identifier, header.findtext(OAI + "datestamp").strip(),
                etree.tostring(payload, encoding="unicode") if payload is not None else "",
                deleted=header.get("status") == "deleted",
            )
    # and what no partner above sent: a record with no licence, and one whose metadata is no oai_dc
    recs["oai:made.test:1"] = Rec("oai:made.test:1", "2024-01-01T00:00:00Z",
                                  '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                                  'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Kites</dc:title></oai_dc:dc>')
    recs["oai:made.test:2"] = Rec("oai:made.test:2", "2024-01-01T00:00:00Z", "<nonsense>42</nonsense>")
    return list(recs.values())


def _harvest(data, records: list[Rec], **options):
    helpers: list[list[str]] = []
    with Repository(data) as repo, Partner(records, page_size=15) as partner:
        report = repo.harvest(partner.url, source="partner", metadata_prefix="oai_dc", **options,
                              progress=lambda **_: helpers.append([p.name for p in multiprocessing.active_children()]))
        stored = {r.id: r.data for r in repo.list(limit=10_000)}
    return report.sources[0], stored, helpers


def test_records_read_by_the_preparing_process_are_stored_as_when_read_by_the_harvest(tmp_path, monkeypatch):
    records = _recorded()
    assert len(records) > 60 and any(r.deleted for r in records)
    here, stored_here, _ = _harvest(tmp_path / "here", records)
    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)  # a long harvest from its first page on
    aside, stored_aside, helpers = _harvest(tmp_path / "aside", records)

    # The pages after the second were read by the preparing process (an executor's spawned process).
    assert all(any(n.startswith("SpawnProcess") for n in names) for names in helpers[2:-1]), helpers
    assert stored_aside == stored_here and len(stored_here) == here.new > 40
    for what in ("new", "deleted", "pages"):
        assert getattr(aside, what) == getattr(here, what), what
    assert list(aside.rejected) == list(here.rejected) and len(here.rejected) >= 1
    assert "oai:made.test:2" in dict(here.rejected)
    assert list(aside.license_problems) == list(here.license_problems)
    assert ("oai:made.test:1", "no licence given", True) in list(here.license_problems)
    assert list(aside.repairs) == list(here.repairs)


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_a_harvest_whose_preparing_process_dies_reads_the_records_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(loop, "INDEX_EVERY", 0.0)
    records = _recorded()
    killed: list[int] = []

    def kill_the_preparer(**_):
        for p in multiprocessing.active_children():
            if p.name.startswith("SpawnProcess") and not killed:
                killed.append(p.pid)
                os.kill(p.pid, signal.SIGKILL)

    with Repository(tmp_path / "data") as repo, Partner(records, page_size=15) as partner:
        report = repo.harvest(partner.url, source="partner", metadata_prefix="oai_dc", progress=kill_the_preparer)
        src = report.sources[0]
        assert killed and src.complete and src.error is None
        assert any("the process reading the records ended unexpectedly" in n for n in src.notes), src.notes
        _, expected, _ = _harvest(tmp_path / "again", records)
        assert {r.id: r.data for r in repo.list(limit=10_000)} == expected
