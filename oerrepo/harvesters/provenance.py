"""Where stored records came from: the provenance of harvested records, read for other parts
(the record's ``provenance``, a search facet, linked data)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Provenance, Resource
from ..store import harvest as sql

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

__all__ = ["HarvestProvenance", "ProvenanceReader", "provenance_of_row"]


@dataclass(frozen=True)
class HarvestProvenance(Provenance):
    """Provenance of a harvested record, with the harvest's flags on it (licence problems, fields left out)."""

    deleted: bool = False
    role: str | None = None  # "primary": this source's data is the record; "duplicate": merged into it
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.update(deleted=self.deleted, role=self.role, notes=list(self.notes))
        return out


class ProvenanceReader:
    """Where stored records came from: one entry per source and OAI identifier (live ones first)."""

    def __init__(self, store: Store):
        self.store = store

    def of(self, resource_id: str) -> list[Provenance]:
        """The provenance of one record."""
        return [provenance_of_row(row) for row in sql.provenance_of(self.store, resource_id)]

    def many(self, resource_ids: Iterable[str]) -> dict[str, list[Provenance]]:
        """Provenance of many records at once (one query per 500 ids), for listings."""
        found = sql.provenance_for(self.store, list(resource_ids))
        return {rid: [provenance_of_row(r) for r in rows] for rid, rows in found.items()}

    def attach(self, resource: Resource) -> Resource:
        """The resource with its provenance filled in."""
        resource.provenance = tuple(self.of(resource.id))
        return resource


def provenance_of_row(row: dict) -> HarvestProvenance:
    """The provenance a stored provenance row (see :class:`oerrepo.store.harvest.ProvenanceRow`) gives a record."""
    return HarvestProvenance(
        source=row["source"],
        oai_identifier=row["oai_identifier"],
        datestamp=row["datestamp"],
        set_specs=tuple(row["set_specs"]),
        metadata_prefix=row["metadata_prefix"],
        harvested_at=row["harvested_at"],
        deleted=row["deleted"],
        role=row["role"],
        notes=tuple(row["notes"]),
    )
