"""What a harvest does with each record of a page: store, merge, promote, delete or ignore it.

One record per resource, local records included: a partner's record is matched against
everything stored here (by DOI, normalised URL, title and creators, or the same origin,
strongest first) and merged into what it matches, by the value policy of
:data:`oerrepo.harvesters.network.VALUE_POLICY`: a record stored here by a person keeps
its values; among partners the one nearest the origin provides them. An echo (a record
whose provenance leads back to this hub) is never stored. Each provenance row keeps the
chains its partner published, so the feed re-publishes them and the distance to the
origin can be compared later.
"""

from __future__ import annotations

import hashlib

from .. import licenses
from ..store import harvest as sql
from .client import Header
from .crosswalk import Crosswalked
from .dedup import describe_key, match_keys
from .network import Hub, distance, origin_of, readable_ids
from .report import SourceReport

__all__ = ["Merger", "origin_key", "record_keys"]


def origin_key(origin_identifier: str) -> str:
    """The match key of a record's origin: the same origin reached by two paths is one resource."""
    value = origin_identifier if len(origin_identifier) <= 240 else hashlib.sha1(origin_identifier.encode()).hexdigest()
    return "origin:" + value


def record_keys(data: dict, origin_identifier: str) -> list[str]:
    """Match keys of a harvested record, strongest first: DOI, URL, title + creators, origin."""
    return [*match_keys(data), origin_key(origin_identifier)]


def _describe(key: str) -> str:
    return f"same origin {key[len('origin:'):]}" if key.startswith("origin:") else describe_key(key)


class Merger:
    """Applies one source's records to a page batch (see the module's docstring)."""

    def __init__(self, source: str, origin: str, report: SourceReport, hub: Hub):
        self.source = source
        self.origin = origin  # the change origin written with every revision, "harvest:<source>"
        self.report = report
        self.hub = hub

    # -- provenance -------------------------------------------------------------------

    def chains(self, header: Header) -> tuple[list[list[dict]], bool]:
        """The partner's provenance chains that do not pass through this hub, and whether it is an echo."""
        kept, echo = self.hub.split(header.provenance)
        if not echo and header.identifier.startswith(f"oai:{self.hub.namespace}:"):
            echo = True  # a partner serving our own identifiers as its own
        return kept, echo

    # -- a record --------------------------------------------------------------------

    def upsert(self, batch: sql.HarvestPage, header: Header, data: dict, cw: Crosswalked | None, prefix: str,
               namespace: str | None, row: sql.ProvenanceRow | None, keys: list[str],
               chains: list[list[dict]]) -> sql.ProvenanceRow:
        """Store, update or merge one partner record; returns its provenance row as it now is."""
        records, report, oai_id = batch.resources, self.report, header.identifier
        notes = [n for n in (cw.notes if cw else []) if n]
        for note in notes:
            report.repairs.append((oai_id, note))
        origin = {"namespace": namespace, "chains": chains} if (namespace or chains) else None
        mine = distance(chains)
        role = "primary"
        if row is not None:
            rid = row["resource_id"]
            role = row["role"] or "primary"
            notes += [n for n in row.get("notes") or () if n.startswith("merged: ")]
            if row["deleted"] and not records.exists(rid):
                role = "primary"
            if role != "primary" and records.exists(rid):
                primary = self._primary(batch, rid, exclude=(self.source, oai_id))
                if primary is not None and mine < distance((primary.get("origin") or {}).get("chains")):
                    # A path nearer the origin now provides it: its values win from here on.
                    batch.demote(primary)
                    role = "primary"
                    report.merged.append((oai_id, rid, f"now provided nearer its origin than by {primary['source']}; "
                                                       "these values win"))
            if role == "primary":
                data = {"id": rid, **{k: v for k, v in data.items() if k != "id"}}
                if records.exists(rid) and records.data(rid) != data and batch.edited_here(rid):
                    # A person changed the harvested record here: their values win over the partner's.
                    report.unchanged += 1
                    report.note(f"{oai_id}: changed at the partner, but {rid} was edited here; the edit is kept")
                elif records.exists(rid):
                    changed = records.replace(data, self.origin)
                    if changed is None:
                        report.unchanged += 1
                    else:
                        report.updated += 1
                else:
                    records.insert(data, self.origin)  # the partner published it again
                    report.updated += 1
            else:
                report.unchanged += 1
        else:
            match = self._match(batch, keys, data)
            if match is not None:
                rid, key = match
                self._compare_licences(batch, oai_id, rid, data)
                role, why = self._merge_role(batch, rid, mine)
                if role == "primary":
                    records.replace({"id": rid, **{k: v for k, v in data.items() if k != "id"}}, self.origin)
                reason = f"{_describe(key)}; {why}"
                notes.append(f"merged: {reason}")
                report.merged.append((oai_id, rid, reason))
            else:
                rid = self._new_id(batch, origin_of(oai_id, chains))
                records.insert({"id": rid, **{k: v for k, v in data.items() if k != "id"}}, self.origin)
                report.new += 1
        batch.put_provenance(
            source=self.source, oai_identifier=oai_id, resource_id=rid, datestamp=header.datestamp,
            set_specs=header.set_specs, metadata_prefix=prefix, role=role, notes=list(dict.fromkeys(notes)),
            exists=row is not None, origin=origin,
        )
        batch.put_keys(rid, keys)
        return sql.ProvenanceRow(resource_id=rid, role=role, deleted=False, source=self.source,
                                 oai_identifier=oai_id, origin=origin)

    def _compare_licences(self, batch: sql.HarvestPage, oai_id: str, rid: str, data: dict) -> None:
        """Flag a duplicate whose partner states other licence conditions than the stored record."""
        mine, stored = data.get("license"), batch.resources.data(rid).get("license")
        if mine and stored and mine != stored:
            problem = licenses.read_rights([stored, mine]).problem
            if problem:
                self.report.license_problems.append(
                    (oai_id, f"the same work is stored as {rid!r} under {stored}; this partner gives {mine}: {problem}",
                     True))

    def _primary(self, batch: sql.HarvestPage, rid: str, exclude: tuple[str, str] | None = None):
        for p in batch.live_providers(rid):
            if p["role"] == "primary" and (p["source"], p["oai_identifier"]) != exclude:
                return p
        return None

    def _merge_role(self, batch: sql.HarvestPage, rid: str, mine: int) -> tuple[str, str]:
        primary = self._primary(batch, rid)
        if primary is None:
            return "duplicate", "the record stored here keeps its values"
        theirs = distance((primary.get("origin") or {}).get("chains"))
        if mine < theirs:
            batch.demote(primary)
            return "primary", f"these values win: nearer the origin than {primary['source']}"
        return "duplicate", f"the values of {primary['source']} are kept ({'nearer the origin' if theirs < mine else 'first provider'})"

    def _match(self, batch: sql.HarvestPage, keys: list[str], data: dict) -> tuple[str, str] | None:
        found = batch.find_by_keys(keys)
        for key in keys:  # strongest first: DOI, URL, title + creators, origin
            rid = found.get(key)
            if rid is None or not batch.resources.exists(rid):
                continue
            providers = batch.live_providers(rid)
            if any(p["source"] == self.source for p in providers):
                continue  # two records of one partner are two resources (versions, translations)
            if key.startswith("title:"):
                other = batch.resources.data(rid)
                mine = {k for k in keys if k.startswith("doi:")}
                theirs = {k for k in match_keys(other) if k.startswith("doi:")}
                if mine and theirs and not mine & theirs:
                    continue  # same title and authors but different DOIs: different works
            return rid, key
        return None

    @staticmethod
    def id_candidates(origin_identifier: str) -> list[str]:
        """The first ids a new record of this origin may get (read up front with the page)."""
        ids = readable_ids(origin_identifier)
        return [next(ids), next(ids)]

    def _new_id(self, batch: sql.HarvestPage, origin_identifier: str) -> str:
        for rid in readable_ids(origin_identifier):
            if not batch.resources.any_row(rid):  # tombstones too: their ids stay taken
                return rid
        raise AssertionError("unreachable: readable_ids never ends")

    # -- deletions and echoes ------------------------------------------------------------

    def delete(self, batch: sql.HarvestPage, header: Header, row: sql.ProvenanceRow | None) -> bool:
        """A partner's deletion: a tombstone unless another partner (or a person here) still provides it.

        Returns False when the record was never harvested here from this source."""
        if row is None or row["deleted"]:
            if row is not None:
                self.report.unchanged += 1
            return row is not None
        rid = row["resource_id"]
        batch.mark_deleted(self.source, header.identifier, header.datestamp)
        others = batch.live_providers(rid)
        local = row["role"] not in (None, "primary") and not any(o["role"] == "primary" for o in others)
        if others or (local and batch.resources.exists(rid)):
            if row["role"] in (None, "primary") and others and not any(o["role"] == "primary" for o in others):
                nearest = min(others, key=lambda o: distance((o.get("origin") or {}).get("chains")))
                batch.promote_duplicate(nearest)
            names = ", ".join(sorted({o["source"] for o in others})) or "this repository"
            self.report.note(f"{header.identifier}: deleted there but kept as {rid}, still provided by {names}")
            self.report.unchanged += 1
            return True
        if batch.resources.exists(rid):
            batch.resources.remove(rid, self.origin)
            self.report.deleted += 1
        else:
            self.report.unchanged += 1
        return True

    def echo(self, batch: sql.HarvestPage, header: Header, row: sql.ProvenanceRow | None) -> None:
        """A record of this hub coming back: counted, never stored; a copy stored before is dropped."""
        self.report.echoed += 1
        if row is not None and not row["deleted"]:
            self.delete(batch, Header(header.identifier, header.datestamp, header.set_specs, True), row)
