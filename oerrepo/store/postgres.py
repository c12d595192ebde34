"""What the store needs to run on PostgreSQL: engines, write serialisation, claims, errors.

On SQLite one writer at a time is a property of the file. On PostgreSQL several web and
harvest processes write at once, so a write transaction first takes one transaction-level
advisory lock: the ``changes`` sequence is then handed out in commit order, and a reader
that has seen change N can never later find a change below N committed late (the index
catch-up and the OAI-PMH feed read changes by seq and rely on that).

Long-running work that must not run twice at once (harvesting one partner source) takes a
session-level advisory lock on a connection of its own: PostgreSQL drops it by itself when
the process dies, so a killed worker never leaves a source claimed.
"""

from __future__ import annotations

import os
import time
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from ..store_probe import CONFIG_FILE  # a data folder may name its database instead of holding repo.db

__all__ = [
    "CONFIG_FILE",
    "folder_db_url",
    "is_postgres_url",
    "make_engine",
    "lock_writes",
    "SCOPED_KEY_SQL",
    "try_lock",
    "unlock",
    "explain",
    "display_url",
]

# Advisory lock keys share one 64-bit space per database; ours all derive from names
# under "oerrepo:" so they do not collide with an operator's own.
_WRITE_LOCK_NAME = "oerrepo:store:write"


def is_postgres_url(url: str) -> bool:
    """True for a ``postgresql://`` or ``postgresql+driver://`` URL."""
    return url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL holds no recognisable password to hide
        return url


def folder_db_url(path: Path) -> str | None:
    """The database URL a data folder names in ``oerrepo.toml`` (``[store] url = "..."``), if any.

    Lets ``oerrepo --data DIR`` mean a PostgreSQL catalogue for operators who keep the
    folder (settings, exports) on each web server but the records in one database.
    ``${VAR}`` in the URL is taken from the environment, so no password need sit in the
    file (libpq's PGPASSWORD and ~/.pgpass work too).

    >>> # oer-data/oerrepo.toml:  [store]\\n url = "postgresql+psycopg://oer@db.example/oer"
    """
    from ..errors import StoreError

    config = Path(path) / CONFIG_FILE
    if not config.is_file():
        return None
    try:
        settings = tomllib.loads(config.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise StoreError(f"{config} is not readable TOML ({exc}); write it as: [store] url = \"postgresql+psycopg://...\"") from exc
    url = (settings.get("store") or {}).get("url")
    if url in (None, ""):
        return None
    if not isinstance(url, str):
        raise StoreError(f"{config}: [store] url must be a string such as \"postgresql+psycopg://user@host/db\"")
    return os.path.expandvars(url)


def make_engine(url: str) -> Engine:
    """An engine for a PostgreSQL URL (psycopg 3 unless the URL names another driver)."""
    from ..errors import StoreError

    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        # SQLAlchemy's bare "postgresql" means psycopg2; the driver we ship for is psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(
            parsed,
            pool_size=int(os.environ.get("OERREPO_DB_POOL", "5")),
            max_overflow=10,
            connect_args={"connect_timeout": 10, "application_name": "oerrepo"},
        )
    except ImportError as exc:
        raise StoreError(
            f"the store at {display_url(url)} needs the PostgreSQL driver psycopg ({exc.name or exc}); "
            "install it with: pip install 'oerrepo[postgresql]'"
        ) from exc
    _ping_when_idle(engine)
    return engine


# A pooled connection is tried before use when it has rested this long (seconds). SQLAlchemy's
# pool_pre_ping tries it at every checkout: a round trip per transaction, which a harvest (a
# transaction a page, one after another) paid ~5 ms a page for on a busy machine. A server
# restarting within the second still costs the statement that meets it (an error saying so, and
# the pool replaced).
PING_IDLE_AFTER = 1.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _rested_from(dbapi_connection, record) -> None:
        record.info["oerrepo_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _try(dbapi_connection, record, proxy) -> None:
        rested = record.info.get("oerrepo_checked_in")
        if rested is not None and time.monotonic() - rested < PING_IDLE_AFTER:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:  # e.g. "terminating connection due to administrator command"
            alive = False
        if not alive:
            # The pool drops this connection and checks out a new one (PoolEvents.checkout).
            raise DisconnectionError("the PostgreSQL server closed a pooled connection")


# Advisory locks are database-wide: two catalogues in two schemas of one database must not
# wait for each other's writes or claims. The key is therefore derived from the schema the
# connection works in, on the server, so that taking a lock stays one round trip.
SCOPED_KEY_SQL = "('x' || left(md5(current_schema() || ':' || :name), 16))::bit(64)::bigint"


def lock_writes(conn: Connection) -> None:
    """Serialise the write transactions of this schema's catalogue (held until commit or rollback)."""
    conn.execute(text(f"SELECT pg_advisory_xact_lock({SCOPED_KEY_SQL})"), {"name": _WRITE_LOCK_NAME})


def try_lock(conn: Connection, name: str) -> bool:
    """Take the session-level lock ``name`` (in this schema) unless another session holds it."""
    return bool(conn.execute(text(f"SELECT pg_try_advisory_lock({SCOPED_KEY_SQL})"), {"name": name}).scalar())


def unlock(conn: Connection, name: str) -> None:
    """Release a lock taken with :func:`try_lock`."""
    conn.execute(text(f"SELECT pg_advisory_unlock({SCOPED_KEY_SQL})"), {"name": name})


def explain(message: str, url: str) -> str | None:
    """A message that says what to check for a PostgreSQL error, or None when none fits."""
    shown = display_url(url)
    lowered = message.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"PostgreSQL refused the login for {shown} ({_first_line(message)}); check the user name and password "
            "(in the URL, PGPASSWORD or ~/.pgpass)"
        )
    if "connection refused" in lowered or "could not connect" in lowered or "timeout expired" in lowered:
        return (
            f"cannot reach the PostgreSQL server of {shown} ({_first_line(message)}); check that the server runs "
            "and that the host and port in the URL are right"
        )
    if "could not translate host name" in lowered or "name or service not known" in lowered:
        return f"the host in {shown} is unknown ({_first_line(message)}); check the host name in the URL"
    if "does not exist" in lowered and "database" in lowered:
        return f"the database of {shown} does not exist ({_first_line(message)}); create it with: createdb NAME"
    if "role" in lowered and "does not exist" in lowered:
        return f"the user of {shown} does not exist on the server ({_first_line(message)}); check the user name"
    if "no pg_hba.conf entry" in lowered:
        return f"the PostgreSQL server refuses connections from this host for {shown}; ask its operator to allow it in pg_hba.conf"
    if "read-only transaction" in lowered or "recovery is in progress" in lowered or "hot standby" in lowered:
        return (
            f"the PostgreSQL database of {shown} is read-only (a standby or a read-only transaction); "
            "point --db at the primary server to write"
        )
    if "permission denied" in lowered:
        return (
            f"the PostgreSQL user of {shown} lacks a privilege ({_first_line(message)}); "
            "grant it CREATE and USAGE on the schema, or connect as the database owner"
        )
    if "too many connections" in lowered or "remaining connection slots" in lowered:
        return f"the PostgreSQL server of {shown} has no free connection ({_first_line(message)}); raise max_connections or lower OERREPO_DB_POOL"
    return None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


def server_facts(conn: Connection) -> dict[str, Any]:
    """Version, collation and installed extensions (for `stats` and for checking a new database)."""
    version = conn.execute(text("SHOW server_version")).scalar()
    collation = conn.execute(text("SHOW lc_collate")).scalar()
    extensions = sorted(r[0] for r in conn.execute(text("SELECT extname FROM pg_extension")))
    return {"server_version": version, "lc_collate": collation, "extensions": extensions}
