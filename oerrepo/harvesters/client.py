"""The OAI-PMH protocol, through the ``oaipmh`` package with our transport plugged in.

:class:`OAIClient` is an ``oaipmh.client.BaseClient`` whose requests go through
:class:`~oerrepo.harvesters.transport.Transport` (a ``requests.Session``) and whose
parser repairs broken responses and refuses hostile XML. ListRecords is read one page
at a time (the harvest loop commits each page with its resumption token), and headers
are read tolerantly: datestamps with offsets, fractions or day granularity.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from lxml import etree
from oaipmh import error as oai_error
from oaipmh import validation
from oaipmh.client import BaseClient
from oaipmh.metadata import MetadataRegistry

from ..errors import HarvestError
from .repair import parse_xml
from .transport import Response, Transport

__all__ = ["OAIClient", "Identity", "Header", "Page", "normalize_datestamp", "next_token", "OAI_NS"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_NS = {"oai": OAI_NS}
_Q = f"{{{OAI_NS}}}"
_HEADER, _METADATA, _ABOUT = _Q + "header", _Q + "metadata", _Q + "about"
_TAG_IDENTIFIER, _TAG_DATESTAMP, _TAG_SET_SPEC = _Q + "identifier", _Q + "datestamp", _Q + "setSpec"
_ERROR_CODES = {
    "badArgument", "badResumptionToken", "badVerb", "cannotDisseminateFormat", "idDoesNotExist",
    "noRecordsMatch", "noMetadataFormats", "noSetHierarchy",
}
_DATESTAMP = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?\s*$"
)


# A ListRecords page's last element before </ListRecords></OAI-PMH>, any namespace prefix,
# the token of printable ASCII without markup or entities (others wait for the parser).
_LAST_TOKEN = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?resumptionToken(?:\s[^<>]*)?>\s*([!-%'-;=?-~]+)\s*"
    rb"</(?:[A-Za-z_][\w.-]*:)?resumptionToken>\s*</(?:[A-Za-z_][\w.-]*:)?ListRecords>\s*"
    rb"</(?:[A-Za-z_][\w.-]*:)?OAI-PMH>\s*\Z"
)


def next_token(body: bytes) -> str | None:
    """The resumption token closing a ListRecords page, read off its last bytes without parsing
    it; None where the page does not end plainly so (the parser then says what the page holds).

    For asking for the next page while this one is parsed: what the parser reads may still
    differ (a page found broken, say), and the harvest asks for what the parser read."""
    found = _LAST_TOKEN.search(body, max(0, len(body) - 4096))
    return found.group(1).decode("ascii") if found else None


def normalize_datestamp(value: str | None) -> str | None:
    """A partner's datestamp as UTC 'YYYY-MM-DDTHH:MM:SSZ' (a bare date stays 'YYYY-MM-DD').

    Offsets are converted to UTC and fractions of a second dropped; None when unreadable.
    """
    if not value:
        return None
    return _utc_datestamp(value)


@lru_cache(maxsize=4096)  # records of one page often share a datestamp (changed together)
def _utc_datestamp(value: str) -> str | None:
    m = _DATESTAMP.match(value)
    if not m:
        return None
    y, mo, d, hh, mi, ss, zone = m.groups()
    if hh is None:
        return f"{y}-{mo}-{d}"
    try:
        moment = datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0))
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        zone = zone[1:].replace(":", "")
        moment -= sign * timedelta(hours=int(zone[:2]), minutes=int(zone[2:]))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Identity:
    """What Identify says about a partner."""

    repository_name: str
    base_url: str
    granularity: str  # "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ"
    earliest_datestamp: str | None
    deleted_record: str  # no, transient, persistent
    admin_emails: tuple[str, ...] = ()
    compression: tuple[str, ...] = ()
    response_date: str | None = None

    @property
    def day_granularity(self) -> bool:
        return self.granularity.strip().upper() == "YYYY-MM-DD"

    def to_dict(self) -> dict:
        return {
            "repositoryName": self.repository_name,
            "baseURL": self.base_url,
            "granularity": self.granularity,
            "earliestDatestamp": self.earliest_datestamp,
            "deletedRecord": self.deleted_record,
        }


@dataclass
class Header:
    """One record header: OAI identifier, datestamp (UTC), setSpecs and the deleted flag."""

    identifier: str
    datestamp: str | None
    set_specs: tuple[str, ...]
    deleted: bool
    # The OAI-PMH provenance published with the record: one chain of originDescriptions per
    # <about>, nearest first (see oerrepo.oai.provenance for the shape).
    provenance: tuple[tuple[dict, ...], ...] = ()


@dataclass
class Page:
    """One ListRecords page: its records, its resumption token and what had to be repaired."""

    response_date: str | None
    records: list[tuple[Header, etree._Element | None]]
    token: str | None
    token_element: bool  # a <resumptionToken> element was present (possibly empty)
    complete_list_size: int | None = None
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # records that could not be read


class OAIClient(BaseClient):
    """``oaipmh``'s client with our HTTP transport and a safe, repairing parser."""

    def __init__(self, transport: Transport):
        super().__init__(metadata_registry=MetadataRegistry())
        self.transport = transport
        self.repairs: list[str] = []
        self.response_date: str | None = None  # of the last OAI-PMH answer, errors included
        self._content_type: str | None = None
        self._answered = threading.local()  # a page fetched already, for read_page's thread

    # -- the two hooks oaipmh leaves to subclasses ---------------------------------

    def makeRequest(self, **kw):  # noqa: N802 - oaipmh's name
        response = getattr(self._answered, "response", None)
        if response is None:
            response = self.transport.get(kw)
        else:
            self._answered.response = None
        self._content_type = response.content_type
        return response.body

    def parse(self, xml):
        parsed = parse_xml(xml, self._content_type)
        self.repairs.extend(parsed.repairs)
        root = parsed.root
        tag = etree.QName(root).localname if isinstance(root.tag, str) else ""
        if tag == "error":
            # arXiv answers some errors with a bare <error code=...> and no envelope.
            code = root.get("code") or "unknown"
            raise _oai_error(code, (root.text or "").strip())
        if root.tag != _Q + "OAI-PMH":
            text = " ".join("".join(root.itertext()).split())[:120]
            raise HarvestError(
                f"{self.transport.base_url} did not answer with OAI-PMH XML (root element <{tag or root.tag}>"
                + (f": {text!r}" if text else "")
                + "); check that this is the partner's OAI-PMH base URL",
                code="notOAI",
            )
        self.response_date = normalize_datestamp(root.findtext(_Q + "responseDate"))
        return root

    def makeRequestErrorHandling(self, **kw):  # noqa: N802 - oaipmh's name
        try:
            return super().makeRequestErrorHandling(**kw)
        except oai_error.XMLSyntaxError as exc:  # parse() raised SyntaxError after repairs failed
            raise HarvestError(f"{self.transport.base_url} sent XML that could not be read: {exc.__cause__}") from exc
        except oai_error.ErrorBase as exc:
            raise _oai_error(exc.oainame(), str(exc)) from exc

    # -- verbs ---------------------------------------------------------------------

    def Identify_impl(self, args, tree):  # noqa: N802 - oaipmh's name
        node = tree.find(_Q + "Identify")
        if node is None:
            raise HarvestError(f"{self.transport.base_url} answered Identify without an <Identify> element")

        def text(name: str) -> str:
            return (node.findtext(_Q + name) or "").strip()

        granularity = text("granularity") or "YYYY-MM-DDThh:mm:ssZ"
        return Identity(
            repository_name=text("repositoryName"),
            base_url=text("baseURL"),
            granularity=granularity,
            earliest_datestamp=normalize_datestamp(text("earliestDatestamp")),
            deleted_record=text("deletedRecord") or "no",
            admin_emails=tuple((e.text or "").strip() for e in node.findall(_Q + "adminEmail")),
            compression=tuple((e.text or "").strip() for e in node.findall(_Q + "compression")),
            response_date=normalize_datestamp(tree.findtext(_Q + "responseDate")),
        )

    def identify_partner(self) -> Identity:
        """Identify: granularity, earliest datestamp and deleted-record policy."""
        return self.handleVerb("Identify", {})

    def metadata_formats(self) -> list[tuple[str, str, str]]:
        """ListMetadataFormats as (prefix, schema, namespace) triples."""
        return self.handleVerb("ListMetadataFormats", {})

    def set_specs(self) -> list[tuple[str, str]]:
        """ListSets as (setSpec, setName) pairs; empty when the partner has no sets."""
        try:
            return [(spec, name) for spec, name, _ in self.handleVerb("ListSets", {})]
        except HarvestError as exc:
            if exc.code == "noSetHierarchy":
                return []
            raise

    def list_records_page(self, **request: str | None) -> Page:
        """One ListRecords page: the first (by arguments) or the next (by resumption token), asked
        with the keyword arguments of :meth:`request_page` and read by :meth:`read_page`."""
        return self.read_page(self.request_page(**request))

    def request_page(
        self,
        *,
        metadata_prefix: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        set_spec: str | None = None,
        token: str | None = None,
    ) -> Response:
        """The answer to one ListRecords request, not yet read (see :meth:`read_page`): a thread
        can ask for the next page while another reads this one."""
        if token is not None:
            kw = {"resumptionToken": token}
            validation.validate(validation.ResumptionValidationSpec.ListRecords, kw)
        else:
            kw = {"metadataPrefix": metadata_prefix}
            if from_:
                kw["from_"] = from_
            if until:
                kw["until"] = until
            if set_spec:
                kw["set"] = set_spec
            validation.validateArguments("ListRecords", kw)
            if "from_" in kw:  # datestamps go out already in the partner's granularity
                kw["from"] = kw.pop("from_")
        return self.transport.get({"verb": "ListRecords", **kw})

    def read_page(self, response: Response) -> Page:
        """The ListRecords page of an answer :meth:`request_page` got: its records, token and
        repairs; raises HarvestError for an OAI-PMH error or XML that cannot be read."""
        self.repairs = []
        self._answered.response = response
        try:
            tree = self.makeRequestErrorHandling(verb="ListRecords")
        finally:
            self._answered.response = None
        return self._page(tree)

    def _page(self, tree: etree._Element) -> Page:
        container = tree.find(_Q + "ListRecords")
        page = Page(
            response_date=normalize_datestamp(tree.findtext(_Q + "responseDate")),
            records=[],
            token=None,
            token_element=False,
            repairs=list(self.repairs),
        )
        if container is None:
            raise HarvestError(f"{self.transport.base_url} answered ListRecords without a <ListRecords> element")
        for node in container.iterchildren(_Q + "record"):
            # One pass over the record's children and one over its header's, taking the first
            # of each as find() and findtext() would: six path look-ups a record were half of
            # reading a page.
            header_node = metadata = None
            about = False
            for child in node:
                tag = child.tag
                if tag == _HEADER:
                    if header_node is None:
                        header_node = child
                elif tag == _METADATA:
                    if metadata is None:
                        metadata = child
                elif tag == _ABOUT:
                    about = True
            identifier = raw_stamp = None
            set_specs = []
            if header_node is not None:
                for child in header_node:
                    tag = child.tag
                    if tag == _TAG_IDENTIFIER:
                        if identifier is None:
                            identifier = child.text or ""
                    elif tag == _TAG_DATESTAMP:
                        if raw_stamp is None:
                            raw_stamp = child.text or ""
                    elif tag == _TAG_SET_SPEC:
                        set_specs.append((child.text or "").strip())
            identifier = (identifier or "").strip()
            if not identifier:
                page.problems.append("a record without a header identifier was skipped")
                continue
            raw_stamp = (raw_stamp or "").strip()
            stamp = normalize_datestamp(raw_stamp)
            if raw_stamp and stamp is None:
                page.repairs.append(f"{identifier}: unreadable datestamp {raw_stamp!r} ignored")
            header = Header(
                identifier=identifier,
                datestamp=stamp,
                set_specs=tuple(dict.fromkeys(set_specs)),
                deleted=header_node.get("status") == "deleted",
            )
            header.provenance = _provenance(node) if about else ()
            payload = None
            if metadata is not None:
                payload = next((c for c in metadata if isinstance(c.tag, str)), None)
            page.records.append((header, payload))
        token_node = container.find(_Q + "resumptionToken")
        if token_node is not None:
            page.token_element = True
            token = (token_node.text or "").strip()
            page.token = token or None
            size = token_node.get("completeListSize")
            page.complete_list_size = int(size) if size and size.isdigit() else None
        return page


_PROV = "{http://www.openarchives.org/OAI/2.0/provenance}"


def _provenance(record: etree._Element) -> tuple[tuple[dict, ...], ...]:
    """The chains of originDescriptions in a record's <about> provenance containers."""
    chains = []
    for about in record.iterchildren(_Q + "about"):
        for container in about.iterchildren(_PROV + "provenance"):
            chain, node = [], container.find(_PROV + "originDescription")
            while node is not None and len(chain) < 50:
                chain.append({
                    "baseURL": (node.findtext(_PROV + "baseURL") or "").strip(),
                    "identifier": (node.findtext(_PROV + "identifier") or "").strip(),
                    "datestamp": (node.findtext(_PROV + "datestamp") or "").strip(),
                    "metadataNamespace": (node.findtext(_PROV + "metadataNamespace") or "").strip(),
                    "harvestDate": (node.get("harvestDate") or "").strip(),
                    "altered": (node.get("altered") or "").strip() in ("true", "1"),
                })
                node = node.find(_PROV + "originDescription")
            if chain:
                chains.append(tuple(chain))
    return tuple(chains)


def _oai_error(code: str, message: str) -> HarvestError:
    if code not in _ERROR_CODES:
        return HarvestError(f"the partner answered with an unknown OAI-PMH error {code!r}: {message or '(no text)'}", code=code)
    hints = {
        "badResumptionToken": "the resumption token expired or is invalid",
        "cannotDisseminateFormat": "the partner does not offer this metadata format; see 'sources add --prefix'",
        "noSetHierarchy": "the partner has no sets; harvest without --set",
        "badArgument": "the partner refused the request's arguments",
    }
    detail = message or hints.get(code, "")
    return HarvestError(f"the partner answered OAI-PMH error {code}" + (f": {detail}" if detail else ""), code=code)
