"""The last change of a SQLite data folder, read with the standard library alone.

Importing SQLAlchemy takes longer than a whole search in a current index, so a command
that only searches first asks here whether the index has seen the store's last change
(``Repository.search``); only when it has not is the store opened for real. Part of the
store layer, kept outside the ``store`` package because importing that imports SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["CONFIG_FILE", "SCHEMA_VERSION", "sqlite_last_change"]

# The schema version this oerrepo writes: store/migrations.py's LATEST (a test keeps them equal).
# A folder at another version is opened for real, which upgrades it or says why it cannot.
SCHEMA_VERSION = 5
# A data folder may name its database server in this file instead of holding a SQLite file
# (see store/postgres.py, folder_db_url).
CONFIG_FILE = "oerrepo.toml"


def sqlite_last_change(db: Path) -> int | None:
    """The sequence number of the last change in the SQLite store ``db``; None when it cannot
    be answered this way (no store yet, another schema version, a database server named in
    the folder's oerrepo.toml, a database that cannot be read)."""
    if (db.parent / CONFIG_FILE).exists() or not db.is_file():
        return None
    try:
        # Read-only: a reader never creates, upgrades or locks anything.
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None or str(row[0]) != str(SCHEMA_VERSION):
            return None
        return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])
    except (sqlite3.Error, ValueError):
        return None
    finally:
        conn.close()
