"""The full-record XML format shared by the feed (writing) and the harvester (reading).

Prefix ``oerrepo``, namespace ``urn:oerrepo:record:1.0``, XML Schema
``schemas/oerrepo-record.xsd``: every property of the stored JSON record
(``schemas/resource.schema.json``) as its own element, so that hubs harvesting each
other lose nothing. :mod:`oerrepo.oai.fullrecord` writes it,
:mod:`oerrepo.harvesters.fullrecord` reads it.
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["FULL_NS", "FULL_PREFIX", "SCHEMA_FILE", "PROPERTY_KINDS", "schema_bytes"]

FULL_PREFIX = "oerrepo"
FULL_NS = "urn:oerrepo:record:1.0"
SCHEMA_FILE = "oerrepo-record.xsd"

# How each property is written, in the order of the XML Schema's sequence: text (one value),
# lang (a language map: one element per language), list (strings), bool, objects (JSON objects
# in the schema's generic form).
PROPERTY_KINDS: dict[str, str] = {
    "id": "text", "type": "list", "name": "lang", "description": "lang", "inLanguage": "list",
    "keywords": "list", "about": "objects", "sdg": "list", "learningResourceType": "list",
    "educationalLevel": "list", "audience": "list", "typicalAgeRange": "text", "license": "text",
    "conditionsOfAccess": "text", "isAccessibleForFree": "bool", "creator": "objects",
    "contributor": "objects", "publisher": "objects", "funder": "objects", "funding": "objects",
    "dateCreated": "text", "datePublished": "text", "dateModified": "text", "url": "text",
    "identifier": "list", "isBasedOn": "objects", "isPartOf": "objects", "hasPart": "objects",
    "sameAs": "list", "encoding": "objects", "image": "text", "sets": "list",
}


def schema_bytes() -> bytes:
    """The format's XML Schema, as shipped in the package."""
    return files("oerrepo.schemas").joinpath(SCHEMA_FILE).read_bytes()
