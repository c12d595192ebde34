"""The OAI-PMH provenance container written in a re-published record's ``<about>``.

A hub that serves a record it harvested says where it came from, in the standard
``http://www.openarchives.org/OAI/2.0/provenance`` container: an ``originDescription``
for the partner it was harvested from (that partner's baseURL, its identifier and
datestamp of the record, the namespace of the format read, when, and whether the
metadata was altered), nesting the descriptions that partner published in turn, back
to the origin. A record provided by several partners gets one ``<about>`` per path.

A chain is a list of descriptions, the nearest first; each description is a dict with
``baseURL``, ``identifier``, ``datestamp``, ``metadataNamespace``, ``harvestDate`` and
``altered``. The provenance row of a harvested record keeps, in ``origin``, the
namespace it was read in and the chains its partner published (``{"namespace": ...,
"chains": [...]}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .render import attr, esc

__all__ = ["PROVENANCE_NS", "FRIENDS_NS", "about_elements", "describe", "chains_of", "harvested_namespace"]

PROVENANCE_NS = "http://www.openarchives.org/OAI/2.0/provenance"
FRIENDS_NS = "http://www.openarchives.org/OAI/2.0/friends/"
_START = (
    f'<about><provenance xmlns="{PROVENANCE_NS}" '
    f'xsi:schemaLocation="{PROVENANCE_NS} http://www.openarchives.org/OAI/2.0/provenance.xsd">'
)
# provenance.xsd's UTCdatetimeType is a date or a dateTime: anything else is replaced by the
# harvest date (a partner's odd datestamp must not make our response invalid).
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?$")
_MAX_DEPTH = 20  # a longer chain is cut: nobody re-publishes through twenty hubs on purpose

# Namespaces of the formats a provenance row may name by prefix only (rows from older harvests).
PREFIX_NAMESPACES = {
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "lom": "http://ltsc.ieee.org/xsd/LOM",
    "mods": "http://www.loc.gov/mods/v3",
    "oai_datacite": "http://schema.datacite.org/oai/oai-1.1/",
    "datacite": "http://datacite.org/schema/kernel-4",
    "oerrepo": "urn:oerrepo:record:1.0",
}


def harvested_namespace(row: Mapping) -> str:
    """The namespace of the format a provenance row's record was read in."""
    origin = row.get("origin") or {}
    return origin.get("namespace") or PREFIX_NAMESPACES.get(row.get("metadata_prefix") or "", "")


def describe(row: Mapping, partner_url: str, *, altered: bool) -> dict:
    """The description of one provenance row: the hop from the partner to this hub."""
    namespace = harvested_namespace(row)
    return {
        "baseURL": partner_url,
        "identifier": row["oai_identifier"],
        "datestamp": row.get("datestamp") or row["harvested_at"],
        "metadataNamespace": namespace or "urn:unknown",
        "harvestDate": row["harvested_at"],
        "altered": altered,
    }


def chains_of(row: Mapping, partner_url: str, *, altered: bool) -> list[list[dict]]:
    """Every chain of one provenance row, this hop first (one per path the partner knew)."""
    hop = describe(row, partner_url, altered=altered)
    upstream = (row.get("origin") or {}).get("chains") or [[]]
    return [[hop, *chain] for chain in upstream]


def _description(chain: Sequence[Mapping]) -> str:
    parts: list[str] = []
    for d in chain[:_MAX_DEPTH]:
        stamp = d.get("datestamp") or ""
        harvest = d.get("harvestDate") or ""
        if not _STAMP.match(harvest):
            harvest = "1970-01-01"
        if not _STAMP.match(stamp):
            stamp = harvest
        parts.append(
            f'<originDescription harvestDate="{attr(harvest)}" altered="{"true" if d.get("altered") else "false"}">'
            f"<baseURL>{esc(d.get('baseURL') or '')}</baseURL><identifier>{esc(d.get('identifier') or '')}</identifier>"
            f"<datestamp>{stamp}</datestamp>"
            f"<metadataNamespace>{esc(d.get('metadataNamespace') or '')}</metadataNamespace>"
        )
    parts.append("</originDescription>" * min(len(chain), _MAX_DEPTH))
    return "".join(parts)


def about_elements(chains: Iterable[Sequence[Mapping]]) -> str:
    """One ``<about>`` with a provenance container per chain."""
    return "".join(f"{_START}{_description(chain)}</provenance></about>" for chain in chains if chain)
