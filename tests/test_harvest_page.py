"""How the harvester reads one ListRecords page a partner sends, over real HTTP."""

from __future__ import annotations

import threading

import pytest
from conftest import shared_path
from oai_server import Partner

from oerrepo import HarvestError
from oerrepo.harvesters.client import OAIClient, Page, next_token
from oerrepo.harvesters.pages_ahead import PagesAhead
from oerrepo.harvesters.transport import Response, Transport

PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2026-12-07T10:00:00Z</responseDate>
  <request verb="ListRecords" metadataPrefix="oai_dc">http://127.0.0.1/oai</request>
  <ListRecords>
    <record>
      <!-- a comment before the header -->
      <header>
        <identifier> oai:hub.test:1 </identifier>
        <!-- and one inside it -->
        <datestamp>2026-11-30</datestamp>
        <setSpec>oer</setSpec>
        <setSpec> steam </setSpec>
        <setSpec>oer</setSpec>
        <identifier>oai:hub.test:second-identifier-ignored</identifier>
      </header>
      <metadata><!-- before the payload --><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"/></metadata>
      <about>
        <provenance xmlns="http://www.openarchives.org/OAI/2.0/provenance">
          <originDescription harvestDate="2026-11-01T00:00:00Z" altered="true">
            <baseURL>https://origin.test/oai</baseURL>
            <identifier>oai:origin.test:7</identifier>
            <datestamp>2026-10-01</datestamp>
            <metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>
          </originDescription>
        </provenance>
      </about>
    </record>
    <record>
      <header status="deleted"><identifier>oai:hub.test:2</identifier><datestamp>not a date</datestamp></header>
    </record>
    <record>
      <header><datestamp>2026-11-30</datestamp></header>
      <metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"/></metadata>
    </record>
    <resumptionToken completeListSize="250" cursor="0">next-3</resumptionToken>
  </ListRecords>
</OAI-PMH>
"""


def test_a_page_s_headers_payloads_provenance_and_token():
    with Partner() as partner:
        partner.fault("mangle", how=lambda data: (PAGE, "text/xml; charset=utf-8", {}))
        page = OAIClient(Transport(partner.url, agent="test")).list_records_page(metadata_prefix="oai_dc")
    assert page.token == "next-3" and page.complete_list_size == 250
    assert [h.identifier for h, _ in page.records] == ["oai:hub.test:1", "oai:hub.test:2"]
    first, payload = page.records[0]
    assert first.datestamp == "2026-11-30"  # a bare date stays one
    assert first.set_specs == ("oer", "steam")
    assert first.deleted is False
    assert payload is not None and payload.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    assert first.provenance == ((
        {"baseURL": "https://origin.test/oai", "identifier": "oai:origin.test:7", "datestamp": "2026-10-01",
         "metadataNamespace": "http://www.openarchives.org/OAI/2.0/oai_dc/", "harvestDate": "2026-11-01T00:00:00Z",
         "altered": True},
    ),)
    deleted, nothing = page.records[1]
    assert deleted.deleted is True and nothing is None and deleted.datestamp is None and deleted.provenance == ()
    assert "oai:hub.test:2: unreadable datestamp 'not a date' ignored" in page.repairs
    assert page.problems == ["a record without a header identifier was skipped"]


# -- the next page asked for before this one is read -------------------------------------------


def _read(body: bytes) -> Page:
    return OAIClient(Transport("http://127.0.0.1:9/oai", agent="test")).read_page(
        Response("http://127.0.0.1:9/oai", 200, body, "text/xml; charset=utf-8"))


def test_the_token_read_off_a_real_page_s_last_bytes_is_the_one_its_parser_reads():
    folder = shared_path("fixtures", "oai")
    pages = sorted(folder.glob("*/ListRecords*.xml"))
    assert len(pages) >= 8, pages
    told = 0
    for path in pages:
        body = path.read_bytes()
        try:
            parsed = _read(body).token
        except HarvestError:
            parsed = None  # an error page: nothing may be asked after it
        peeked = next_token(body)
        assert peeked is None or peeked == parsed, path
        told += peeked is not None
    assert told >= 5  # Zenodo's, TIB's, DOAJ's and Alma's tokens (each page's last element)


_PREFIXED = PAGE
for _name in (b"OAI-PMH", b"ListRecords", b"record", b"resumptionToken"):
    _PREFIXED = _PREFIXED.replace(b"<" + _name, b"<oai:" + _name).replace(b"</" + _name, b"</oai:" + _name)
_PREFIXED = _PREFIXED.replace(b"<oai:OAI-PMH xmlns=", b"<oai:OAI-PMH xmlns:oai=")


@pytest.mark.parametrize(("body", "peeked", "parsed"), [
    (PAGE, "next-3", "next-3"),
    (_PREFIXED, "next-3", "next-3"),
    (PAGE.replace(b">next-3<", b">\n   a|b:c=d%20e~f/\n  <"), "a|b:c=d%20e~f/", "a|b:c=d%20e~f/"),
    # The parser reads these; the last bytes alone do not tell them for certain.
    (PAGE.replace(b">next-3<", b">a&amp;b<"), None, "a&b"),
    (PAGE.replace(b">next-3<", b"><![CDATA[next-3]]><"), None, "next-3"),
    (PAGE + b"<!-- served by a proxy -->\n", None, "next-3"),
    (PAGE.replace(b'<resumptionToken completeListSize="250" cursor="0">next-3</resumptionToken>',
                  b'<resumptionToken completeListSize="250" cursor="200"/>'), None, None),  # the list's end
])
def test_a_page_s_next_token_is_read_off_its_last_bytes_only_where_they_tell_it_plainly(body, peeked, parsed):
    assert _read(body).token == parsed
    assert next_token(body) == peeked


def _page(token: str | None) -> Page:
    return Page(response_date=None, records=[], token=token, token_element=token is not None)


def test_the_next_page_is_asked_for_while_this_one_is_read():
    asked: list[str | None] = []
    reading_first = threading.Event()
    second_asked = threading.Event()

    def fetch(request):
        asked.append(request[0])
        if request[0] == "t1":
            second_asked.set()
        return request[0]  # the answer: which page it is

    def read(answer):
        if answer is None:
            reading_first.set()
            assert second_asked.wait(10), "the second page was not asked for while the first was read"
        return _page({None: "t1", "t1": "t2", "t2": None}[answer])

    ahead = PagesAhead(fetch, read=read, peek=lambda answer: {None: "t1", "t1": "t2"}.get(answer))
    try:
        first, _ = ahead.get((None, None, None)).result(timeout=10)
        assert reading_first.is_set() and first.token == "t1"
        assert ahead.get(("t1", None, None)).result(timeout=10)[0].token == "t2"
        assert ahead.get(("t2", None, None)).result(timeout=10)[0].token is None
    finally:
        ahead.close()
    assert asked == [None, "t1", "t2"]  # each page once, in order


def test_a_wrong_guess_of_the_next_token_costs_a_request_but_never_a_page():
    asked: list[str | None] = []

    def fetch(request):
        asked.append(request[0])
        return request[0]

    # The last bytes seem to say "wrong", the page read says "t1" (as for a page found broken and repaired).
    ahead = PagesAhead(fetch, read=lambda answer: _page({None: "t1", "t1": None}[answer]),
                       peek=lambda answer: "wrong" if answer is None else None)
    try:
        first, _ = ahead.get((None, None, None)).result(timeout=10)
        second, _ = ahead.get((first.token, None, None)).result(timeout=10)
    finally:
        ahead.close()
    assert (first.token, second.token) == ("t1", None)
    assert asked[0] is None and asked[-1] == "t1" and set(asked) <= {None, "wrong", "t1"}
