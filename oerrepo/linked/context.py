"""The JSON-LD contexts: AMB's published context, our additions to it, and our native context.

Every resource document we publish uses ``[AMB_CONTEXT_URL, {...}]`` as its context, the form
the AMB profile (and so OERSI) requires; the second object sets the metadata language and
defines the few terms AMB leaves out (DCMI terms, SDGs, plain-string dates). ``TERMS`` is the
one table both the JSON-LD writer (through :func:`inline_context`) and the triple walker in
:mod:`oerrepo.linked.graph` read, so the JSON-LD and the other serialisations cannot drift.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

from .terms import DCT, OER, PROV, SCHEMA, SKOS, XSD

AMB_CONTEXT_URL = "https://w3id.org/kim/amb/context.jsonld"
NATIVE_CONTEXT_URL = "https://w3id.org/oerrepo/context.jsonld"

# The terms of AMB's context (https://w3id.org/kim/amb/context.jsonld), so documents can be
# read offline: a parser must never fetch a remote context on our behalf.
AMB_CONTEXT: dict[str, Any] = {
    "id": "@id",
    "type": "@type",
    "@vocab": SCHEMA,
    "skos": SKOS,
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "inScheme": "skos:inScheme",
    "Concept": "skos:Concept",
}

# How a key of our documents becomes a predicate and how its string values are read:
# "@id" -> IRI, "plain" -> string without language, "lang" -> string in the document's
# language (AMB's default), "map" -> a language map. Keys not listed are schema.org terms
# read as "lang" strings, exactly as AMB's @vocab would read them.
TERMS: dict[str, tuple[str, str]] = {
    "prefLabel": (SKOS + "prefLabel", "map"),
    "skos:exactMatch": (SKOS + "exactMatch", "@id"),
    "inLanguage": (SCHEMA + "inLanguage", "plain"),
    "typicalAgeRange": (SCHEMA + "typicalAgeRange", "plain"),
    "dateCreated": (SCHEMA + "dateCreated", "plain"),
    "datePublished": (SCHEMA + "datePublished", "plain"),
    "dateModified": (SCHEMA + "dateModified", "plain"),
    "encodingFormat": (SCHEMA + "encodingFormat", "plain"),
    "contentSize": (SCHEMA + "contentSize", "plain"),
    "contentUrl": (SCHEMA + "contentUrl", "@id"),
    "image": (SCHEMA + "image", "@id"),
    "url": (SCHEMA + "url", "@id"),
    "sameAs": (SCHEMA + "sameAs", "@id"),
    "identifier": (SCHEMA + "identifier", "@id"),
    "educationalRole": (SCHEMA + "educationalRole", "plain"),
    "educationalAudience": (SCHEMA + "audience", "lang"),
    "sdg": (DCT + "subject", "lang"),
    "sets": (OER + "set", "plain"),
    "dct:title": (DCT + "title", "map"),
    "dct:description": (DCT + "description", "map"),
    "dct:license": (DCT + "license", "@id"),
    "dct:language": (DCT + "language", "plain"),
    "dct:creator": (DCT + "creator", "@id"),
    "dct:issued": (DCT + "issued", "plain"),
    "dct:modified": (DCT + "modified", "plain"),
    "dct:identifier": (DCT + "identifier", "plain"),
    "prov:wasDerivedFrom": (PROV + "wasDerivedFrom", "@id"),
}

# Terms read differently inside nodes of one type (JSON-LD 1.1 type-scoped contexts):
# a person's or organisation's name has no language; a grant's identifier is a code.
SCOPED: dict[str, dict[str, tuple[str, str]]] = {
    "Person": {"name": (SCHEMA + "name", "plain")},
    "Organization": {"name": (SCHEMA + "name", "plain")},
    "Grant": {"identifier": (SCHEMA + "identifier", "plain")},
}

PREFIXES = {"dct": DCT, "prov": PROV, "oer": OER, "xsd": XSD}


def _definition(iri: str, kind: str) -> dict[str, Any]:
    compact = iri
    for prefix, ns in {**PREFIXES, "skos": SKOS}.items():
        if iri.startswith(ns):
            compact = f"{prefix}:{iri[len(ns):]}"
    if iri.startswith(SCHEMA):
        compact = "schema:" + iri[len(SCHEMA):]
    out: dict[str, Any] = {"@id": compact}
    if kind == "@id":
        out["@type"] = "@id"
    elif kind == "plain":
        out["@language"] = None
    elif kind == "map":
        out["@container"] = "@language"
    return out


@lru_cache(maxsize=1)
def _extras() -> dict[str, Any]:
    extras: dict[str, Any] = {"schema": SCHEMA, **PREFIXES}
    for key, (iri, kind) in TERMS.items():
        if key in AMB_CONTEXT:
            continue
        extras[key] = _definition(iri, kind)
    for type_name, scoped in SCOPED.items():
        extras[type_name] = {
            "@id": "schema:" + type_name,
            "@context": {key: _definition(iri, kind) for key, (iri, kind) in scoped.items()},
        }
    return extras


def inline_context(language: str | None, *, copy_terms: bool = True) -> list:
    """The ``@context`` of one resource document: AMB's URL and our additions.

    ``copy_terms=False`` shares the term definitions between documents instead of copying
    them (for documents written out and dropped, as an export does, where a deep copy per
    document cost a third of the time); nothing may change them then.
    """
    extras = {"@language": language} if language else {}
    extras.update(copy.deepcopy(_extras()) if copy_terms else _extras())
    return [AMB_CONTEXT_URL, extras]


@lru_cache(maxsize=1)
def native_context() -> dict:
    """Our native context (``schemas/context.jsonld``): the stored JSON read as JSON-LD."""
    text = files("oerrepo.schemas").joinpath("context.jsonld").read_text(encoding="utf-8")
    return json.loads(text)


def offline(document: Any) -> Any:
    """Replace the remote contexts we know (AMB's, ours) by their terms, so nothing is fetched."""
    if isinstance(document, list):
        return [offline(item) for item in document]
    if not isinstance(document, dict):
        return document
    out = {}
    for key, value in document.items():
        if key == "@context":
            out[key] = _offline_context(value)
        else:
            out[key] = offline(value)
    return out


def _offline_context(value: Any) -> Any:
    if isinstance(value, list):
        return [_offline_context(v) for v in value]
    if isinstance(value, str):
        if value.rstrip("/") in (AMB_CONTEXT_URL, "http" + AMB_CONTEXT_URL[5:]):
            return dict(AMB_CONTEXT)
        if value == NATIVE_CONTEXT_URL:
            return native_context()["@context"]
    return value
