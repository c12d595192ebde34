"""One resource as a JSON-LD document in the AMB profile of schema.org / LRMI.

:func:`describe` is the single description of a resource we publish: the JSON-LD writer
prints it, and :mod:`oerrepo.linked.graph` walks it into triples for Turtle, N-Triples and
RDF/XML, so every serialisation states the same graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from ..model import Provenance, Resource
from .context import inline_context
from .terms import amb_level, concept_labels, resource_iri, role_name, safe_iri

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_AMB_ACCESS = "http://w3id.org/kim/conditionsOfAccess/"  # the form AMB's schema enumerates


def primary_language(data: dict) -> str:
    """The language of a record's metadata: its first language that has a title."""
    names = data.get("name") or {}
    for lang in data.get("inLanguage") or ():
        if lang in names:
            return lang
    return next(iter(names), "und")


def _concept(vocabulary: str, uri: str, iri: str | None = None) -> dict:
    node: dict[str, Any] = {"id": safe_iri(iri or uri), "type": "Concept"}
    labels = concept_labels(vocabulary, uri)
    if labels:
        node["prefLabel"] = dict(labels)
    return node


def _agent(agent: dict) -> dict:
    node: dict[str, Any] = {"type": agent["type"], "name": agent["name"]}
    if agent.get("id"):
        node["id"] = safe_iri(agent["id"])
    if agent.get("url"):
        node["url"] = safe_iri(agent["url"])
    if agent.get("affiliation"):
        node["affiliation"] = _agent(agent["affiliation"])
    return node


def _target(base_url: str, ident: str) -> str:
    return safe_iri(ident) if _URI.match(ident) and "/" in ident else resource_iri(base_url, ident)


def provenance_iri(p: Provenance) -> str:
    """The partner's OAI-PMH GetRecord URL of a harvested record (where we took it from)."""
    prefix = p.metadata_prefix or "oai_dc"
    sep = "&" if "?" in p.source else "?"
    return safe_iri(f"{p.source}{sep}verb=GetRecord&identifier={quote(p.oai_identifier, safe=':/')}&metadataPrefix={prefix}")


def describe(resource: Resource, base_url: str, *, context: bool = True, shared_context: bool = False) -> dict:
    """The resource as a compact JSON-LD document (AMB profile plus DCMI terms and SDGs).

    ``shared_context``: the ``@context`` shares its term definitions with other documents
    (see :func:`.context.inline_context`), for documents that are written and dropped.
    """
    data = resource.data
    lang = primary_language(data)
    iri = resource_iri(base_url, resource.id)
    doc: dict[str, Any] = {}
    if context:
        doc["@context"] = inline_context(None if lang == "und" else lang, copy_terms=not shared_context)
    doc["id"] = iri
    doc["type"] = list(data.get("type") or ["LearningResource"])
    names = data.get("name") or {}
    doc["name"] = _in_language(names, lang)
    doc["dct:title"] = dict(names)
    if data.get("description"):
        doc["description"] = _in_language(data["description"], lang)
        doc["dct:description"] = dict(data["description"])
    doc["dct:identifier"] = resource.id
    if data.get("inLanguage"):
        doc["inLanguage"] = list(data["inLanguage"])
        doc["dct:language"] = list(data["inLanguage"])
    if data.get("keywords"):
        doc["keywords"] = list(data["keywords"])
    if data.get("about"):
        doc["about"] = [_subject(s) for s in data["about"]]
    if data.get("sdg"):
        doc["sdg"] = [_concept("sdg", u) for u in data["sdg"]]
    if data.get("learningResourceType"):
        doc["learningResourceType"] = [_concept("learningResourceType", u) for u in data["learningResourceType"]]
    if data.get("educationalLevel"):
        doc["educationalLevel"] = [_level(u) for u in data["educationalLevel"]]
    if data.get("audience"):
        doc["audience"] = [_concept("audience", u) for u in data["audience"]]
        doc["educationalAudience"] = [
            {"type": "EducationalAudience", "educationalRole": role_name(u)} for u in data["audience"]
        ]
    if data.get("typicalAgeRange"):
        doc["typicalAgeRange"] = data["typicalAgeRange"]
    if data.get("license"):
        doc["license"] = {"id": safe_iri(data["license"]), "type": "dct:LicenseDocument"}
        doc["dct:license"] = safe_iri(data["license"])
    if data.get("conditionsOfAccess"):
        uri = data["conditionsOfAccess"]
        tail = uri.rstrip("/").rsplit("/", 1)[-1]
        doc["conditionsOfAccess"] = _concept("conditionsOfAccess", uri, _AMB_ACCESS + tail)
    if "isAccessibleForFree" in data:
        doc["isAccessibleForFree"] = bool(data["isAccessibleForFree"])
    for prop in ("creator", "contributor", "publisher", "funder"):
        if data.get(prop):
            doc[prop] = [_agent(a) for a in data[prop]]
    creators = [safe_iri(a["id"]) for a in data.get("creator", ()) if a.get("id")]
    if creators:
        doc["dct:creator"] = creators
    if data.get("funding"):
        doc["funding"] = [_grant(g) for g in data["funding"]]
    for prop, dct in (("dateCreated", None), ("datePublished", "dct:issued"), ("dateModified", "dct:modified")):
        if data.get(prop):
            doc[prop] = data[prop]
            if dct:
                doc[dct] = data[prop]
    if data.get("url"):
        doc["url"] = safe_iri(data["url"])
    if data.get("identifier"):
        doc["identifier"] = [safe_iri(i) for i in data["identifier"]]
    same = [safe_iri(s) for s in data.get("sameAs", ())]
    if _URI.match(resource.id) and resource.id.startswith(("http://", "https://")):
        same.insert(0, safe_iri(resource.id))  # the record's own URI stays its identity elsewhere
    if same:
        doc["sameAs"] = list(dict.fromkeys(same))
    for prop in ("isBasedOn", "isPartOf", "hasPart"):
        if data.get(prop):
            doc[prop] = [_relation(base_url, r) for r in data[prop]]
    if data.get("encoding"):
        doc["encoding"] = [_media(e) for e in data["encoding"]]
    if data.get("image"):
        doc["image"] = safe_iri(data["image"])
    if data.get("sets"):
        doc["sets"] = list(data["sets"])
    if resource.provenance:
        pages = [provenance_iri(p) for p in resource.provenance]
        doc["mainEntityOfPage"] = [
            {"id": page, "type": "WebContent", **({"dateModified": p.datestamp} if p.datestamp else {})}
            for page, p in zip(pages, resource.provenance)
        ]
        doc["prov:wasDerivedFrom"] = pages
    return doc


def _in_language(texts: dict, lang: str) -> Any:
    if lang in texts:
        return texts[lang] if lang != "und" else texts[lang]
    first_lang, text = next(iter(texts.items()))
    return text if first_lang == "und" else {"@value": text, "@language": first_lang}


def _subject(subject: dict) -> dict:
    node: dict[str, Any] = {"type": "Concept"}
    if subject.get("id"):
        node["id"] = safe_iri(subject["id"])
    if subject.get("prefLabel"):
        node["prefLabel"] = dict(subject["prefLabel"])
    return node


def _level(uri: str) -> dict:
    kim = amb_level(uri)
    node = _concept("educationalLevel", uri, kim)
    if kim:
        node["skos:exactMatch"] = {"id": uri}
    return node


def _grant(grant: dict) -> dict:
    node: dict[str, Any] = {"type": "Grant", "name": grant["name"]}
    if grant.get("identifier"):
        node["identifier"] = grant["identifier"]
    if grant.get("url"):
        node["url"] = safe_iri(grant["url"])
    if grant.get("funder"):
        node["funder"] = _agent(grant["funder"])
    return node


def _relation(base_url: str, relation: dict) -> dict:
    node: dict[str, Any] = {"id": _target(base_url, relation["id"])}
    if relation.get("name"):
        node["name"] = relation["name"]
    return node


def _media(encoding: dict) -> dict:
    node: dict[str, Any] = {"type": "MediaObject", "contentUrl": safe_iri(encoding["contentUrl"])}
    for key in ("encodingFormat", "contentSize", "name"):
        if encoding.get(key):
            node[key] = encoding[key]
    return node


def context_language(document: dict) -> str | None:
    """The default language a document's context sets (None when it sets none)."""
    for item in document.get("@context") or ():
        if isinstance(item, dict) and item.get("@language"):
            return item["@language"]
    return None


def iter_documents(resources: Iterable[Resource], base_url: str) -> Iterable[dict]:
    """Documents of many resources, one at a time."""
    for res in resources:
        yield describe(res, base_url)
