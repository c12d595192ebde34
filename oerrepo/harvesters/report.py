"""What a harvest did, per source: counts, and the records that need a person's attention."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SourceReport", "HarvestReport", "DETAIL_LIMIT"]

# Detail lists stop growing here (counts go on), so a harvest of millions of records
# keeps its memory flat.
DETAIL_LIMIT = 1000


class _Capped(list):
    """A list of details that stops keeping items after DETAIL_LIMIT but counts them all."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def append(self, item: Any) -> None:  # type: ignore[override]
        self.total += 1
        if len(self) < DETAIL_LIMIT:
            super().append(item)


@dataclass
class SourceReport:
    """The outcome of harvesting one source."""

    source: str
    url: str
    metadata_prefix: str | None = None
    set_specs: tuple[str, ...] = ()
    from_date: str | None = None
    resumed: bool = False
    complete: bool = False
    error: str | None = None
    error_code: str | None = None
    pages: int = 0
    records: int = 0
    new: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    unlisted: int = 0  # records a complete list no longer held, handled as deletions
    echoed: int = 0  # this hub's own records coming back through a partner: never stored
    merged: _Capped = field(default_factory=_Capped)  # (oai identifier, resource id, why)
    rejected: _Capped = field(default_factory=_Capped)  # (oai identifier, reason)
    license_problems: _Capped = field(default_factory=_Capped)  # (oai identifier, problem, kept)
    repairs: _Capped = field(default_factory=_Capped)  # (where, what)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < DETAIL_LIMIT:
            self.notes.append(text)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "url": self.url,
            "metadataPrefix": self.metadata_prefix,
            "sets": list(self.set_specs),
            "from": self.from_date,
            "resumed": self.resumed,
            "complete": self.complete,
            "error": self.error,
            "errorCode": self.error_code,
            "pages": self.pages,
            "records": self.records,
            "new": self.new,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "unlisted": self.unlisted,
            "echoed": self.echoed,
            "merged": self.merged.total,
            "rejected": self.rejected.total,
            "licenseProblems": self.license_problems.total,
            "repairs": self.repairs.total,
            "mergedRecords": [{"oaiIdentifier": o, "id": r, "why": w} for o, r, w in self.merged],
            "rejectedRecords": [{"oaiIdentifier": o, "reason": r} for o, r in self.rejected],
            "licenseProblemRecords": [
                {"oaiIdentifier": o, "problem": p, "kept": k} for o, p, k in self.license_problems
            ],
            "repairsMade": [{"where": w, "what": x} for w, x in self.repairs],
            "notes": list(self.notes),
        }

    def summary(self, *, details: int = 10) -> str:
        state = "complete" if self.complete else ("failed: " + self.error if self.error else "incomplete")
        lines = [
            f"{self.source} ({self.url}) — {self.metadata_prefix or 'no metadata format chosen yet'}"
            + (f", sets {', '.join(self.set_specs)}" if self.set_specs else "")
            + (f", from {self.from_date}" if self.from_date else ", full harvest")
            + (" (resumed)" if self.resumed else "")
            + f": {state}",
            f"  {self.pages} page(s), {self.records} record(s): {self.new} new, {self.updated} updated, "
            f"{self.deleted} deleted" + (f" ({self.unlisted} no longer listed)" if self.unlisted else "")
            + f", {self.unchanged} unchanged, {self.merged.total} merged as duplicates, "
            + (f"{self.echoed} echo(es) of this hub's records ignored, " if self.echoed else "")
            + f"{self.rejected.total} rejected, {self.license_problems.total} licence problem(s), "
            f"{self.repairs.total} repair(s)",
        ]
        for title, items, fmt in (
            ("merged", self.merged, lambda x: f"{x[0]} -> {x[1]} ({x[2]})"),
            ("rejected", self.rejected, lambda x: f"{x[0]}: {x[1]}"),
            ("licence problems", self.license_problems,
             lambda x: f"{x[0]}: {x[1]} ({'kept, flagged' if x[2] else 'skipped'})"),
            ("repairs", self.repairs, lambda x: f"{x[0]}: {x[1]}"),
        ):
            if items.total:
                lines.append(f"  {title}:")
                lines.extend(f"    {fmt(item)}" for item in items[:details])
                if items.total > details:
                    lines.append(f"    ... and {items.total - details} more (see --json)")
        lines.extend(f"  note: {n}" for n in self.notes[:details])
        return "\n".join(lines)


@dataclass
class HarvestReport:
    """The outcome of a harvest of one or several sources (``.summary()``, ``.to_dict()``)."""

    sources: list[SourceReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every source finished without an error."""
        return all(s.error is None for s in self.sources)

    def totals(self) -> dict[str, int]:
        keys = ("pages", "records", "new", "updated", "deleted", "unchanged", "echoed")
        out = {k: sum(getattr(s, k) for s in self.sources) for k in keys}
        out["merged"] = sum(s.merged.total for s in self.sources)
        out["rejected"] = sum(s.rejected.total for s in self.sources)
        out["licenseProblems"] = sum(s.license_problems.total for s in self.sources)
        out["repairs"] = sum(s.repairs.total for s in self.sources)
        return out

    def to_dict(self) -> dict:
        return {"ok": self.ok, "totals": self.totals(), "sources": [s.to_dict() for s in self.sources]}

    def summary(self) -> str:
        if not self.sources:
            return "no sources to harvest; add one with 'oerrepo sources add NAME URL'"
        return "\n".join(s.summary() for s in self.sources)
