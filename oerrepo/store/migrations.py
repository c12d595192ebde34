"""Numbered schema steps: a newer library upgrades an older data folder in place.

Each step runs in its own transaction and records the version it reached, so an
upgrade interrupted half-way leaves the store at the last complete version.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

from . import tables


def _v1(conn: Connection) -> None:
    for table in (tables.meta, tables.resources, tables.changes, tables.sets, tables.resource_sets):
        table.create(conn, checkfirst=True)


def _v2(conn: Connection) -> None:
    # Harvesting: the registry of partner sources and per-record provenance.
    for table in (tables.sources, tables.provenance):
        table.create(conn, checkfirst=True)


def _v3(conn: Connection) -> None:
    # OAI-PMH feed and incremental index catch-up read changes by datestamp.
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_changes_datestamp ON changes (datestamp, seq)"))


def _v4(conn: Connection) -> None:
    # Harvesting: duplicate detection across partners and per-record harvest flags.
    from sqlalchemy import inspect

    columns = {c["name"] for c in inspect(conn).get_columns("provenance")}
    for name, kind in (("role", "VARCHAR(20)"), ("notes", "TEXT")):
        if name not in columns:
            conn.execute(text(f"ALTER TABLE provenance ADD COLUMN {name} {kind}"))
    tables.match_keys.create(conn, checkfirst=True)


def _v5(conn: Connection) -> None:
    # A network of hubs: the provenance chain each harvested record arrived with.
    from sqlalchemy import inspect

    if "origin" not in {c["name"] for c in inspect(conn).get_columns("provenance")}:
        conn.execute(text("ALTER TABLE provenance ADD COLUMN origin TEXT"))


STEPS: list[tuple[int, Callable[[Connection], None]]] = [(1, _v1), (2, _v2), (3, _v3), (4, _v4), (5, _v5)]
LATEST = STEPS[-1][0]
