"""The queries behind the OAI-PMH feed: lists served as of a sequence number.

A harvest that spans many requests must return every record exactly once, whatever
changes meanwhile. Lists are therefore paged by record id (a key no update moves) and
each record is served in its state as of the sequence number the list started at:
a row unchanged since then is its own snapshot; a row changed since is looked up in
``changes``, which keeps the record after every change. Records added after the start
are left out (the next incremental harvest picks them up by datestamp).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from ..model import Resource
from . import Store
from . import tables as t
from .codec import loads

__all__ = ["Selection", "FeedRecord", "snapshot_seq", "iter_as_of", "iter_records_as_of", "count_as_of",
           "distinct_licenses", "language_lists", "get_any", "collection_exists"]


class FeedRecord:
    """One record of a list as the feed serves it: its id, seq (None for a past state), datestamp,
    tombstone flag and stored JSON text, decoded only when ``data`` is asked for.

    A feed that keeps rendered records by (id, seq) never decodes the ones it has.
    """

    __slots__ = ("id", "seq", "datestamp", "deleted", "text", "_data")

    def __init__(self, resource_id: str, seq: int | None, datestamp: str, deleted: bool, text: str | None,
                 data: dict | None = None):
        self.id = resource_id
        self.seq = seq
        self.datestamp = datestamp
        self.deleted = deleted
        self.text = text
        self._data = data

    @property
    def data(self) -> dict:
        if self._data is None:
            self._data = loads(self.text) if self.text else {"id": self.id}
        return self._data

    def resource(self) -> Resource:
        return Resource(data=self.data, seq=self.seq, datestamp=self.datestamp, deleted=self.deleted)


@dataclass(frozen=True)
class Selection:
    """What a list selects: datestamp range, a collection, licence URLs and text the record's JSON holds.

    ``data_contains`` are exact substrings of the stored JSON text (a cheap, portable
    pre-filter: callers check the parsed record for exactness).
    """

    since: str | None = None
    until: str | None = None
    collection: str | None = None
    license_urls: tuple[str, ...] | None = None
    data_contains: tuple[str, ...] = ()


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _conditions(sel: Selection) -> list:
    r = t.resources.c
    conds: list = []
    if sel.since:
        conds.append(r.datestamp >= sel.since)
    if sel.until:
        conds.append(r.datestamp <= sel.until)
    if sel.collection:
        rs = t.resource_sets.c
        prefix = _like(sel.collection + ":")[1:]  # "spec:%" (no leading wildcard)
        conds.append(
            r.id.in_(select(rs.resource_id).where((rs.spec == sel.collection) | rs.spec.like(prefix, escape="\\")))
        )
    if sel.license_urls is not None:
        conds.append(r.license.in_(sel.license_urls))
    for text in sel.data_contains:
        conds.append(r.data.like(_like(text), escape="\\"))
    return conds


def _matches_revision(sel: Selection, datestamp: str, data_text: str | None) -> bool:
    """The same selection as :func:`_conditions`, applied to a past state of a record."""
    if sel.since and datestamp < sel.since:
        return False
    if sel.until and datestamp > sel.until:
        return False
    if data_text is None:
        return not (sel.collection or sel.license_urls is not None or sel.data_contains)
    data = loads(data_text)
    if sel.collection and not any(
        s == sel.collection or s.startswith(sel.collection + ":") for s in data.get("sets", ())
    ):
        return False
    if sel.license_urls is not None and data.get("license") not in sel.license_urls:
        return False
    return all(text in data_text for text in sel.data_contains)


def snapshot_seq(store: Store) -> int:
    """The sequence number of the last committed change (a list started now is served as of it)."""
    return store.last_seq()


def _as_of(conn, resource_id: str, as_of: int) -> tuple[str, bool, str | None] | None:
    """(datestamp, deleted, data text) of a record as of ``as_of``; None when it did not exist then."""
    c = t.changes.c
    rev = conn.execute(
        select(c.seq, c.action, c.datestamp, c.data)
        .where(c.resource_id == resource_id, c.seq <= as_of)
        .order_by(c.seq.desc())
        .limit(1)
    ).first()
    if rev is None:
        return None
    if rev.action != "delete":
        return rev.datestamp, False, rev.data
    # A tombstone keeps the sets (and so the set lists) of the record it replaced.
    before = conn.execute(
        select(c.data)
        .where(c.resource_id == resource_id, c.seq < rev.seq, c.data.is_not(None))
        .order_by(c.seq.desc())
        .limit(1)
    ).first()
    return rev.datestamp, True, before.data if before else None


def iter_as_of(
    store: Store, sel: Selection, *, as_of: int, after_id: str | None = None, batch: int = 200
) -> Iterator[Resource]:
    """Stream the records a selection held as of sequence number ``as_of``, by id after ``after_id``.

    Tombstones are included (``deleted=True``, ``data`` the last live state or ``{}``).
    Each batch is read in its own short read transaction, so a slow client never holds one.
    """
    for record in iter_records_as_of(store, sel, as_of=as_of, after_id=after_id, batch=batch):
        yield record.resource()


def iter_records_as_of(
    store: Store, sel: Selection, *, as_of: int, after_id: str | None = None, batch: int = 200
) -> Iterator[FeedRecord]:
    """As :func:`iter_as_of`, as :class:`FeedRecord` (JSON decoded on demand; ``seq`` None for a past state)."""
    r = t.resources.c
    conds = _conditions(sel)
    unchanged = and_(r.seq <= as_of, *conds)
    last = after_id
    while True:
        query = select(r.id, r.seq, r.datestamp, r.deleted, r.data).where(or_(unchanged, r.seq > as_of))
        if last is not None:
            query = query.where(r.id > last)
        query = query.order_by(r.id).limit(batch)
        out: list[FeedRecord] = []
        with store.reading() as conn:
            rows = conn.execute(query).all()
            for rid, seq, datestamp, deleted, text in rows:
                if seq <= as_of:
                    out.append(FeedRecord(rid, seq, datestamp, bool(deleted), text))
                    continue
                past = _as_of(conn, rid, as_of)
                if past is None:
                    continue
                datestamp, deleted, data_text = past
                if not _matches_revision(sel, datestamp, data_text):
                    continue
                out.append(FeedRecord(rid, None, datestamp, deleted, data_text))
        yield from out
        if len(rows) < batch:
            return
        last = rows[-1][0]


def count_as_of(store: Store, sel: Selection, *, as_of: int) -> int:
    """How many records :func:`iter_as_of` yields for this selection (counted in SQL)."""
    r = t.resources.c
    with store.reading() as conn:
        n = conn.execute(select(func.count()).select_from(t.resources).where(r.seq <= as_of, *_conditions(sel))).scalar_one()
        for (rid,) in conn.execute(select(r.id).where(r.seq > as_of)).all():
            past = _as_of(conn, rid, as_of)
            if past is not None and _matches_revision(sel, past[0], past[2]):
                n += 1
    return n


def get_any(store: Store, resource_id: str) -> Resource | None:
    """The current state of a record, tombstones included; None when the id was never stored."""
    r = t.resources.c
    with store.reading() as conn:
        row = conn.execute(select(r.id, r.seq, r.datestamp, r.deleted, r.data).where(r.id == resource_id)).first()
    if row is None:
        return None
    return Resource(data=loads(row.data), seq=row.seq, datestamp=row.datestamp, deleted=bool(row.deleted))


def distinct_licenses(store: Store) -> list[str]:
    """Every licence URL a record (live or deleted) carries."""
    r = t.resources.c
    with store.reading() as conn:
        return [u for (u,) in conn.execute(select(r.license).where(r.license.is_not(None)).distinct()) if u]


def language_lists(store: Store, batch: int = 2000) -> Iterator[Sequence[str]]:
    """The ``inLanguage`` list of every record, streamed (for the language sets)."""
    r = t.resources.c
    last = None
    while True:
        query = select(r.id, r.data).order_by(r.id).limit(batch)
        if last is not None:
            query = query.where(r.id > last)
        with store.reading() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield loads(row.data).get("inLanguage") or ()
        if len(rows) < batch:
            return
        last = rows[-1].id


def collection_exists(store: Store, spec: str) -> bool:
    """True when a collection has this spec or is below it (``a`` exists when ``a:b`` does)."""
    s = t.sets.c
    with store.reading() as conn:
        row = conn.execute(
            select(s.spec).where((s.spec == spec) | s.spec.like(_like(spec + ":")[1:], escape="\\")).limit(1)
        ).first()
    return row is not None
