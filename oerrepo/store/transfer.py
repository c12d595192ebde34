"""Copy a whole store to another database (SQLite <-> PostgreSQL) without loss, and prove it.

Every table of the schema is copied row for row, primary keys included: resources and
their tombstones, every revision with its ``seq`` and datestamp, sets and memberships,
settings, partner sources with their harvest state, provenance and duplicate keys. The
source is read in one read transaction (a consistent snapshot even while it is in use);
the target is written in one transaction, so a failed copy leaves it as it was. Before that
transaction commits, both sides are counted and checksummed table by table, from the data
as each database returns it, and the copy is rolled back if any figure differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, func, select, text, tuple_

from ..errors import StoreError
from . import Store
from . import tables as t

__all__ = ["TableCheck", "TransferReport", "copy_store", "checksums"]

_BATCH = 2000
_MODULUS = 1 << 128


@dataclass(frozen=True)
class TableCheck:
    """One table's row counts and checksums on both sides."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


@dataclass
class TransferReport:
    """What a copy did: source and target (passwords hidden) and the check of every table."""

    source: str
    target: str
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.tables)

    @property
    def rows(self) -> int:
        return sum(check.target_rows for check in self.tables)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "target": self.target,
            "ok": self.ok,
            "tables": [
                {
                    "table": c.table,
                    "sourceRows": c.source_rows,
                    "targetRows": c.target_rows,
                    "sourceChecksum": c.source_checksum,
                    "targetChecksum": c.target_checksum,
                    "ok": c.ok,
                }
                for c in self.tables
            ],
        }


def _tables() -> list[Table]:
    return list(t.metadata.sorted_tables)  # parents before children (resources before resource_sets)


def _pk(table: Table) -> list:
    return list(table.primary_key.columns)


def _canonical(value: Any) -> Any:
    # Both databases hand values back through the same SQLAlchemy column types (a SQLite
    # 0/1 comes back as a bool), so one canonical form serves both sides.
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def _row_digest(row: Any) -> int:
    blob = json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(blob.encode("utf-8")).digest()[:16], "big")


def _stream(conn: Connection, table: Table) -> Iterator[list]:
    """The table's rows in primary-key order, a batch at a time (keyset paging: no OFFSET)."""
    pk = _pk(table)
    last: tuple | None = None
    while True:
        query = select(table).order_by(*pk).limit(_BATCH)
        if last is not None:
            query = query.where(pk[0] > last[0] if len(pk) == 1 else tuple_(*pk) > tuple_(*last))
        rows = conn.execute(query).all()
        if not rows:
            return
        yield rows
        if len(rows) < _BATCH:
            return
        last = tuple(getattr(rows[-1], c.name) for c in pk)


class _Sum:
    """Row count and an order-independent checksum (the two databases may sort ids differently)."""

    def __init__(self) -> None:
        self.rows = 0
        self.total = 0

    def add(self, rows: list) -> None:
        for row in rows:
            self.rows += 1
            self.total = (self.total + _row_digest(tuple(row))) % _MODULUS

    @property
    def value(self) -> tuple[int, str]:
        return self.rows, f"{self.total:032x}"


def _table_checksum(conn: Connection, table: Table) -> tuple[int, str]:
    """(rows, checksum) of a table."""
    summed = _Sum()
    for rows in _stream(conn, table):
        summed.add(rows)
    return summed.value


def checksums(store: Store) -> dict[str, tuple[int, str]]:
    """{table: (rows, checksum)} of every table of a store, from one snapshot."""
    with store.reading() as conn:
        return {table.name: _table_checksum(conn, table) for table in _tables()}


def _target_is_empty(conn: Connection) -> list[str]:
    """Names of the target's tables that already hold data (settings of a fresh store aside)."""
    busy = []
    for table in _tables():
        query = select(func.count()).select_from(table)
        if table is t.meta:
            # init keeps the hub's OAI identifier at once; the copied catalogue brings its own.
            query = query.where(t.meta.c.key.notin_(("schema_version", "created", "setting:oai_identifier")))
        if conn.execute(query).scalar_one():
            busy.append(table.name)
    return busy


def _reset_sequences(conn: Connection, target: Store) -> None:
    """Make the target hand out sequence numbers after the copied ones."""
    if not target.is_postgres:
        return  # SQLite's AUTOINCREMENT bookkeeping follows explicit inserts by itself
    for table in _tables():
        for column in _pk(table):
            if column.autoincrement is True:  # changes.seq
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) FROM {table.name}"
                    )
                )


def copy_store(
    source: Store, target_url: str, *, progress: Callable[[int], None] | None = None
) -> TransferReport:
    """Copy every row of ``source`` into the (new or empty) store at ``target_url`` and verify it.

    Raises StoreError when the target already holds records, or when the verification
    finds any difference (the report is in the message).
    """
    target = Store(target_url)
    if target.url == source.url:
        raise StoreError("the target is the store being copied; give another database URL or folder with --to")
    target.open()
    report = TransferReport(source=source.display_url, target=target.display_url)
    source_sums: dict[str, _Sum] = {}
    try:
        with source.reading() as reader, target.transaction() as writer:
            busy = _target_is_empty(writer)
            if busy:
                raise StoreError(
                    f"the target {target.display_url} already holds data (tables: {', '.join(busy)}); "
                    "copy into a new, empty database or folder"
                )
            writer.execute(t.meta.delete())
            for table in _tables():
                names = [c.name for c in table.columns]
                summed = source_sums[table.name] = _Sum()
                for rows in _stream(reader, table):
                    summed.add(rows)  # from the snapshot being copied, so later writes to the source do not matter
                    writer.execute(table.insert(), [dict(zip(names, row)) for row in rows])
                    if progress:
                        progress(len(rows))
            _reset_sequences(writer, target)
            # Verified inside the copy's own transaction, before it commits: a copy that
            # differs is rolled back and the target stays empty.
            for table in _tables():
                (s_rows, s_sum), (t_rows, t_sum) = source_sums[table.name].value, _table_checksum(writer, table)
                report.tables.append(TableCheck(table.name, s_rows, t_rows, s_sum, t_sum))
            if not report.ok:
                bad = ", ".join(c.table for c in report.tables if not c.ok)
                raise StoreError(
                    f"the copy to {report.target} differed from the source in: {bad}; nothing was committed "
                    "there (the target is still empty)"
                )
    finally:
        target.close()
    return report
