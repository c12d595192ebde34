"""Many record writes in one transaction, with a handful of statements instead of several per record.

:class:`ResourceBatch` behaves like :meth:`Store.insert`, :meth:`Store.replace` and
:meth:`Store.remove` inside the caller's write transaction, but keeps the outcome in
memory (so later calls in the batch see earlier ones) and writes it in :meth:`flush`:
one multi-row INSERT into ``changes`` whose RETURNING gives each change its sequence
number in call order, then ``resources``, ``sets`` and ``resource_sets`` with
executemany. The current rows of the ids a batch will touch are read up front with
:meth:`load`, one ``SELECT ... WHERE id IN (...)`` per 500 ids.

The transaction holds the store's write lock from its start (see
:meth:`Store.transaction`), so sequence numbers handed out here are still strictly
increasing and in commit order, and the revisions are exactly those the single-record
calls would have written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select, text

from ..errors import DuplicateResource, ResourceNotFound
from ..model import Resource, changed_properties
from . import Store, dumps, first_name, insert_many, loads, one_of, utc_now
from . import tables as t

__all__ = ["ResourceBatch"]

_CHUNK = 500  # ids per IN (...) list: well under every backend's bound-parameter limit

# PostgreSQL: the next ``n`` numbers of the changes' sequence, in ascending order.
_NEXT_SEQS = text(
    "SELECT nextval(pg_get_serial_sequence('changes', 'seq')) AS seq FROM generate_series(1, :n) ORDER BY seq"
)


@dataclass
class _Row:
    """What the batch knows of one resource row: as stored, then as changed by the batch."""

    deleted: bool
    created: str
    data_text: str | None = None  # as read from the store, parsed only when needed
    data: dict | None = None
    in_store: bool = True  # a row exists in the table (live or tombstone) before the batch

    def record(self) -> dict:
        if self.data is None:
            self.data = loads(self.data_text or "{}")
        return self.data


@dataclass
class _Change:
    resource_id: str
    action: str
    datestamp: str
    origin: str
    changed: tuple[str, ...]
    data: dict | None


class ResourceBatch:
    """Record writes of one transaction, flushed together (see the module docstring).

    >>> with store.transaction() as conn:  # doctest: +SKIP
    ...     batch = ResourceBatch(store, conn)
    ...     batch.load(["a", "b"])
    ...     batch.insert({"id": "a", ...}, "import")
    ...     batch.flush()
    """

    def __init__(self, store: Store, conn: Connection):
        self.store = store
        self.conn = conn
        self._rows: dict[str, _Row | None] = {}  # None: no row in the store
        self._changes: list[_Change] = []
        self._written: dict[str, tuple[int, str]] = {}  # id -> (seq, datestamp) of its latest written change
        self._created: list[str] = []  # ids the last flush stored for the first time

    # -- reading ---------------------------------------------------------------------

    def load(self, resource_ids: Iterable[str]) -> None:
        """Read the current rows of these ids (those not read yet) in one query per 500."""
        wanted = [rid for rid in dict.fromkeys(resource_ids) if rid and rid not in self._rows]
        cols = t.resources.c
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for rid in chunk:
                self._rows[rid] = None
            query = select(cols.id, cols.deleted, cols.created, cols.data).where(one_of(self.conn, cols.id, chunk))
            for row in self.conn.execute(query):
                self._rows[row.id] = _Row(deleted=bool(row.deleted), created=row.created, data_text=row.data)

    def _row(self, rid: str) -> _Row | None:
        if rid not in self._rows:
            self.load([rid])
        return self._rows[rid]

    def exists(self, resource_id: str) -> bool:
        """True when a live record has this id (as :meth:`Store.exists`, with the batch's own writes)."""
        row = self._row(resource_id)
        return row is not None and not row.deleted

    def any_row(self, resource_id: str) -> bool:
        """True when the id is taken, by a live record or a tombstone."""
        return self._row(resource_id) is not None

    def data(self, resource_id: str) -> dict:
        """The current record of a live id; ResourceNotFound otherwise."""
        row = self._row(resource_id)
        if row is None or row.deleted:
            raise ResourceNotFound(f"no resource with id {resource_id!r}; 'oerrepo list' shows the stored ids")
        return row.record()

    # -- writing ---------------------------------------------------------------------

    def insert(self, data: dict, origin: str) -> None:
        """As :meth:`Store.insert`: a new record, or a deleted id revived."""
        rid = data["id"]
        row = self._row(rid)
        if row is not None and not row.deleted:
            raise DuplicateResource(
                f"a resource with id {rid!r} already exists; use 'update' (or import --upsert) to change it"
            )
        stamp = utc_now()
        self._changes.append(_Change(rid, "add", stamp, origin, changed_properties(None, data), data))
        if row is None:
            self._rows[rid] = _Row(deleted=False, created=stamp, data=data, in_store=False)
        else:
            row.deleted, row.data = False, data

    def replace(self, data: dict, origin: str) -> tuple[str, ...] | None:
        """As :meth:`Store.replace`: the changed property names, or None when nothing changed."""
        rid = data["id"]
        row = self._row(rid)
        if row is not None and row.deleted:
            raise ResourceNotFound(f"the resource {rid!r} was deleted; 'add' a record with this id to store it again")
        if row is None:
            raise ResourceNotFound(f"no resource with id {rid!r}; use 'add' to store a new one")
        changed = changed_properties(row.record(), data)
        if not changed:
            return None
        self._changes.append(_Change(rid, "update", utc_now(), origin, changed, data))
        row.data = data
        return changed

    def touch(self, resource_ids: Iterable[str], origin: str, what: tuple[str, ...]) -> int:
        """A revision of each live record that this batch does not change otherwise, because what
        surrounds it changed (``what``, e.g. ``("provenance",)``): feeds, exports and the search
        index then serve it again. Returns how many were touched."""
        changing = {c.resource_id for c in self._changes}
        touched = 0
        for rid in dict.fromkeys(resource_ids):
            row = self._row(rid)
            if rid in changing or row is None or row.deleted:
                continue
            self._changes.append(_Change(rid, "update", utc_now(), origin, what, row.record()))
            touched += 1
        return touched

    def remove(self, resource_id: str, origin: str) -> None:
        """As :meth:`Store.remove`: a tombstone (the record and its set memberships are kept)."""
        row = self._row(resource_id)
        if row is not None and row.deleted:
            raise ResourceNotFound(
                f"the resource {resource_id!r} is already deleted; 'oerrepo history {resource_id}' shows its changes"
            )
        if row is None:
            raise ResourceNotFound(f"no resource with id {resource_id!r}; 'oerrepo list' shows the stored ids")
        self._changes.append(_Change(resource_id, "delete", utc_now(), origin, (), None))
        row.deleted = True

    def flush(self) -> int:
        """Write every change of the batch; returns how many revisions were written."""
        changes, self._changes = self._changes, []
        if not changes:
            return 0
        conn = self.conn
        texts: dict[int, str] = {}  # id(record) -> its JSON: a record is serialised once per flush

        def text_of(data: dict) -> str:
            text = texts.get(id(data))
            if text is None:
                text = texts[id(data)] = dumps(data)
            return text

        rows = [
            {
                "resource_id": c.resource_id, "action": c.action, "datestamp": c.datestamp,
                "origin": c.origin, "changed": dumps(list(c.changed)),
                "data": text_of(c.data) if c.data is not None else None,
            }
            for c in changes
        ]
        if conn.dialect.name == "postgresql":
            # The batch's seqs taken from the sequence first, in order, and the rows written with
            # them as one JSON array: SQLAlchemy's ordered multi-row INSERT ... RETURNING sent
            # statements of thousands of parameters, which psycopg parsed anew every time (a
            # tenth of the importing process's time on a 20,000-record import).
            seqs = list(conn.execute(_NEXT_SEQS, {"n": len(rows)}).scalars())
            insert_many(conn, t.changes, [{"seq": seq, **row} for seq, row in zip(seqs, rows)])
        else:
            result = conn.execute(insert(t.changes).returning(t.changes.c.seq, sort_by_parameter_order=True), rows)
            seqs = [row[0] for row in result]
        last: dict[str, tuple[int, str]] = {}  # id -> (seq, datestamp) of its latest change
        sets_of: dict[str, list[str]] = {}  # id -> set specs of its latest add or update
        for change, seq in zip(changes, seqs):
            last[change.resource_id] = (seq, change.datestamp)
            if change.data is not None:
                sets_of[change.resource_id] = list(change.data.get("sets", []))
        self._written.update(last)
        self._created = []
        fresh, known = [], []
        for rid, (seq, stamp) in last.items():
            row = self._rows[rid]
            assert row is not None
            data = row.record()
            values = {
                "b_id": rid, "seq": seq, "datestamp": stamp, "deleted": row.deleted,
                "license": data.get("license"), "name": first_name(data), "data": text_of(data),
            }
            if row.in_store:
                known.append(values)
            else:
                values["created"] = row.created
                fresh.append(values)
                self._created.append(rid)
                row.in_store = True
            row.data_text = values["data"]
        cols = t.resources.c
        insert_many(conn, t.resources, [{("id" if k == "b_id" else k): v for k, v in values.items()} for values in fresh])
        if known:
            # executemany: the other keys of each parameter set become the SET clause
            conn.execute(t.resources.update().where(cols.id == bindparam("b_id")), known)
        self._write_sets(sets_of, {v["b_id"] for v in known})
        return len(changes)

    def forget(self) -> None:
        """Let go of the rows read and written so far (after :meth:`flush`), so that a long
        batch holds only its current part in memory; ids asked again are read again."""
        if self._changes:
            raise RuntimeError("flush the batch before forgetting its rows")
        self._rows.clear()
        self._written.clear()

    def created(self) -> list[str]:
        """The ids the last :meth:`flush` stored for the first time (no row, not even a
        tombstone, had them before)."""
        return list(self._created)

    def resource(self, resource_id: str) -> Resource:
        """A record written by :meth:`flush` as it now stands (its latest seq and datestamp)."""
        row = self._rows[resource_id]
        seq, stamp = self._written[resource_id]
        assert row is not None
        return Resource(data=row.record(), seq=seq, datestamp=stamp, deleted=row.deleted, created=row.created)

    def _write_sets(self, sets_of: dict[str, list[str]], stored_before: set[str]) -> None:
        conn = self.conn
        stale = [rid for rid in sets_of if rid in stored_before]  # new rows have no memberships yet
        for start in range(0, len(stale), _CHUNK):
            conn.execute(t.resource_sets.delete().where(t.resource_sets.c.resource_id.in_(stale[start : start + _CHUNK])))
        specs = list(dict.fromkeys(spec for specs in sets_of.values() for spec in specs))
        if not specs:
            return
        present: set[str] = set()
        for start in range(0, len(specs), _CHUNK):
            present.update(conn.execute(select(t.sets.c.spec).where(t.sets.c.spec.in_(specs[start : start + _CHUNK]))).scalars())
        missing = [spec for spec in specs if spec not in present]
        if missing:
            conn.execute(insert(t.sets), [{"spec": spec, "name": spec, "description": None} for spec in missing])
        conn.execute(
            insert(t.resource_sets),
            [{"resource_id": rid, "spec": spec} for rid, specs in sets_of.items() for spec in dict.fromkeys(specs)],
        )
