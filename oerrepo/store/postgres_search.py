"""PostgreSQL full-text search tables and queries (the SQL of :mod:`oerrepo.index.postgres`).

Every web worker searches the same tables, so no index folder has to be shared.

- ``search_docs``: one row per live resource. ``tsv`` holds the tokens the index
  analysis (:mod:`oerrepo.index.tokens`, shared with the Whoosh index) made of the
  record, written as a tsvector literal: folded words with their field's weight (A
  titles, B keywords, C descriptions, D people and organisations), stems (``~``),
  topics (``#``) and topics named inside compounds (``%``). No
  PostgreSQL text search configuration analyses anything, so both backends find alike.
  ``codes`` holds the document's facet values as small integers (one GIN index serves
  every facet filter); ``langs`` the primary language subtags; ``phrases`` each text
  field's folded words in order, where a quoted phrase is checked (see
  :mod:`oerrepo.index.phrases`). The tokens of ``tsv`` are also what ``search_words``
  counts for the document.
- ``search_facet_values``: (property, value) -> code. A code is ``8 * n + slot``, the slot
  naming the property, so a query can tell a code's property without a join.
- ``search_words``: every token with its document count, under a trigram index
  (pg_trgm): what the query planner asks (frequencies, compounds, "did you mean").
- ``search_state``: the last store change applied and the schema version, written in
  the same transaction as the documents, so the index never runs ahead of itself; and
  the ``epoch``, new at every rebuild.
- ``search_log``: the document numbers (``docno``, small integers standing for a
  document in a bitmap) each write touched, in order, so a searching process brings
  its bitmaps of documents (:mod:`oerrepo.index.postgres_docsets`) up to date by
  reading only what changed. The newest :data:`LOG_KEPT` entries are kept.

A planned query arrives as a small tree of tuples (see :class:`_Compiler`); its tokens'
documents come back as document numbers, and the searching process counts and filters
them as bitmaps. SQL then ranks only the rows rare tokens reach and reads the page, in
one statement (:func:`page`). No user text is ever spliced into SQL.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from ..errors import SearchError
from ..index import phrases
from . import Store, postgres
from .codec import dumps

__all__ = [
    "FACETS",
    "install",
    "state",
    "writing",
    "put_documents",
    "delete_documents",
    "clear",
    "analyze",
    "Row",
    "row_columns",
    "Rows",
    "searching",
    "by_index",
    "position",
    "facet_values",
    "all_documents",
    "changed_documents",
    "postings",
    "docnos_of",
    "lookup",
    "prefix_words",
    "closest_words",
    "page",
]


# The facet properties; a property's place here is its slot in a facet code.
from ..model import FACETS  # noqa: E402  (the one list every backend uses)

_SLOT = {prop: i for i, prop in enumerate(FACETS)}
_SLOTS = 8  # code = _SLOTS * n + slot

# As in the Whoosh index: an exact title match multiplies the score.
EXACT_TITLE_BOOST = 3.0

_WEIGHTS = {"title": "A", "keywords": "B", "description": "C", "body": "D"}
# Token kinds in the tsvector (a folded word has no mark).
MARKS = {"word": "", "stem": "~", "topic": "#", "part": "%"}

_LOCK = "oerrepo:search:apply"
# Entries of search_log kept: a process whose bitmaps are further behind reads them afresh.
LOG_KEPT = 50_000


def _lock(conn: Connection, wait: bool) -> bool:
    key = postgres.SCOPED_KEY_SQL
    if wait:
        conn.execute(text(f"SELECT pg_advisory_xact_lock({key})"), {"name": _LOCK})
        return True
    return bool(conn.execute(text(f"SELECT pg_try_advisory_xact_lock({key})"), {"name": _LOCK}).scalar())


def _exists(conn: Connection, regclass: str) -> bool:
    return conn.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": regclass}).scalar()


def extensions_missing(conn: Connection) -> list[str]:
    have = {r[0] for r in conn.execute(text("SELECT extname FROM pg_extension"))}
    return [e for e in ("pg_trgm",) if e not in have]


def install(store: Store, version: str) -> None:
    """Create the search tables and indexes where missing (of another ``version``: drop them,
    so the caller sees needs_rebuild and rebuilds).

    Needs the extension pg_trgm: it is created when the user may (a superuser or, from
    PostgreSQL 13, a database owner for this trusted extension).
    """
    with store.transaction() as conn:
        _lock(conn, wait=True)
        for ext in extensions_missing(conn):
            try:
                with conn.begin_nested():
                    conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
            except DBAPIError as exc:
                raise SearchError(
                    f"PostgreSQL search needs the extension {ext}, which this user may not create "
                    f"({postgres._first_line(str(exc.orig))}); ask the database owner to run: CREATE EXTENSION {ext};"
                ) from exc
        if _exists(conn, "search_docs") and _outdated(conn, version):
            for table in ("search_docs", "search_words", "search_facet_values", "search_state", "search_log"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            conn.execute(text("DROP SEQUENCE IF EXISTS search_docno"))
        if not _exists(conn, "search_docs"):
            for statement in _TABLES:
                conn.execute(text(statement))
            _put_state(conn, "epoch", uuid.uuid4().hex)


def _outdated(conn: Connection, version: str) -> bool:
    stored = (
        conn.execute(text("SELECT value FROM search_state WHERE key = 'schema'")).scalar()
        if _exists(conn, "search_state")
        else None
    )
    # Tables of an older layout lack the document numbers (and the change log beside them),
    # or keep each document's words in a column of their own.
    columns = set(
        conn.execute(
            text(
                "SELECT attname FROM pg_attribute WHERE attrelid = CAST('search_docs' AS regclass) "
                "AND attname IN ('docno', 'words') AND NOT attisdropped"
            )
        ).scalars()
    )
    return columns != {"docno"} or not _exists(conn, "search_log") or stored not in (None, version)


_MARKED = "left(word, 1) NOT IN ('~', '#', '%')"
_TABLES = [
    "CREATE SEQUENCE search_docno AS integer",
    """CREATE TABLE search_docs (
        id text PRIMARY KEY,
        docno integer NOT NULL UNIQUE,
        name text NOT NULL,
        sortname text NOT NULL,
        title_exact text[] NOT NULL,
        date text NOT NULL,
        license text,
        languages text[] NOT NULL,
        langs text[] NOT NULL,
        description text NOT NULL,
        tsv tsvector NOT NULL,
        phrases text[] NOT NULL,
        codes integer[] NOT NULL
    )""",
    # No query's plan turns on the phrases (matched by a pattern the planner cannot estimate
    # from them): ANALYZE, after every large write, spent a good part of its time on their
    # array statistics.
    "ALTER TABLE search_docs ALTER COLUMN phrases SET STATISTICS 0",
    "CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv)",
    "CREATE INDEX search_docs_date ON search_docs (date DESC, sortname)",
    "CREATE INDEX search_docs_recent ON search_docs (date DESC, id)",
    "CREATE INDEX search_docs_sortname ON search_docs (sortname, date)",
    "CREATE INDEX search_docs_codes ON search_docs USING GIN (codes)",
    """CREATE TABLE search_facet_values (
        code integer PRIMARY KEY,
        prop text NOT NULL,
        value text NOT NULL,
        UNIQUE (prop, value)
    )""",
    "CREATE TABLE search_words (word text PRIMARY KEY, ndoc integer NOT NULL)",
    # Only folded words are looked up by LIKE and similarity; marked tokens only by '=', which
    # the primary key answers (pg_trgm's index would answer it too, far slower).
    f"CREATE INDEX search_words_trgm ON search_words USING GIN (word gin_trgm_ops) WHERE {_MARKED}",
    "CREATE TABLE search_state (key text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE search_log (n bigserial PRIMARY KEY, docno integer NOT NULL)",
]


def state(store: Store) -> dict[str, str]:
    """The index's bookkeeping ({} when the tables do not exist)."""
    try:
        with store.reading() as conn:
            return {k: v for k, v in conn.execute(text("SELECT key, value FROM search_state"))}
    except ProgrammingError as exc:  # one statement a search, not two: ask, and hear if it is missing
        if getattr(exc.orig, "sqlstate", None) == "42P01":  # undefined_table
            return {}
        raise


def progress(store: Store) -> tuple[dict[str, str], int]:
    """The index's bookkeeping ({} when the tables do not exist) and the store's last change,
    in one statement."""
    try:
        with store.reading() as conn:
            rows = conn.execute(
                text(
                    "SELECT CAST(NULL AS text), CAST(coalesce(max(seq), 0) AS text) FROM changes "
                    "UNION ALL SELECT key, value FROM search_state"
                )
            ).all()
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42P01":  # no search tables yet
            return {}, store.last_seq()
        raise
    return {k: v for k, v in rows if k is not None}, int(next(v for k, v in rows if k is None))


def _put_state(conn: Connection, key: str, value: str) -> None:
    conn.execute(
        text("INSERT INTO search_state (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = :v"),
        {"k": key, "v": value},
    )


@dataclass
class Row:
    """One document in the form the search tables take (see oerrepo.index.postgres): its id,
    its facet values, its other columns as the JSON object :func:`row_columns` writes, and
    the distinct tokens of its tsvector, one a line, which search_words counts.

    The columns travel as one JSON text from the process that analysed the document to the
    server: the process writing rows neither unpickles nor encodes again the document's
    hundreds of words (1.4-2.9 s less CPU in a 20,000-record import). The tokens travel as
    one text too, and are counted here for a whole batch: the server, given each row's
    tokens to unnest and group, spent a quarter of the rows' write doing it."""

    id: str
    facets: dict[str, list[str]]
    columns: str
    words: str = ""


def row_columns(
    *, id: str, name: str, sortname: str, title_exact: list[str], date: str, license: str | None,
    languages: list[str], langs: list[str], description: str, tsv: str, phrases: list[str],
) -> str:
    """The JSON object of a row's columns: ``tsv`` a tsvector literal (see :func:`tsvector_of`);
    ``phrases`` each text field's folded words in order (see oerrepo.index.phrases)."""
    return dumps({
        "id": id, "name": name, "sortname": sortname, "title_exact": title_exact, "date": date, "license": license,
        "languages": languages, "langs": langs, "description": description, "tsv": tsv, "phrases": phrases,
    })


def tsvector_of(groups: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, list[str]]:
    """A tsvector literal of groups of (weight letter, tokens in order), each occurrence its
    own position, numbered on from one group to the next; and the distinct tokens it holds.

    Within PostgreSQL's limits: no lexeme over 2 KB, at most 256 places each, under 1 MB in
    all, positions past 16,383 given 16,383 (as PostgreSQL gives them). A token left out for
    them is not among the tokens returned, so search_words counts what the tsvector holds.
    """
    places: dict[str, list[str]] = {}
    position = 0  # of the token before
    for weight, tokens in groups:
        first, count = position + 1, len(tokens)
        # The places of a group's tokens, zipped with them: no string is made per token.
        labels = _labels(weight, first + count)[first : first + count]
        if len(labels) < count:  # past the last position PostgreSQL keeps
            labels += [f"{_LAST}{weight}"] * (count - len(labels))
        for token, label in zip(tokens, labels):
            # 500 characters are at most 2,000 bytes in UTF-8: only longer tokens are measured.
            if len(token) <= 500 or len(token.encode("utf-8")) <= 2000:
                p = places.get(token)
                if p is None:
                    places[token] = [label]
                else:
                    p.append(label)
        position += count
    out, size = [], 0
    for token, p in places.items():
        quoted = token
        if "\\" in token or "'" in token:
            quoted = token.replace("\\", "\\\\").replace("'", "''")
        item = f"'{quoted}':{','.join(p[:256])}"
        size += (len(item) if item.isascii() else len(item.encode("utf-8"))) + 1
        if size > 900_000:
            return " ".join(out), list(places)[: len(out)]
        out.append(item)
    return " ".join(out), list(places)


_LAST = 16383  # the last position of a tsvector
_LABELS: dict[str, list[str]] = {}


def _labels(weight: str, upto: int) -> list[str]:
    """The place of each position with ``weight`` ("0A", "1A", ...), to ``upto`` or the last.

    Grown as longer documents come, as a new list: a thread reading the one before reads
    it whole."""
    labels = _LABELS.get(weight, [])
    if len(labels) <= min(upto, _LAST):
        labels = _LABELS[weight] = labels + [f"{i}{weight}" for i in range(len(labels), min(upto, _LAST) + 1)]
    return labels


# A replaced document keeps its number (see put_documents). The rows arrive as one JSON
# array, one statement a batch: sent row by row (executemany), the server spent a third of
# an import's INSERT time waiting for the next row from a client busy reading records. The
# same statement adds the rows' tokens, counted by the client, to search_words.
_COLUMNS = (
    ("docno", "integer"), ("id", "text"), ("name", "text"), ("sortname", "text"), ("title_exact", "text[]"),
    ("date", "text"), ("license", "text"), ("languages", "text[]"), ("langs", "text[]"), ("description", "text"),
    ("tsv", "text"), ("phrases", "text[]"), ("codes", "integer[]"),
)
_UPSERT = text(
    f"""
    WITH docs AS (
        INSERT INTO search_docs ({", ".join(c for c, _ in _COLUMNS)})
        SELECT {", ".join("CAST(tsv AS tsvector)" if c == "tsv" else c for c, _ in _COLUMNS)}
        FROM json_to_recordset(CAST(:rows AS json)) AS r({", ".join(f"{c} {t}" for c, t in _COLUMNS)})
        ON CONFLICT (id) DO UPDATE SET
            {", ".join(f"{c} = EXCLUDED.{c}" for c, _ in _COLUMNS if c not in ("docno", "id"))}
    )
    INSERT INTO search_words (word, ndoc) SELECT * FROM unnest(CAST(:words AS text[]), CAST(:counts AS integer[]))
    ON CONFLICT (word) DO UPDATE SET ndoc = search_words.ndoc + EXCLUDED.ndoc
    """
)


def _forget_words(conn: Connection, ids: Sequence[str]) -> None:
    """Take the words of these documents out of the suggestion vocabulary; a word no document
    holds any more goes (one a later row of the same write brings back is inserted again).

    Only here does a count go down, so the words to delete are the ones this update returns:
    deleting every ``ndoc <= 0`` after each write read the whole vocabulary every time."""
    if not ids:
        return
    counted = conn.execute(
        text(
            """
            WITH gone AS (
                SELECT w, count(*) AS n FROM search_docs, unnest(tsvector_to_array(tsv)) AS w
                WHERE id = ANY(:ids) GROUP BY w
            )
            UPDATE search_words SET ndoc = search_words.ndoc - gone.n FROM gone WHERE search_words.word = gone.w
            RETURNING search_words.word, search_words.ndoc
            """
        ),
        {"ids": list(ids)},
    )
    unused = [word for word, ndoc in counted if ndoc <= 0]
    if unused:
        conn.execute(text("DELETE FROM search_words WHERE word = ANY(:w)"), {"w": unused})


def _facet_pairs(row: Row) -> Iterable[tuple[str, str]]:
    for prop in FACETS:
        for value in row.facets.get(prop) or ():
            yield prop, value


def _codes(conn: Connection, rows: Sequence[Row]) -> dict[tuple[str, str], int]:
    """The code of every facet value of these rows, new values given the next free codes
    (the caller holds the index's write lock, so no other writer hands out codes)."""
    pairs = sorted({pair for row in rows for pair in _facet_pairs(row)})
    if not pairs:
        return {}
    found = {
        (prop, value): code
        for prop, value, code in conn.execute(
            text(
                "SELECT f.prop, f.value, f.code FROM search_facet_values f "
                "JOIN unnest(CAST(:p AS text[]), CAST(:v AS text[])) AS n(prop, value) "
                "ON f.prop = n.prop AND f.value = n.value"
            ),
            {"p": [p for p, _ in pairs], "v": [v for _, v in pairs]},
        )
    }
    missing = [pair for pair in pairs if pair not in found]
    if missing:
        top = conn.execute(text(f"SELECT coalesce(max(code), 0) / {_SLOTS} FROM search_facet_values")).scalar_one()
        new = {pair: (top + i) * _SLOTS + _SLOT[pair[0]] for i, pair in enumerate(missing, 1)}
        conn.execute(
            text(
                "INSERT INTO search_facet_values (code, prop, value) "
                "SELECT * FROM unnest(CAST(:c AS integer[]), CAST(:p AS text[]), CAST(:v AS text[]))"
            ),
            {"c": list(new.values()), "p": [p for p, _ in new], "v": [v for _, v in new]},
        )
        found.update(new)
    return found


@contextmanager
def writing(store: Store) -> Iterator[Connection]:
    """A transaction writing the search tables only: without the store's write lock, as it
    hands out no change seqs; the index's lock (see :func:`begin_apply`) orders the index's
    writers, and the search log with them."""
    with store.engine.connect() as conn, conn.begin():
        yield conn


def begin_apply(conn: Connection, wait: bool) -> int | None:
    """Take the index's write lock in this transaction; the last seq applied, or None when busy."""
    if not _lock(conn, wait):
        return None
    value = conn.execute(text("SELECT value FROM search_state WHERE key = 'seq'")).scalar()
    return int(value or 0)


def put_documents(conn: Connection, rows: Sequence[Row], *, log: bool = True) -> None:
    """Insert or replace documents (the caller holds the lock, see begin_apply); ``log``: name
    them in the change log (a rebuild need not: its new epoch has every process read afresh)."""
    if not rows:
        return
    # One statement may set a row once: of two rows of one document, the later is its content.
    rows = list({r.id: r for r in rows}.values())
    # A replaced document keeps its number, a new one takes the next: no number is spent in
    # vain, so the bitmaps stay dense (one statement each, never one per row).
    docnos = dict(
        conn.execute(text("SELECT id, docno FROM search_docs WHERE id = ANY(:ids)"), {"ids": [r.id for r in rows]}).all()
    )
    _forget_words(conn, list(docnos))  # only a document already there has words counted
    codes = _codes(conn, rows)
    new = [r.id for r in rows if r.id not in docnos]
    if new:
        numbers = conn.execute(
            text("SELECT nextval('search_docno') FROM generate_series(1, :n)"), {"n": len(new)}
        ).scalars()
        docnos.update(zip(new, numbers))
    # The workers' JSON objects, each with its number and codes put in front: joined, not
    # parsed and written again. A set of codes: a value listed twice still counts the
    # document once, as in the Whoosh index.
    objects = []
    for r in rows:
        held = ",".join(map(str, sorted({codes[pair] for pair in _facet_pairs(r)})))
        objects.append(f'{{"docno":{docnos[r.id]},"codes":[{held}],{r.columns[1:]}')
    # Counted in C (a Counter over lists), 40,000 tokens a batch in a few milliseconds.
    counted = Counter()
    for r in rows:
        if r.words:
            counted.update(r.words.split("\n"))
    conn.execute(_UPSERT, {"rows": "[" + ",".join(objects) + "]", "words": list(counted), "counts": list(counted.values())})
    if log:
        conn.execute(
            text("INSERT INTO search_log (docno) SELECT unnest(CAST(:docnos AS integer[]))"),
            {"docnos": [docnos[r.id] for r in rows]},
        )


def delete_documents(conn: Connection, ids: Sequence[str]) -> None:
    if not ids:
        return
    _forget_words(conn, ids)
    conn.execute(
        text(
            "WITH gone AS (DELETE FROM search_docs WHERE id = ANY(:ids) RETURNING docno) "
            "INSERT INTO search_log (docno) SELECT docno FROM gone"
        ),
        {"ids": list(ids)},
    )


def finish_apply(conn: Connection, seq: int, version: str) -> None:
    _put_state(conn, "seq", str(seq))
    _put_state(conn, "schema", version)
    conn.execute(
        text("DELETE FROM search_log WHERE n <= (SELECT max(n) FROM search_log) - :kept"), {"kept": LOG_KEPT}
    )


def clear(conn: Connection) -> None:
    """Empty the index (inside a rebuild's transaction: searchers see the old rows until it commits)."""
    conn.execute(text("DELETE FROM search_docs"))
    conn.execute(text("DELETE FROM search_words"))
    conn.execute(text("DELETE FROM search_facet_values"))
    # Numbers start again from 1 (transactional: a rebuild rolled back keeps the old ones),
    # and a new epoch tells every searching process to read its bitmaps afresh, from the log's
    # last entry on (older entries, of the old numbers, are never read again; kept, they let
    # a process tell the next writes from entries trimmed away).
    conn.execute(text("ALTER SEQUENCE search_docno RESTART"))
    _put_state(conn, "epoch", uuid.uuid4().hex)


def analyze(conn: Connection) -> None:
    """Refresh the planner's statistics of the search tables (after many documents changed:
    with none, it may choose pg_trgm's index for '=' look-ups, a hundred times slower)."""
    conn.execute(text("ANALYZE search_docs, search_words, search_facet_values"))


# -- queries ---------------------------------------------------------------------------------


# Alternatives by weight (see oerrepo.index.query): (lowest, below, factor of their ts_rank).
_BANDS = ((0.8, 100.0, 1.0), (0.4, 0.8, 0.6), (0.0, 0.4, 0.2))


def _weight(alt: tuple) -> float:
    return alt[1] if alt[0] == "split" else alt[-1]


def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def alternative_tsquery(alt: tuple) -> str:
    """One planned alternative as tsquery text ('' for one the tsvector cannot answer)."""
    kind = alt[0]
    if kind == "word":
        label = _WEIGHTS.get(alt[1] or "", "")
        return _quote(alt[2]) + (f":{label}" if label else "")
    if kind in ("stem", "topic", "part"):
        return _quote(MARKS[kind] + alt[1])
    if kind == "split":
        parts = ["(" + " | ".join(filter(None, (alternative_tsquery(a) for a in part))) + ")" for part in alt[2] if part]
        return "(" + " & ".join(parts) + ")" if len(parts) == len(alt[2]) and parts else ""
    return ""


class _Compiler:
    """Turns a planned query tree into a SQL condition on search_docs ``d`` with bound parameters.

    Nodes: ("and", [nodes]), ("or", [nodes]), ("should", [nodes]), ("not", node),
    ("match", word, alternatives) (see oerrepo.index.query.Plan), ("phrase", field, [content
    words], [every word in order]), ("prefix", field, text), ("facet", prop, [values]),
    ("id", value), ("all",).
    """

    def __init__(self):
        self.params: dict[str, Any] = {}

    def _param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def tsquery(self, node: tuple, *, band: tuple[float, float] | None = None) -> str:
        """The tsquery text of a match (only its alternatives weighing within ``band``), '' for none."""
        kind = node[0]
        if kind == "match":
            alts = node[2]
            if band is not None:
                alts = [a for a in alts if band[0] <= _weight(a) < band[1]]
            return " | ".join(filter(None, (alternative_tsquery(a) for a in alts)))
        if kind == "phrase":
            label = _WEIGHTS.get(node[1] or "", "")
            return " & ".join(_quote(w) + (f":{label}" if label else "") for w in node[2])
        if kind == "prefix":
            word = re.sub(r"[^\w]", "", node[2])
            if not word:
                return ""
            label = _WEIGHTS.get(node[1] or "", "")
            return _quote(word) + ":*" + label
        return ""

    def ts(self, query: str) -> str:
        return f"CAST({self._param(query)} AS tsquery)"

    def condition(self, node: tuple) -> str:
        kind = node[0]
        if kind == "all":
            return "TRUE"
        if kind in ("and", "or", "should"):
            parts = [self.condition(n) for n in node[1]]
            joiner = " AND " if kind == "and" else " OR "
            return "(" + joiner.join(parts) + ")" if parts else "TRUE"
        if kind == "not":
            return f"NOT {self.condition(node[1])}"
        if kind == "phrase":
            query = self.tsquery(node)
            if not query:
                return "FALSE"
            return f"(d.tsv @@ {self.ts(query)} AND {phrase_condition(node[1], node[3], self._param)})"
        if kind in ("match", "prefix"):
            parts = []
            query = self.tsquery(node)
            if query:
                parts.append(f"d.tsv @@ {self.ts(query)}")
            if kind == "match":
                for alt in node[2]:
                    if alt[0] == "concept":
                        parts.append(facet_condition(alt[1], [alt[2]], self._param))
            return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
        if kind == "facet":
            return facet_condition(node[1], node[2], self._param)
        if kind == "id":
            return f"d.id = {self._param(node[1])}"
        raise SearchError(f"cannot search for {node!r}")

    def score(self, node: tuple) -> str:
        """A node's relevance: the ts_rank of its alternatives by weight band (see _BANDS), and a
        small constant for a vocabulary concept."""
        kind = node[0]
        weights = "'{0.1, 0.2, 0.4, 1.0}'"
        if kind == "match":
            parts = []
            # ts_rank weighs a tsquery's alternatives alike: rank the word and its stems, the
            # topics it names, and the looser alternatives apart, each band with its weight.
            for low, high, factor in _BANDS:
                query = self.tsquery(node, band=(low, high))
                if query:
                    parts.append(f"{factor} * ts_rank({weights}, d.tsv, {self.ts(query)}, 1)")
            for alt in node[2]:
                if alt[0] == "concept":
                    cond = facet_condition(alt[1], [alt[2]], self._param)
                    parts.append(f"CASE WHEN {cond} THEN 0.02 ELSE 0 END")
            return "(" + " + ".join(parts) + ")" if parts else "0"
        if kind in ("phrase", "prefix"):
            query = self.tsquery(node)
            return f"ts_rank({weights}, d.tsv, {self.ts(query)}, 1)" if query else "0"
        if kind in ("and", "or", "should"):
            parts = [self.score(n) for n in node[1]]
            return "(" + " + ".join(parts) + ")" if parts else "0"
        return "0"


def phrase_condition(field: str | None, words: Sequence[str], param) -> str:
    """A condition on search_docs ``d``: its texts of ``field`` (any text field when None) hold
    the folded ``words`` side by side, in order (see :mod:`oerrepo.index.phrases`)."""
    if field is None:
        texts = "array_to_string(d.phrases, E'\\n')"
    elif field in phrases.FIELDS:
        texts = f"d.phrases[{phrases.FIELDS.index(field) + 1}]"
    else:
        raise SearchError(f"cannot search for a phrase in {field!r}")
    return f"strpos({texts}, {param(phrases.pattern(words))}) > 0"


def phrase_docnos(conn: Connection, docnos: Sequence[int], field: str | None, words: Sequence[str]) -> list[int]:
    """Those of ``docnos`` whose texts hold the phrase (see :func:`phrase_condition`)."""
    if not docnos:
        return []
    params: dict[str, Any] = {"d": list(docnos)}

    def param(value: Any) -> str:
        params["w"] = value
        return ":w"

    condition = phrase_condition(field, words, param)
    return list(conn.execute(text(f"SELECT docno FROM search_docs d WHERE docno = ANY(:d) AND {condition}"), params).scalars())


def facet_condition(prop: str, values: Sequence[str], param) -> str:
    """A condition on search_docs ``d``: the document has one of these values of ``prop``.

    The values become codes once per statement (an uncorrelated subquery); a language
    tag also takes its regional forms ("en" finds "en-GB").
    """
    if prop not in _SLOT:
        raise SearchError(f"cannot filter on {prop!r}; use one of: {', '.join(FACETS)}")
    wanted = f"value = ANY(CAST({param(list(values))} AS text[]))"
    if prop == "inLanguage":
        wanted = f"({wanted} OR value LIKE ANY (CAST({param([f'{v}-%' for v in values])} AS text[])))"
    return (
        f"d.codes && ARRAY(SELECT code FROM search_facet_values WHERE prop = {param(prop)} AND {wanted})"
    )


@contextmanager
def searching(store: Store) -> Iterator[Connection]:
    """One search's read transaction (one snapshot throughout); a database error becomes SearchError."""
    try:
        with store.reading() as conn:
            yield conn
    except DBAPIError as exc:
        raise SearchError(f"the search could not run on PostgreSQL: {postgres._first_line(str(exc.orig))}") from exc


def by_index(conn: Connection) -> None:
    """From here on in this transaction, documents are found through the indexes, never by
    reading the whole table (which would decompress every row's tsvector to test it)."""
    conn.execute(text("SET LOCAL enable_seqscan = off"))


def position(conn: Connection) -> tuple[str | None, int, int]:
    """(epoch, first, last entry) of the change log: where a process's bitmaps stand."""
    row = conn.execute(
        text(
            "SELECT (SELECT value FROM search_state WHERE key = 'epoch'), "
            "coalesce((SELECT min(n) FROM search_log), 0), coalesce((SELECT max(n) FROM search_log), 0)"
        )
    ).one()
    return row[0], int(row[1]), int(row[2])


def facet_values(conn: Connection) -> dict[int, tuple[str, str]]:
    """code -> (property, value) of every facet value the index has seen."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(text("SELECT code, prop, value FROM search_facet_values"))}


def all_documents(conn: Connection) -> Iterable[tuple[str, Any, list[int]]]:
    """The document numbers of every live document (``("live", None, ...)``), of each facet
    code (``("code", code, ...)``) and of each primary language (``("lang", tag, ...)``)."""
    return conn.execute(
        text(
            # One pass over the table (its rows are wide: each holds a tsvector), three counts of it.
            """
            WITH d AS MATERIALIZED (SELECT docno, codes, langs FROM search_docs)
            SELECT 'live', NULL, array_agg(docno) FROM d
            UNION ALL
            SELECT 'code', CAST(code AS text), array_agg(docno)
            FROM (SELECT docno, unnest(codes) AS code FROM d) c GROUP BY code
            UNION ALL
            SELECT 'lang', lang, array_agg(docno)
            FROM (SELECT docno, unnest(langs) AS lang FROM d) l GROUP BY lang
            """
        )
    ).all()


def changed_documents(conn: Connection, after: int, upto: int) -> list[tuple[int, list | None, list, list]]:
    """Documents the log names after entry ``after`` (to ``upto``): (docno, codes, langs, tokens),
    codes None for a document no longer in the index."""
    rows = conn.execute(
        text(
            """
            SELECT c.docno, d.codes, d.langs, tsvector_to_array(d.tsv)
            FROM (SELECT DISTINCT docno FROM search_log WHERE n > :a AND n <= :b) c
            LEFT JOIN search_docs d ON d.docno = c.docno
            """
        ),
        {"a": after, "b": upto},
    ).all()
    return [(r[0], r[1], r[2] or [], r[3] or []) for r in rows]


def postings(conn: Connection, queries: Sequence[str]) -> list[list[int]]:
    """The document numbers matching each tsquery text (found through the GIN index)."""
    if not queries:
        return []
    rows = conn.execute(
        text(
            """
            SELECT x.i, (SELECT array_agg(d.docno) FROM search_docs d WHERE d.tsv @@ CAST(x.q AS tsquery))
            FROM unnest(CAST(:q AS text[])) WITH ORDINALITY AS x(q, i)
            """
        ),
        {"q": list(queries)},
    ).all()
    found = {int(r[0]): r[1] or [] for r in rows}
    return [found.get(i, []) for i in range(1, len(queries) + 1)]


def docnos_of(conn: Connection, ids: Sequence[str]) -> list[int]:
    """The document numbers of these resource ids (those in the index)."""
    return [r[0] for r in conn.execute(text("SELECT docno FROM search_docs WHERE id = ANY(:ids)"), {"ids": list(ids)})]




def lookup(
    conn: Connection, tokens: Sequence[str], containing: Sequence[str], *, limit: int = 2000
) -> tuple[dict[str, int], dict[str, list[tuple[str, int]]]]:
    """One round trip for the query planner: the document count of each (marked) token the
    index holds, and for each word of ``containing`` the folded words holding it, most
    frequent first (at most ``limit``; pg_trgm's index answers the LIKE)."""
    patterns = {"%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%": w for w in containing}
    rows = conn.execute(
        text(
            f"""
            SELECT CAST(NULL AS text) AS pattern, s.word, s.ndoc FROM unnest(CAST(:w AS text[])) AS t(word)
            CROSS JOIN LATERAL (SELECT word, ndoc FROM search_words WHERE word = t.word AND ndoc > 0) s
            UNION ALL
            SELECT x.p, c.word, c.ndoc FROM unnest(CAST(:p AS text[])) AS x(p)
            CROSS JOIN LATERAL (
                SELECT word, ndoc FROM search_words WHERE word LIKE x.p AND ndoc > 0 AND {_MARKED}
                ORDER BY ndoc DESC LIMIT :n
            ) c
            """
        ),
        {"w": list(tokens), "p": list(patterns), "n": limit},
    ).all()
    freq: dict[str, int] = {}
    within: dict[str, list[tuple[str, int]]] = {w: [] for w in containing}
    for pattern, word, ndoc in rows:
        if pattern is None:
            freq[word] = ndoc
        else:
            within[patterns[pattern]].append((word, ndoc))
    for found in within.values():
        found.sort(key=lambda wn: (-wn[1], wn[0]))
    return freq, within


def prefix_words(conn: Connection, prefixes: Sequence[str], *, limit: int) -> dict[str, list[tuple[str, int]]]:
    """Folded words starting with each prefix (at most ``limit`` + 1 each, most frequent first)."""
    patterns = {p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%": p for p in prefixes}
    rows = conn.execute(
        text(
            f"""
            SELECT x.p, c.word, c.ndoc FROM unnest(CAST(:p AS text[])) AS x(p)
            CROSS JOIN LATERAL (
                SELECT word, ndoc FROM search_words WHERE word LIKE x.p AND ndoc > 0 AND {_MARKED}
                ORDER BY ndoc DESC LIMIT :n
            ) c
            """
        ),
        {"p": list(patterns), "n": limit + 1},
    ).all()
    out: dict[str, list[tuple[str, int]]] = {p: [] for p in prefixes}
    for pattern, word, ndoc in rows:
        out[patterns[pattern]].append((word, ndoc))
    return out


def closest_words(conn: Connection, word: str, *, limit: int = 30) -> list[tuple[str, int]]:
    """Folded words most like ``word`` by trigram similarity, best first, with their counts."""
    # A short misspelt word shares few trigrams with the right one ("kyte"/"kite": 0.25).
    conn.execute(text("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
    rows = conn.execute(
        text(
            f"SELECT word, ndoc FROM search_words WHERE ndoc > 0 AND word % :w AND {_MARKED} "
            "ORDER BY similarity(word, :w) DESC, ndoc DESC, word LIMIT :n"
        ),
        {"w": word, "n": limit},
    ).all()
    return [(r[0], r[1]) for r in rows]


@dataclass
class Rows:
    """Documents to list, as a list of numbers or as a bitmap (bytes, bit n = document n)."""

    docnos: list[int] | None = None
    bitmap: bytes | None = None
    in_language: bool = False

    def condition(self, param) -> str:
        if self.docnos is not None:
            return f"d.docno = ANY(CAST({param(self.docnos)} AS integer[]))"
        bits = len(self.bitmap or b"") * 8
        # get_bit numbers bits from the lowest of the first byte, as int.to_bytes(..., "little") lays them.
        return f"(CASE WHEN d.docno < {bits} THEN get_bit(CAST({param(self.bitmap)} AS bytea), d.docno) ELSE 0 END) = 1"


_HIT_COLUMNS = ("id", "name", "license", "languages", "date", "description", "rank", "snippet")
ORDERS = {
    "relevance": "rr DESC, in_language DESC, date DESC, id",
    "date": "date DESC, sortname, id",
    "name": "sortname, date DESC, id",
}


def page(
    conn: Connection,
    comp: _Compiler,
    *,
    rank: str | None,
    ranked: list[int],
    unranked: Sequence[Rows],
    language: str | None,
    sort: str,
    offset: int,
    limit: int,
) -> list[dict]:
    """One page of hits, in one statement.

    ``ranked`` documents are scored by the SQL expression ``rank`` (over ``d``); the
    ``unranked`` ones score 0 and are read in the order's index, each set stopping at the
    page's end, so a set of 90,000 documents costs a few index entries. With ``sort``
    ``relevance``: highest (rounded) score first, then the query's language, then the most
    recent; ``date`` and ``name`` as their names say.
    """
    k = int(offset) + int(limit)
    if k <= 0:
        return []
    order = ORDERS[sort]
    param = comp._param
    in_language = f"{param(language)} = ANY(d.langs)" if language else "FALSE"
    parts = []
    if ranked and rank is not None:
        parts.append(
            f"""(SELECT docno, rank, round(CAST(rank AS numeric), 3) AS rr, in_language, date, sortname, id FROM (
                SELECT d.docno, {rank} AS rank, {in_language} AS in_language, d.date, d.sortname, d.id
                FROM search_docs d WHERE d.docno = ANY(CAST({param(ranked)} AS integer[]))
            ) s ORDER BY {order} LIMIT {k})"""
        )
    for rows in unranked:
        lang = "TRUE" if rows.in_language else "FALSE"
        inner = order.replace("rr DESC, in_language DESC, ", "")
        parts.append(
            f"""(SELECT d.docno, CAST(0 AS real) AS rank, CAST(0 AS numeric) AS rr, {lang} AS in_language,
                d.date, d.sortname, d.id FROM search_docs d WHERE {rows.condition(param)}
                ORDER BY {", ".join("d." + c for c in inner.split(", "))} LIMIT {k})"""
        )
    if not parts:
        return []
    statement = f"""
        WITH found AS ({" UNION ALL ".join(parts)}),
        placed AS (
            SELECT docno, rank, row_number() OVER (ORDER BY {order}) AS place FROM found
            ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}
        )
        SELECT p.place, d.id, d.name, d.license, d.languages, d.date, d.description, p.rank,
               CAST(NULL AS text) AS snippet
        FROM placed p JOIN search_docs d ON d.docno = p.docno ORDER BY p.place
    """
    return [{k: getattr(row, k) for k in _HIT_COLUMNS} for row in conn.execute(text(statement), comp.params)]
