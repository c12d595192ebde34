"""How the harvester reads one ListRecords page a partner sends, over real HTTP."""

from __future__ import annotations

from oai_server import Partner

from oerrepo.harvesters.client import OAIClient
from oerrepo.harvesters.transport import Transport

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
