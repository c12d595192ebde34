"""SQL for harvesting: the registry of partner sources, provenance rows and match keys.

Functions take a :class:`~oerrepo.store.Store` (they open their own transaction) or a
``Connection`` (they run inside the caller's, so a page of records, its provenance and
the source's resumption state commit together).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update

from ..errors import DuplicateSource
from . import Store, dumps, insert_many, loads, one_of, utc_now
from . import tables as t

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Resource

__all__ = [
    "SourceRow", "ProvenanceRow", "HarvestPage",
    "put_source", "get_source", "list_sources", "delete_source", "save_state",
    "provenance_rows", "provenance_of", "provenance_for", "put_provenance", "live_providers", "mark_deleted",
    "promote_duplicate", "find_by_keys", "put_keys", "refresh_local_keys", "source_urls", "live_provenance",
]


class SourceRow(dict):
    """A registered partner source as a plain dict (name, url, metadata_prefix, set_specs, settings, state, added)."""


class ProvenanceRow(dict):
    """One provenance row as a plain dict."""


def _source(row: Any) -> SourceRow:
    return SourceRow(
        name=row.name,
        url=row.url,
        metadata_prefix=row.metadata_prefix,
        set_specs=json.loads(row.set_specs or "[]"),
        settings=json.loads(row.settings or "{}"),
        state=json.loads(row.state or "{}"),
        added=row.added,
    )


def put_source(
    store: Store, name: str, url: str, *, metadata_prefix: str | None, set_specs: Sequence[str],
    settings: dict, replace: bool = False,
) -> SourceRow:
    """Register a source (or, with ``replace``, change its URL, format, sets and settings)."""
    with store.transaction() as conn:
        row = conn.execute(select(t.sources).where(t.sources.c.name == name)).first()
        values = dict(url=url, metadata_prefix=metadata_prefix, set_specs=dumps(list(set_specs)),
                      settings=dumps(settings))
        if row is None:
            conn.execute(t.sources.insert().values(name=name, state="{}", added=utc_now(), **values))
        elif replace:
            changed_target = (row.url != url or row.metadata_prefix != metadata_prefix
                              or json.loads(row.set_specs or "[]") != list(set_specs))
            if changed_target:  # another endpoint or format: the saved position means nothing there
                values["state"] = "{}"
            conn.execute(t.sources.update().where(t.sources.c.name == name).values(**values))
        else:
            raise DuplicateSource(
                f"a source named {name!r} already exists (url {row.url}); choose another name or remove it first"
            )
        return _source(conn.execute(select(t.sources).where(t.sources.c.name == name)).one())


def get_source(store_or_conn: Store | Connection, name: str) -> SourceRow | None:
    query = select(t.sources).where(t.sources.c.name == name)
    if isinstance(store_or_conn, Connection):
        row = store_or_conn.execute(query).first()
    else:
        with store_or_conn.reading() as conn:
            row = conn.execute(query).first()
    return _source(row) if row else None


def list_sources(store: Store) -> list[SourceRow]:
    """Every registered source with the number of live records it provides."""
    counts = (
        select(t.provenance.c.source, func.count().label("n"))
        .where(t.provenance.c.deleted.is_(False))
        .group_by(t.provenance.c.source)
        .subquery()
    )
    query = (
        select(t.sources, func.coalesce(counts.c.n, 0).label("n"))
        .outerjoin(counts, counts.c.source == t.sources.c.name)
        .order_by(t.sources.c.name)
    )
    with store.reading() as conn:
        out = []
        for row in conn.execute(query):
            src = _source(row)
            src["records"] = row.n
            out.append(src)
        return out


def delete_source(store: Store, name: str) -> bool:
    """Forget a source (its records and their provenance stay). False when there was none."""
    with store.transaction() as conn:
        return bool(conn.execute(delete(t.sources).where(t.sources.c.name == name)).rowcount)


def save_state(conn: Connection, name: str, state: dict) -> None:
    conn.execute(t.sources.update().where(t.sources.c.name == name).values(state=dumps(state)))


def save_last_harvest(store: Store, name: str, summary: dict) -> None:
    """Keep what the latest harvest of a source did (when, counts, error) in its state, for the partner pages."""
    with store.transaction() as conn:
        row = conn.execute(select(t.sources.c.state).where(t.sources.c.name == name)).first()
        if row is not None:
            state = json.loads(row.state or "{}")
            state["last_harvest"] = summary
            save_state(conn, name, state)


def license_problems(store: Store, *, source: str | None = None, limit: int = 500) -> list[dict]:
    """Live records whose harvest flagged their licence (unrecognised or missing), newest harvest first."""
    query = (
        select(t.provenance.c.source, t.provenance.c.resource_id, t.provenance.c.notes,
               t.provenance.c.harvested_at, t.resources.c.name)
        .join(t.resources, t.resources.c.id == t.provenance.c.resource_id)
        .where(t.provenance.c.deleted.is_(False), t.resources.c.deleted.is_(False),
               t.provenance.c.notes.like("%licen%"))
        .order_by(t.provenance.c.harvested_at.desc(), t.provenance.c.resource_id)
        .limit(limit)
    )
    if source is not None:
        query = query.where(t.provenance.c.source == source)
    out = []
    with store.reading() as conn:
        for row in conn.execute(query):
            notes = [n for n in json.loads(row.notes or "[]") if "licen" in n.lower()]
            if notes:
                out.append({"id": row.resource_id, "name": row.name, "source": row.source,
                            "problem": "; ".join(notes), "harvestedAt": row.harvested_at})
    return out


def _provenance(row: Any) -> ProvenanceRow:
    return ProvenanceRow(
        source=row.source,
        oai_identifier=row.oai_identifier,
        resource_id=row.resource_id,
        datestamp=row.datestamp,
        set_specs=tuple(loads(row.set_specs or "[]")),
        metadata_prefix=row.metadata_prefix,
        harvested_at=row.harvested_at,
        deleted=bool(row.deleted),
        role=row.role,
        notes=tuple(loads(row.notes or "[]")),
        origin=loads(row.origin) if row.origin else None,
    )


def live_provenance(store: Store) -> dict[str, list[ProvenanceRow]]:
    """The live provenance rows of every resource that has any, primary first."""
    out: dict[str, list[ProvenanceRow]] = {}
    query = (select(t.provenance).where(t.provenance.c.deleted.is_(False))
             .order_by(t.provenance.c.resource_id, t.provenance.c.source, t.provenance.c.oai_identifier))
    with store.reading() as conn:
        for row in conn.execute(query):
            out.setdefault(row.resource_id, []).append(_provenance(row))
    for rows in out.values():
        rows.sort(key=lambda r: r["role"] != "primary")
    return out


def source_urls(store: Store) -> dict[str, str]:
    """The endpoint URL of every registered source, by name."""
    with store.reading() as conn:
        return {name: url for name, url in conn.execute(select(t.sources.c.name, t.sources.c.url))}


_LOCAL_KEYS_SEQ = "match_keys:local_seq"  # meta: the last change whose local record has its match keys


def refresh_local_keys(store: Store, keys_of: Callable[[dict], list[str]], *, batch: int = 1000) -> int:
    """Give match keys to the records changed here (not by a harvest) since the last call.

    Harvested records get their keys as they are stored; records people added, imported or
    edited get them here, before a harvest or a duplicates report needs them, so that a
    partner's copy of a local record is recognised. Keys are only added (an old title's key
    stays). Returns how many records were read.
    """
    c = t.changes.c
    with store.transaction() as conn:
        row = conn.execute(select(t.meta.c.value).where(t.meta.c.key == _LOCAL_KEYS_SEQ)).first()
        since = int(row[0]) if row else 0
        last = conn.execute(select(func.coalesce(func.max(c.seq), 0))).scalar_one()
        if last <= since:
            return 0
        query = (select(c.resource_id).where(and_(c.seq > since, c.seq <= last, c.origin.notlike("harvest:%")))
                 .distinct())
        ids = [rid for (rid,) in conn.execute(query)]
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            rows = conn.execute(select(t.resources.c.id, t.resources.c.data).where(
                and_(t.resources.c.id.in_(chunk), t.resources.c.deleted.is_(False))))
            wanted = {rid: keys_of(loads(data)) for rid, data in rows}
            known: dict[str, set[str]] = {rid: set() for rid in wanted}
            if wanted:
                for key, rid in conn.execute(select(t.match_keys.c.key, t.match_keys.c.resource_id)
                                             .where(t.match_keys.c.resource_id.in_(list(wanted)))):
                    known[rid].add(key)
            fresh = [{"key": k, "resource_id": rid} for rid, keys in wanted.items()
                     for k in dict.fromkeys(keys) if k not in known[rid]]
            if fresh:
                conn.execute(t.match_keys.insert(), fresh)
        if row is None:
            conn.execute(t.meta.insert().values(key=_LOCAL_KEYS_SEQ, value=str(last)))
        else:
            conn.execute(t.meta.update().where(t.meta.c.key == _LOCAL_KEYS_SEQ).values(value=str(last)))
        return len(ids)


def last_harvested_at(store: Store, source: str) -> str | None:
    """When a harvest last wrote a row of this source (UTC, seconds)."""
    with store.reading() as conn:
        query = select(func.max(t.provenance.c.harvested_at)).where(t.provenance.c.source == source)
        return conn.execute(query).scalar_one()


def unlisted(conn: Connection, source: str, since: str) -> tuple[list[str], int]:
    """The OAI identifiers of a source's live rows that no harvest has seen since ``since``
    (UTC, seconds), and the number of its live rows."""
    live = and_(t.provenance.c.source == source, t.provenance.c.deleted.is_(False))
    total = conn.execute(select(func.count()).select_from(t.provenance).where(live)).scalar_one()
    query = (select(t.provenance.c.oai_identifier).where(and_(live, t.provenance.c.harvested_at < since))
             .order_by(t.provenance.c.oai_identifier))
    return [row[0] for row in conn.execute(query)], total


def provenance_rows(conn: Connection, source: str, oai_identifiers: Iterable[str]) -> dict[str, ProvenanceRow]:
    """The rows of one source for a page's identifiers, by identifier (one query)."""
    ids = list(dict.fromkeys(oai_identifiers))
    out: dict[str, ProvenanceRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(t.provenance).where(
            and_(t.provenance.c.source == source, one_of(conn, t.provenance.c.oai_identifier, chunk))
        )
        for row in conn.execute(query):
            out[row.oai_identifier] = _provenance(row)
    return out


def provenance_of(store: Store, resource_id: str) -> list[ProvenanceRow]:
    """Every source row of one resource, live ones first, primary first."""
    return provenance_for(store, [resource_id]).get(resource_id, [])


def provenance_for(store: Store, resource_ids: Sequence[str]) -> dict[str, list[ProvenanceRow]]:
    """Provenance rows of many resources in one query per 500 ids."""
    out: dict[str, list[ProvenanceRow]] = {}
    ids = list(dict.fromkeys(resource_ids))
    with store.reading() as conn:
        for start in range(0, len(ids), 500):
            query = (
                select(t.provenance)
                .where(one_of(conn, t.provenance.c.resource_id, ids[start : start + 500]))
                .order_by(t.provenance.c.resource_id, t.provenance.c.deleted, t.provenance.c.source,
                          t.provenance.c.oai_identifier)
            )
            for row in conn.execute(query):
                out.setdefault(row.resource_id, []).append(_provenance(row))
    for rows in out.values():
        rows.sort(key=lambda r: (r["deleted"], r["role"] != "primary"))
    return out


def put_provenance(
    conn: Connection, *, source: str, oai_identifier: str, resource_id: str, datestamp: str | None,
    set_specs: Sequence[str], metadata_prefix: str | None, role: str, notes: Sequence[str], exists: bool,
) -> None:
    """Insert or update the row of (source, OAI identifier); ``exists`` says which (the caller knows)."""
    values = dict(
        resource_id=resource_id, datestamp=datestamp, set_specs=dumps(list(set_specs)),
        metadata_prefix=metadata_prefix, harvested_at=utc_now(), deleted=False, role=role,
        notes=dumps(list(notes)),
    )
    if exists:
        conn.execute(
            update(t.provenance)
            .where(and_(t.provenance.c.source == source, t.provenance.c.oai_identifier == oai_identifier))
            .values(**values)
        )
    else:
        conn.execute(t.provenance.insert().values(source=source, oai_identifier=oai_identifier, **values))


def mark_deleted(conn: Connection, source: str, oai_identifier: str, datestamp: str | None) -> None:
    conn.execute(
        update(t.provenance)
        .where(and_(t.provenance.c.source == source, t.provenance.c.oai_identifier == oai_identifier))
        .values(deleted=True, datestamp=datestamp, harvested_at=utc_now(), role="duplicate")
    )


def live_providers(conn: Connection, resource_id: str) -> list[ProvenanceRow]:
    """The live provenance rows of a resource (sources that still provide it)."""
    query = select(t.provenance).where(
        and_(t.provenance.c.resource_id == resource_id, t.provenance.c.deleted.is_(False))
    )
    return [_provenance(r) for r in conn.execute(query)]


def promote_duplicate(conn: Connection, row: ProvenanceRow) -> None:
    """Make another source's row the primary one (its next update becomes the record)."""
    conn.execute(
        update(t.provenance)
        .where(and_(t.provenance.c.source == row["source"], t.provenance.c.oai_identifier == row["oai_identifier"]))
        .values(role="primary")
    )


def find_by_keys(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    """Resources already known under any of these match keys: key -> resource id."""
    if not keys:
        return {}
    out: dict[str, str] = {}
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), 500):
        query = select(t.match_keys.c.key, t.match_keys.c.resource_id).where(
            one_of(conn, t.match_keys.c.key, keys[start : start + 500])
        )
        for key, rid in conn.execute(query):
            out.setdefault(key, rid)
    return out


def put_keys(conn: Connection, resource_id: str, keys: Sequence[str]) -> None:
    """Remember match keys of a resource (keys it already has are kept, new ones added)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return
    known = set(
        conn.execute(select(t.match_keys.c.key).where(t.match_keys.c.resource_id == resource_id)).scalars()
    )
    fresh = [k for k in keys if k not in known]
    if fresh:
        conn.execute(t.match_keys.insert(), [{"key": k, "resource_id": resource_id} for k in fresh])


class HarvestPage:
    """One page of a harvest written in the caller's transaction with a few statements.

    It answers what the harvest loop asks (provenance rows, live providers, match keys,
    whether a resource exists) from rows read up front for the whole page
    (:meth:`prefetch`, one query per table and 500 ids) plus its own writes so far, and
    writes everything in :meth:`flush`: provenance and match keys with executemany,
    the records through :class:`~oerrepo.store.bulk.ResourceBatch`. An id or key that
    was not read up front is read when first asked for, so answers never depend on
    what was prefetched.
    """

    def __init__(self, store: Store, conn: Connection, source: str):
        from .bulk import ResourceBatch

        self.conn = conn
        self.source = source
        self.resources = ResourceBatch(store, conn)
        self._rows: dict[tuple[str, str], ProvenanceRow] = {}  # (source, oai id) -> row as it now is
        self._stored: set[tuple[str, str]] = set()  # rows that exist in the table
        self._dirty: set[tuple[str, str]] = set()
        self._by_resource: dict[str, set[tuple[str, str]]] = {}
        self._resources_read: set[str] = set()  # ids whose provenance rows were all read
        self._key_owner: dict[str, str | None] = {}  # match key -> first resource id (None: unknown key)
        self._keys_of: dict[str, set[str]] = {}  # resource id -> its match keys (read ones only)
        self._new_keys: list[dict] = []
        # Resources that gained or lost a live provider without changing themselves: their
        # provenance is part of what the exports and the search index show.
        self._provenance_changed: set[str] = set()

    # -- reading ---------------------------------------------------------------------

    def prefetch(self, oai_identifiers: Iterable[str], keys: Iterable[str], resource_ids: Iterable[str]) -> None:
        """Read up front what a page will ask about: its source's rows, its keys, these resources."""
        rows = self.rows(oai_identifiers)
        owners = self.find_by_keys(list(keys))
        ids = list(dict.fromkeys([*(r["resource_id"] for r in rows.values()), *owners.values(), *resource_ids]))
        self.resources.load(ids)
        self._read_resources(ids)
        self._read_keys_of(ids)

    def _add_row(self, row: ProvenanceRow, *, stored: bool) -> None:
        key = (row["source"], row["oai_identifier"])
        if key in self._rows:  # the batch's own state wins over what the table held
            return
        self._rows[key] = row
        if stored:
            self._stored.add(key)
        self._by_resource.setdefault(row["resource_id"], set()).add(key)

    def rows(self, oai_identifiers: Iterable[str]) -> dict[str, ProvenanceRow]:
        """This source's rows for these identifiers, by identifier (copies)."""
        ids = list(dict.fromkeys(oai_identifiers))
        unread = [i for i in ids if (self.source, i) not in self._rows]
        for row in provenance_rows(self.conn, self.source, unread).values():
            self._add_row(row, stored=True)
        return {i: ProvenanceRow(self._rows[(self.source, i)]) for i in ids if (self.source, i) in self._rows}

    def _read_resources(self, resource_ids: Iterable[str]) -> None:
        ids = [rid for rid in dict.fromkeys(resource_ids) if rid not in self._resources_read]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in self.conn.execute(select(t.provenance).where(one_of(self.conn, t.provenance.c.resource_id, chunk))):
                self._add_row(_provenance(row), stored=True)
            self._resources_read.update(chunk)

    def _read_keys_of(self, resource_ids: Iterable[str]) -> None:
        ids = [rid for rid in dict.fromkeys(resource_ids) if rid not in self._keys_of]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for rid in chunk:
                self._keys_of[rid] = set()
            query = select(t.match_keys.c.key, t.match_keys.c.resource_id).where(
                one_of(self.conn, t.match_keys.c.resource_id, chunk)
            )
            for key, rid in self.conn.execute(query):
                self._keys_of[rid].add(key)

    def live_providers(self, resource_id: str) -> list[ProvenanceRow]:
        """As :func:`live_providers`, with this page's writes (copies, by source and identifier)."""
        self._read_resources([resource_id])
        keys = sorted(self._by_resource.get(resource_id, ()))
        return [ProvenanceRow(self._rows[k]) for k in keys if not self._rows[k]["deleted"]]

    def find_by_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """As :func:`find_by_keys`, with the keys this page added."""
        unread = [k for k in dict.fromkeys(keys) if k not in self._key_owner]
        if unread:
            found = find_by_keys(self.conn, unread)
            for key in unread:
                self._key_owner[key] = found.get(key)
        return {k: self._key_owner[k] for k in keys if self._key_owner.get(k) is not None}  # type: ignore[misc]

    # -- writing ---------------------------------------------------------------------

    def _put(self, row: ProvenanceRow, *, stored: bool) -> None:
        key = (row["source"], row["oai_identifier"])
        old = self._rows.get(key)
        if old is None or old["deleted"] != row["deleted"] or old["resource_id"] != row["resource_id"]:
            self._provenance_changed.add(row["resource_id"])
            if old is not None:
                self._provenance_changed.add(old["resource_id"])
        if old is not None:
            self._by_resource.get(old["resource_id"], set()).discard(key)
        else:
            if stored:
                self._stored.add(key)
        self._rows[key] = row
        self._by_resource.setdefault(row["resource_id"], set()).add(key)
        self._dirty.add(key)

    def put_provenance(
        self, *, source: str, oai_identifier: str, resource_id: str, datestamp: str | None,
        set_specs: Sequence[str], metadata_prefix: str | None, role: str, notes: Sequence[str], exists: bool,
        origin: dict | None = None,
    ) -> None:
        """As :func:`put_provenance` (``exists`` matters only for a row the page never read).

        ``origin`` is the provenance the partner published with the record (see :mod:`oerrepo.oai.provenance`).
        """
        self._put(
            ProvenanceRow(
                source=source, oai_identifier=oai_identifier, resource_id=resource_id, datestamp=datestamp,
                set_specs=tuple(set_specs), metadata_prefix=metadata_prefix, harvested_at=utc_now(),
                deleted=False, role=role, notes=tuple(notes), origin=origin,
            ),
            stored=exists,
        )

    def mark_deleted(self, source: str, oai_identifier: str, datestamp: str | None) -> None:
        """As :func:`mark_deleted`."""
        if source == self.source:
            self.rows([oai_identifier])
        old = self._rows.get((source, oai_identifier))
        if old is None:
            return
        self._put(ProvenanceRow(old, deleted=True, datestamp=datestamp, harvested_at=utc_now(), role="duplicate"),
                  stored=False)

    def promote_duplicate(self, row: ProvenanceRow) -> None:
        """As :func:`promote_duplicate`."""
        old = self._rows.get((row["source"], row["oai_identifier"]))
        if old is not None:
            self._put(ProvenanceRow(old, role="primary"), stored=False)

    def edited_here(self, resource_id: str) -> bool:
        """True when the record's latest revision was made here (by a person), not by a harvest."""
        c = t.changes.c
        query = select(c.origin).where(c.resource_id == resource_id).order_by(c.seq.desc()).limit(1)
        origin = self.conn.execute(query).scalar()
        return origin is not None and not origin.startswith("harvest:")

    def demote(self, row: ProvenanceRow) -> None:
        """Make a primary row a duplicate (another source's values win from now on)."""
        old = self._rows.get((row["source"], row["oai_identifier"]))
        if old is not None:
            self._put(ProvenanceRow(old, role="duplicate"), stored=False)

    def put_keys(self, resource_id: str, keys: Sequence[str]) -> None:
        """As :func:`put_keys`."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        self._read_keys_of([resource_id])
        known = self._keys_of[resource_id]
        for key in keys:
            if key not in known:
                known.add(key)
                self._new_keys.append({"key": key, "resource_id": resource_id})
                if self._key_owner.get(key) is None:
                    self._key_owner[key] = resource_id

    def created(self) -> list[tuple[Resource, list[ProvenanceRow]]]:
        """The records the last :meth:`flush` stored for the first time, as they now stand,
        with all their provenance rows (all written by this page: the ids are new)."""
        out = []
        for rid in self.resources.created():
            rows = [self._rows[key] for key in sorted(self._by_resource.get(rid, ()))]
            out.append((self.resources.resource(rid), rows))
        return out

    def flush(self) -> None:
        """Write the page: records and their revisions, provenance rows, match keys."""
        if self._provenance_changed:
            self.resources.touch(sorted(self._provenance_changed), f"harvest:{self.source}", ("provenance",))
            self._provenance_changed.clear()
        self.resources.flush()
        fresh, stored = [], []
        for key in self._dirty:
            row = self._rows[key]
            values = dict(
                resource_id=row["resource_id"], datestamp=row["datestamp"], set_specs=dumps(list(row["set_specs"])),
                metadata_prefix=row["metadata_prefix"], harvested_at=row["harvested_at"], deleted=row["deleted"],
                role=row["role"], notes=dumps(list(row["notes"])),
                origin=dumps(row["origin"]) if row.get("origin") else None,
            )
            if key in self._stored:
                stored.append({"b_source": key[0], "b_oai_identifier": key[1], **values})
            else:
                fresh.append({"source": key[0], "oai_identifier": key[1], **values})
                self._stored.add(key)
        self._dirty.clear()
        insert_many(self.conn, t.provenance, fresh)
        if stored:
            cols = t.provenance.c
            self.conn.execute(
                update(t.provenance).where(
                    and_(cols.source == bindparam("b_source"), cols.oai_identifier == bindparam("b_oai_identifier"))
                ),
                stored,
            )
        if self._new_keys:
            insert_many(self.conn, t.match_keys, self._new_keys)
            self._new_keys = []
