"""The store's tables, as SQLAlchemy Core objects (the latest schema version).

Only the store package writes SQL. The record itself is kept as JSON text; columns
beside it exist only where a query needs them (listing order, datestamps, sets).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Settings of the data folder (schema version, repository name, licence policy, ...).
meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# The current state of every resource; a deletion leaves a tombstone (deleted=1, data kept)
# because OAI-PMH harvesters must learn of it forever.
resources = Table(
    "resources",
    metadata,
    Column("id", String(512), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("datestamp", String(20), nullable=False),
    Column("created", String(20), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("license", String(200)),
    Column("name", Text, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_resources_datestamp", "datestamp", "id"),
    Index("ix_resources_seq", "seq"),
)

# Every change gets the next sequence number: strictly increasing, never reused.
# ``data`` is the record after the change, so any past state can be served again.
changes = Table(
    "changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("resource_id", String(512), nullable=False),
    Column("action", String(10), nullable=False),
    Column("datestamp", String(20), nullable=False),
    Column("origin", String(300), nullable=False),
    Column("changed", Text, nullable=False, default="[]"),
    Column("data", Text),
    Index("ix_changes_resource", "resource_id", "seq"),
    sqlite_autoincrement=True,
)

sets = Table(
    "sets",
    metadata,
    Column("spec", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text),
)

resource_sets = Table(
    "resource_sets",
    metadata,
    Column("resource_id", String(512), ForeignKey("resources.id"), primary_key=True),
    Column("spec", String(200), primary_key=True),
    Index("ix_resource_sets_spec", "spec", "resource_id"),
)

# Partner repositories harvested over OAI-PMH (schema version 2).
sources = Table(
    "sources",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("url", Text, nullable=False),
    Column("metadata_prefix", String(100)),
    Column("set_specs", Text, nullable=False, default="[]"),
    Column("settings", Text, nullable=False, default="{}"),
    Column("state", Text, nullable=False, default="{}"),
    Column("added", String(20), nullable=False),
)

# Where each harvested record came from; one row per (source, OAI identifier).
provenance = Table(
    "provenance",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("oai_identifier", String(1000), primary_key=True),
    Column("resource_id", String(512), nullable=False),
    Column("datestamp", String(40)),
    Column("set_specs", Text, nullable=False, default="[]"),
    Column("metadata_prefix", String(100)),
    Column("harvested_at", String(20), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    # schema version 4: "primary" (its source's data is the record) or "duplicate", and
    # the flags a harvest raised on the record (licence problems, fields left out).
    Column("role", String(20)),
    Column("notes", Text),
    # schema version 5: the OAI-PMH provenance the partner published with the record (the
    # chains of originDescriptions back to its origin, as JSON), re-published in our feed.
    Column("origin", Text),
    Index("ix_provenance_resource", "resource_id"),
)

# Keys that find the same resource in another partner's records (DOI, normalised URL,
# title + creators), schema version 4.
match_keys = Table(
    "match_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("resource_id", String(512), primary_key=True),
    Index("ix_match_keys_resource", "resource_id"),
)
