"""Namespaces, IRIs and the concept labels the linked-data graph uses."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import quote

from .. import vocabularies

SCHEMA = "http://schema.org/"  # the namespace AMB and most OER aggregators read (not https)
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OER = "https://w3id.org/oerrepo/terms#"
VCARD = "http://www.w3.org/2006/vcard/ns#"

PREFIXES: dict[str, str] = {
    "schema": SCHEMA,
    "dct": DCT,
    "dcat": DCAT,
    "prov": PROV,
    "skos": SKOS,
    "foaf": FOAF,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "oer": OER,
    "vcard": VCARD,
}

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
AMB_EDUCATIONAL_LEVEL = "https://w3id.org/kim/educationalLevel/"

# Characters N-Triples, Turtle and RDF/XML refuse inside an IRI; records are checked to
# hold no whitespace, but a partner's URL may still carry braces or quotes.
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def safe_iri(text: str) -> str:
    """Percent-encode the few characters that may not appear in an IRI."""
    if _IRI_UNSAFE.search(text) is None:
        return text
    return _IRI_UNSAFE.sub(lambda m: quote(m.group(0), safe=""), text)


def resource_iri(base_url: str, resource_id: str) -> str:
    """The stable IRI of a stored resource: ``<base_url>/resources/<percent-encoded id>``."""
    return f"{base_url.rstrip('/')}/resources/{quote(resource_id, safe='')}"


def catalog_iri(base_url: str) -> str:
    """The IRI of the DCAT description of the whole catalogue."""
    return f"{base_url.rstrip('/')}/catalog"


@cache
def concept_labels(vocabulary: str, uri: str) -> tuple[tuple[str, str], ...]:
    """The concept's preferred labels as (language, label) pairs, in a stable order."""
    return tuple(sorted(vocabularies.labels(vocabulary, uri).items()))


@cache
def amb_level(uri: str) -> str | None:
    """The KIM educationalLevel IRI (level_N) AMB requires for an ISCED-2011 level, if any."""
    for concept in vocabularies.concepts("educationalLevel"):
        if concept.uri == uri:
            return next((m for m in concept.exact_match if m.startswith(AMB_EDUCATIONAL_LEVEL)), None)
    return None


@cache
def role_name(uri: str) -> str:
    """The LRMI educationalRole text ('teacher') of an audience concept."""
    try:
        return vocabularies.short_form("audience", uri)
    except Exception:  # an unknown concept keeps its last path segment
        return uri.rstrip("/").rsplit("/", 1)[-1]
