"""The DCAT description of the catalogue: a dcat:Catalog, the dump distributions and the
OAI-PMH endpoint as a dcat:DataService, conformant to the DCAT-AP 3.0.1 shapes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .serialize import FORMATS
from .terms import DCAT, DCT, FOAF, VCARD, catalog_iri

IANA = "https://www.iana.org/assignments/media-types/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
_FILE_TYPES = {"jsonld": "JSON_LD", "turtle": "RDF_TURTLE", "nt": "RDF_N_TRIPLES", "rdfxml": "RDF_XML"}
_FORMAT_TITLES = {"jsonld": "JSON-LD (AMB profile of schema.org / LRMI)", "turtle": "Turtle",
                  "nt": "N-Triples", "rdfxml": "RDF/XML"}
OAI_PMH = "http://www.openarchives.org/OAI/2.0/"
DEFAULT_METADATA_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"


def export_url(base_url: str, fmt: str) -> str:
    """The URL where the web service offers the whole catalogue in one format."""
    return f"{base_url.rstrip('/')}/export.{FORMATS[fmt][1]}"


@dataclass(frozen=True)
class CatalogFacts:
    """What the DCAT description says about the repository."""

    base_url: str
    title: str
    description: str
    publisher: str
    metadata_license: str
    modified: str | None
    languages: Sequence[str]
    keywords: Sequence[str]
    email: str | None = None
    resources: int = 0


def catalog_graph(facts: CatalogFacts):
    """The catalogue as an rdflib Graph (kept inside the Repository)."""
    from rdflib import RDF, BNode, Graph, Literal, URIRef
    from rdflib.namespace import XSD

    from .terms import PREFIXES

    g = Graph(bind_namespaces="core")
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    D, T, F, V = (lambda ns: (lambda local: URIRef(ns + local)))(DCAT), (lambda local: URIRef(DCT + local)), \
        (lambda local: URIRef(FOAF + local)), (lambda local: URIRef(VCARD + local))
    base = facts.base_url.rstrip("/")
    catalog = URIRef(catalog_iri(base))
    dataset = URIRef(base + "/catalog#resources")
    service = URIRef(base + "/oai#service")
    publisher = URIRef(base + "/#publisher")
    license_doc = URIRef(facts.metadata_license)
    en = "en"

    g.add((license_doc, RDF.type, T("LicenseDocument")))
    g.add((publisher, RDF.type, F("Agent")))
    g.add((publisher, F("name"), Literal(facts.publisher, lang=en)))
    contact = None
    if facts.email:
        contact = BNode()
        g.add((contact, RDF.type, V("Kind")))
        g.add((contact, V("fn"), Literal(facts.publisher)))
        g.add((contact, V("hasEmail"), URIRef("mailto:" + facts.email)))

    g.add((catalog, RDF.type, D("Catalog")))
    g.add((catalog, T("title"), Literal(facts.title, lang=en)))
    g.add((catalog, T("description"), Literal(facts.description, lang=en)))
    g.add((catalog, T("publisher"), publisher))
    g.add((catalog, T("license"), license_doc))
    g.add((catalog, F("homepage"), URIRef(base + "/")))
    g.add((URIRef(base + "/"), RDF.type, F("Document")))
    g.add((catalog, D("dataset"), dataset))
    g.add((catalog, D("service"), service))
    if facts.modified:
        g.add((catalog, T("modified"), Literal(facts.modified, datatype=XSD.dateTime)))

    g.add((dataset, RDF.type, D("Dataset")))
    g.add((dataset, T("title"), Literal(f"{facts.title}: all resources", lang=en)))
    g.add((dataset, T("description"), Literal(
        f"Metadata of the {facts.resources} open educational resources in {facts.title}, as schema.org / LRMI "
        "linked data (AMB profile), with licences, SDGs and educational levels.", lang=en)))
    g.add((dataset, T("publisher"), publisher))
    g.add((dataset, T("identifier"), Literal(str(dataset))))
    if contact is not None:
        g.add((dataset, D("contactPoint"), contact))
    if facts.modified:
        g.add((dataset, T("modified"), Literal(facts.modified, datatype=XSD.dateTime)))
    for word in facts.keywords:
        g.add((dataset, D("keyword"), Literal(word, lang=en)))
    for fmt, (media_type, _ext) in FORMATS.items():
        dist = URIRef(f"{base}/catalog#dump-{fmt}")
        url = URIRef(export_url(base, fmt))
        g.add((dataset, D("distribution"), dist))
        g.add((dist, RDF.type, D("Distribution")))
        g.add((dist, T("title"), Literal(f"All resources as {_FORMAT_TITLES[fmt]}", lang=en)))
        g.add((dist, D("accessURL"), url))
        g.add((dist, D("downloadURL"), url))
        g.add((dist, D("mediaType"), URIRef(IANA + media_type)))
        g.add((dist, T("format"), URIRef(EU_FILE_TYPE + _FILE_TYPES[fmt])))
        g.add((dist, T("license"), license_doc))
        g.add((URIRef(IANA + media_type), RDF.type, T("MediaType")))
        g.add((URIRef(EU_FILE_TYPE + _FILE_TYPES[fmt]), RDF.type, T("MediaTypeOrExtent")))
    oai = URIRef(base + "/oai")
    g.add((dataset, D("distribution"), URIRef(base + "/catalog#oai-pmh")))
    dist = URIRef(base + "/catalog#oai-pmh")
    g.add((dist, RDF.type, D("Distribution")))
    g.add((dist, T("title"), Literal("Incremental harvesting by OAI-PMH (oai_dc)", lang=en)))
    g.add((dist, D("accessURL"), oai))
    g.add((dist, D("accessService"), service))
    g.add((dist, T("license"), license_doc))

    g.add((service, RDF.type, D("DataService")))
    g.add((service, T("title"), Literal(f"{facts.title}: OAI-PMH endpoint", lang=en)))
    g.add((service, T("description"), Literal(
        "OAI-PMH 2.0 interface for incremental harvesting of the catalogue (Dublin Core and LOM).", lang=en)))
    g.add((service, D("endpointURL"), oai))
    g.add((service, D("endpointDescription"), URIRef(base + "/oai?verb=Identify")))
    g.add((service, T("conformsTo"), URIRef(OAI_PMH)))
    g.add((URIRef(OAI_PMH), RDF.type, T("Standard")))
    g.add((service, D("servesDataset"), dataset))
    g.add((service, T("publisher"), publisher))
    g.add((service, T("license"), license_doc))
    return g
