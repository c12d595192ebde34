"""Harvesting in a network of hubs: echoes, origins, distances and readable ids.

Hubs harvest each other, so a record may come back to the hub it started from (an
echo), reach a hub by two paths, or pass through several hubs before arriving. The
OAI-PMH provenance a partner publishes with a record (the chains of
``originDescription``s in its ``<about>``, read by the client) tells which:

- a record whose every chain passes through this hub is an echo and is never stored;
  chains through this hub are dropped from one that also arrived by another path;
- the *origin* of a record is the identifier at the far end of its shortest chain (the
  partner's own identifier when it published no chain: it is then the origin), and
  the same origin reached through two partners is one resource;
- the *distance* is the number of hubs between the origin and us (0: the partner is the
  origin). The value policy (``VALUE_POLICY``) uses it: among partners, the values of
  the one nearest the origin win, and a record stored here by a person wins over all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["Hub", "VALUE_POLICY", "origin_of", "distance", "readable_ids", "namespace_label"]

VALUE_POLICY = (
    "A record stored here by a person (added, imported, edited) keeps its values: partners' copies of it are "
    "merged into it as further providers and never overwrite it. Among partners, the values of the one nearest "
    "to the record's origin win (the origin itself first, then a hub that harvested it from the origin, ...); "
    "between partners at the same distance, the first one that provided the record stays. Deleting a record "
    "at its origin deletes it here once no other partner provides it."
)

_OAI_ID = re.compile(r"^oai:([A-Za-z0-9][A-Za-z0-9.\-]*):(.+)$", re.S)
_SLUG_BAD = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Hub:
    """This repository as the network sees it: its identifier namespace and feed addresses."""

    namespace: str
    oai_urls: frozenset[str] = frozenset()

    def is_here(self, description: dict) -> bool:
        """True when an originDescription names this hub (its identifiers or its feed)."""
        identifier = description.get("identifier") or ""
        if identifier.startswith(f"oai:{self.namespace}:"):
            return True
        return (description.get("baseURL") or "").rstrip("/") in self.oai_urls

    def split(self, chains: Sequence[Sequence[dict]]) -> tuple[list[list[dict]], bool]:
        """(the chains that do not pass through this hub, whether the record is an echo)."""
        kept = [list(chain) for chain in chains if not any(self.is_here(d) for d in chain)]
        return kept, bool(chains) and not kept


def origin_of(identifier: str, chains: Sequence[Sequence[dict]]) -> str:
    """The record's identifier at its origin: the far end of its shortest chain, else its own."""
    if not chains:
        return identifier
    shortest = min(chains, key=len)
    return shortest[-1].get("identifier") or identifier


def distance(chains: Sequence[Sequence[dict]] | None) -> int:
    """Hubs between the origin and the partner (0: the partner is the origin)."""
    return min((len(chain) for chain in chains), default=0) if chains else 0


def namespace_label(namespace: str) -> str:
    """A short readable name for an identifier namespace (``zenodo.org`` -> ``zenodo``)."""
    labels = namespace.lower().split(".")
    if labels[0].startswith("hub-") or len(labels) == 1:
        return labels[0]
    return "-".join(labels[:-1])


def readable_ids(origin_identifier: str, fallback: str = "record") -> Iterable[str]:
    """Ids a harvested record may take, preferred first: the origin's own id, then the same
    qualified by the origin's namespace, then numbered. Never another repository's OAI identifier."""
    m = _OAI_ID.match(origin_identifier)
    namespace, local = (m.group(1), unquote(m.group(2))) if m else ("", origin_identifier)
    label = namespace_label(namespace) if namespace else ""
    if "://" in local and " " not in local and len(local) <= 500:
        yield local  # a URI (a DOI, a handle, a web page) is a global id of its own
    slug = _SLUG_BAD.sub("-", local).strip("-._")[:200] or fallback
    if not slug[0].isalnum():
        slug = f"{fallback}-{slug}"
    if not any(ch.isalpha() for ch in slug) and label:
        slug = f"{label}-{slug}"  # '12345' alone says nothing; 'zenodo-12345' does
    yield slug
    qualified = f"{slug}--{label}" if label else f"{slug}--harvested"
    yield qualified
    n = 2
    while True:
        yield f"{qualified}-{n}"
        n += 1
