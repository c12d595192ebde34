"""The metadata formats we read, and the choice of the richest one a partner offers."""

from __future__ import annotations

from collections.abc import Sequence

from . import datacite, fullrecord, lom, mods, oai_dc
from .crosswalk import Reader

__all__ = ["READERS", "reader_for", "choose_format", "family_of", "PREFERENCE", "FAMILY_NAMESPACES"]

# Richest first: the full record (another oerrepo hub) carries every property; LOM carries the educational fields, DataCite and MODS rich bibliographic
# data with licences and identifiers, oai_dc is the floor every partner offers.
PREFERENCE: tuple[tuple[str, tuple[str, ...], Reader], ...] = (
    ("oerrepo", fullrecord.PREFIXES, fullrecord.read_full),
    ("lom", lom.PREFIXES, lom.read_lom),
    ("datacite", datacite.PREFIXES, datacite.read_datacite),
    ("mods", mods.PREFIXES, mods.read_mods),
    ("oai_dc", oai_dc.PREFIXES, oai_dc.read_oai_dc),
)
_NAMESPACES = {
    fullrecord.NAMESPACE: "oerrepo",
    "http://ltsc.ieee.org/xsd/lom": "lom",
    "http://ltsc.ieee.org/xsd/lomv1p0": "lom",
    "http://datacite.org/schema/kernel-4": "datacite",
    "http://datacite.org/schema/kernel-3": "datacite",
    "http://schema.datacite.org/oai/oai-1.0/": "datacite",
    "http://schema.datacite.org/oai/oai-1.1/": "datacite",
    "http://www.loc.gov/mods/v3": "mods",
    "http://www.openarchives.org/oai/2.0/oai_dc/": "oai_dc",
}
READERS: dict[str, Reader] = {name: read for name, _, read in PREFERENCE}
# The namespace each family is usually published in (named in the provenance of what we read).
FAMILY_NAMESPACES = {
    "oerrepo": fullrecord.NAMESPACE,
    "lom": "http://ltsc.ieee.org/xsd/LOM",
    "datacite": "http://datacite.org/schema/kernel-4",
    "mods": "http://www.loc.gov/mods/v3",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
}


def family_of(prefix: str, namespace: str | None = None) -> str | None:
    """Which of our crosswalks reads a format, by its namespace or its usual prefix."""
    if namespace:
        family = _NAMESPACES.get(namespace.strip().rstrip("/").lower()) or _NAMESPACES.get(
            namespace.strip().lower()
        )
        if family:
            return family
    for name, prefixes, _ in PREFERENCE:
        if prefix.lower() in prefixes:
            return name
    return None


def reader_for(prefix: str, namespace: str | None = None) -> Reader | None:
    """The crosswalk for a metadata prefix (None when we cannot read it)."""
    family = family_of(prefix, namespace)
    return READERS.get(family) if family else None


def choose_format(offered: Sequence[tuple[str, str, str]]) -> str | None:
    """The richest format among (prefix, schema, namespace) triples that we can read."""
    ranked = []
    order = [name for name, _, _ in PREFERENCE]
    for prefix, _schema, namespace in offered:
        family = family_of(prefix, namespace)
        if family:
            ranked.append((order.index(family), prefix))
    return min(ranked)[1] if ranked else None
