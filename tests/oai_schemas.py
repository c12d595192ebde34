"""The official OAI-PMH, oai_dc, LOM, provenance and friends schemas from ../shared, and our full-record
schema, loaded offline, for the feed's tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import waitress
from conftest import shared_path
from lxml import etree

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RECORD_XSD = Path(__file__).resolve().parent.parent / "oerrepo" / "schemas" / "oerrepo-record.xsd"
LOM = "{http://ltsc.ieee.org/xsd/LOM}"


@cache
def _schemas() -> tuple[etree.XMLSchema, etree.XMLSchema]:
    xsd = shared_path("fixtures", "xsd")
    parser = etree.XMLParser(no_network=True)
    # oai-pmh-bundle.xsd covers the envelope, oai_dc and the Identify descriptions; the
    # envelope validates payloads strictly, so LOM is imported beside it.
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:oerrepo:test">'
        f'<xs:import namespace="urn:oerrepo:fixtures:oai-pmh-bundle" schemaLocation="{(xsd / "oai-pmh-bundle.xsd").as_uri()}"/>'
        f'<xs:import namespace="http://ltsc.ieee.org/xsd/LOM" schemaLocation="{(xsd / "lom" / "lom.xsd").as_uri()}"/>'
        # Our full-record format's schema, as shipped (its xml.xsd import is already satisfied above).
        f'<xs:import namespace="urn:oerrepo:record:1.0" schemaLocation="{RECORD_XSD.as_uri()}"/>'
        "</xs:schema>"
    )
    envelope = etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=xsd.as_uri() + "/"))
    lom = etree.XMLSchema(etree.parse(str(xsd / "lom" / "lom.xsd"), parser))
    return envelope, lom


def validate(xml: bytes) -> etree._Element:
    """Parse an OAI-PMH response and assert it is schema-valid (and each LOM record on its own too)."""
    envelope, lom = _schemas()
    doc = etree.fromstring(xml)
    assert envelope.validate(doc), f"{envelope.error_log.last_error}\n{xml[:3000]!r}"
    for record in doc.iter(LOM + "lom"):
        assert lom.validate(etree.ElementTree(record)), str(lom.error_log.last_error)
    return doc


def error_code(doc: etree._Element) -> str | None:
    err = doc.find(OAI + "error")
    return None if err is None else err.get("code")


@contextmanager
def running(app) -> Iterator[str]:
    """Serve a WSGI app with waitress (the production server) on a free loopback port."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        # Close every channel from inside the server's own loop, which then ends.
        server.trigger.pull_trigger(lambda: [d.close() for d in list(server._map.values())])
        thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=5)
