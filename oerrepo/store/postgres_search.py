"""PostgreSQL full-text search tables and queries (the SQL of :mod:`oerrepo.index.postgres`).

Every web worker searches the same tables, so no index folder has to be shared.

- ``search_docs``: one row per live resource. ``tsv`` holds the tokens the index
  analysis (:mod:`oerrepo.index.tokens`, shared with the Whoosh index) made of the
  record, written as a tsvector literal: folded words with their field's weight (A
  titles, B keywords, C descriptions, D people and organisations), stems (``~``),
  topics (``#``), topics named inside compounds (``%``) and word pairs (``=``). No
  PostgreSQL text search configuration analyses anything, so both backends find alike.
  ``codes`` holds the document's facet values as small integers (one GIN index serves
  every facet filter); ``langs`` the primary language subtags.
- ``search_facet_values``: (property, value) -> code. A code is ``8 * n + slot``, the slot
  naming the property, so a query can tell a code's property without a join.
- ``search_words``: every token with its document count, under a trigram index
  (pg_trgm): what the query planner asks (frequencies, compounds, "did you mean").
- ``search_state``: the last store change applied and the schema version, written in
  the same transaction as the documents, so the index never runs ahead of itself.

A planned query arrives as a small tree of tuples (see :class:`_Compiler`) and leaves as
one SQL condition with bound parameters; no user text is ever spliced into SQL. A search
is one statement: the match set is computed once and gives the page, the total and every
facet's counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ..errors import SearchError
from . import Store, postgres

__all__ = [
    "FACETS",
    "install",
    "state",
    "put_documents",
    "delete_documents",
    "clear",
    "search",
    "Row",
]


# The facet properties; a property's place here is its slot in a facet code.
from ..model import FACETS  # noqa: E402  (the one list every backend uses)

_SLOT = {prop: i for i, prop in enumerate(FACETS)}
_SLOTS = 8  # code = _SLOTS * n + slot

# As in the Whoosh index: an exact title match multiplies the score.
EXACT_TITLE_BOOST = 3.0

_WEIGHTS = {"title": "A", "keywords": "B", "description": "C", "body": "D"}
# Token kinds in the tsvector (a folded word has no mark).
MARKS = {"word": "", "stem": "~", "topic": "#", "part": "%", "pair": "="}

_LOCK = "oerrepo:search:apply"


def _lock(conn: Connection, wait: bool) -> bool:
    key = postgres.lock_key(_LOCK)
    if wait:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar())


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
            for table in ("search_docs", "search_words", "search_facet_values", "search_state"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        if not _exists(conn, "search_docs"):
            for statement in _TABLES:
                conn.execute(text(statement))


def _outdated(conn: Connection, version: str) -> bool:
    stored = (
        conn.execute(text("SELECT value FROM search_state WHERE key = 'schema'")).scalar()
        if _exists(conn, "search_state")
        else None
    )
    has_langs = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = CAST('search_docs' AS regclass) "
            "AND attname = 'langs' AND NOT attisdropped)"
        )
    ).scalar()
    return not has_langs or stored not in (None, version)


_TABLES = [
    """CREATE TABLE search_docs (
        id text PRIMARY KEY,
        name text NOT NULL,
        sortname text NOT NULL,
        title_exact text[] NOT NULL,
        date text NOT NULL,
        license text,
        languages text[] NOT NULL,
        langs text[] NOT NULL,
        description text NOT NULL,
        words text[] NOT NULL,
        tsv tsvector NOT NULL,
        codes integer[] NOT NULL
    )""",
    "CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv)",
    "CREATE INDEX search_docs_date ON search_docs (date DESC, sortname)",
    "CREATE INDEX search_docs_sortname ON search_docs (sortname, date)",
    "CREATE INDEX search_docs_codes ON search_docs USING GIN (codes)",
    """CREATE TABLE search_facet_values (
        code integer PRIMARY KEY,
        prop text NOT NULL,
        value text NOT NULL,
        UNIQUE (prop, value)
    )""",
    "CREATE TABLE search_words (word text PRIMARY KEY, ndoc integer NOT NULL)",
    "CREATE INDEX search_words_trgm ON search_words USING GIN (word gin_trgm_ops)",
    "CREATE TABLE search_state (key text PRIMARY KEY, value text NOT NULL)",
]


def state(store: Store) -> dict[str, str]:
    """The index's bookkeeping ({} when the tables do not exist)."""
    with store.reading() as conn:
        if not _exists(conn, "search_state"):
            return {}
        return {k: v for k, v in conn.execute(text("SELECT key, value FROM search_state"))}


def _put_state(conn: Connection, key: str, value: str) -> None:
    conn.execute(
        text("INSERT INTO search_state (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = :v"),
        {"k": key, "v": value},
    )


@dataclass
class Row:
    """One document in the form the search tables take (see oerrepo.index.postgres)."""

    id: str
    name: str
    sortname: str
    title_exact: list[str]
    date: str
    license: str | None
    languages: list[str]
    langs: list[str]
    description: str
    words: list[str]  # its distinct tokens (marked), for search_words
    tsv: str  # a tsvector literal
    facets: dict[str, list[str]]


def tsvector_literal(weighted: Sequence[tuple[str, str]]) -> str:
    """A tsvector literal of (token, weight letter) in order: each occurrence its own position.

    Within PostgreSQL's limits: no lexeme over 2 KB, at most 256 places each, under 1 MB in all.
    """
    places: dict[str, list[str]] = {}
    for position, (token, weight) in enumerate(weighted, 1):
        if len(token.encode("utf-8")) <= 2000:
            places.setdefault(token, []).append(f"{min(position, 16383)}{weight}")
    out, size = [], 0
    for token, p in places.items():
        item = "'" + token.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(p[:256])
        size += len(item.encode("utf-8")) + 1
        if size > 900_000:
            break
        out.append(item)
    return " ".join(out)


_UPSERT = text(
    """
    INSERT INTO search_docs (id, name, sortname, title_exact, date, license, languages, langs, description, words, tsv,
                             codes)
    VALUES (:id, :name, :sortname, :title_exact, :date, :license, :languages, :langs, :description, :words,
            CAST(:tsv AS tsvector), :codes)
    ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, sortname = EXCLUDED.sortname, title_exact = EXCLUDED.title_exact,
        date = EXCLUDED.date, license = EXCLUDED.license, languages = EXCLUDED.languages, langs = EXCLUDED.langs,
        description = EXCLUDED.description, words = EXCLUDED.words, tsv = EXCLUDED.tsv, codes = EXCLUDED.codes
    """
)


def _forget_words(conn: Connection, ids: Sequence[str]) -> None:
    """Take the words of these documents out of the suggestion vocabulary."""
    if not ids:
        return
    conn.execute(
        text(
            """
            WITH gone AS (
                SELECT w, count(*) AS n FROM search_docs, unnest(words) AS w WHERE id = ANY(:ids) GROUP BY w
            )
            UPDATE search_words SET ndoc = search_words.ndoc - gone.n FROM gone WHERE search_words.word = gone.w
            """
        ),
        {"ids": list(ids)},
    )


def _learn_words(conn: Connection, rows: Sequence[Row]) -> None:
    counts: dict[str, int] = {}
    for row in rows:
        for word in row.words:
            counts[word] = counts.get(word, 0) + 1
    if counts:
        conn.execute(
            text(
                """
                INSERT INTO search_words (word, ndoc) SELECT * FROM unnest(CAST(:w AS text[]), CAST(:n AS int[]))
                ON CONFLICT (word) DO UPDATE SET ndoc = search_words.ndoc + EXCLUDED.ndoc
                """
            ),
            {"w": list(counts), "n": list(counts.values())},
        )


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


def _params(row: Row, codes: dict[tuple[str, str], int]) -> dict[str, Any]:
    values = {k: getattr(row, k) for k in ("id", "name", "sortname", "title_exact", "date", "license", "languages",
                                            "langs", "description", "words", "tsv")}
    # A set: a value listed twice still counts the document once, as in the Whoosh index.
    values["codes"] = sorted({codes[pair] for pair in _facet_pairs(row)})
    return values


def begin_apply(conn: Connection, wait: bool) -> int | None:
    """Take the index's write lock in this transaction; the last seq applied, or None when busy."""
    if not _lock(conn, wait):
        return None
    value = conn.execute(text("SELECT value FROM search_state WHERE key = 'seq'")).scalar()
    return int(value or 0)


def put_documents(conn: Connection, rows: Sequence[Row]) -> None:
    """Insert or replace documents (the caller holds the lock, see begin_apply)."""
    if not rows:
        return
    _forget_words(conn, [r.id for r in rows])
    codes = _codes(conn, rows)
    conn.execute(_UPSERT, [_params(r, codes) for r in rows])
    _learn_words(conn, rows)


def delete_documents(conn: Connection, ids: Sequence[str]) -> None:
    if not ids:
        return
    _forget_words(conn, ids)
    conn.execute(text("DELETE FROM search_docs WHERE id = ANY(:ids)"), {"ids": list(ids)})


def finish_apply(conn: Connection, seq: int, version: str) -> None:
    _put_state(conn, "seq", str(seq))
    _put_state(conn, "schema", version)


def clear(conn: Connection) -> None:
    """Empty the index (inside a rebuild's transaction: searchers see the old rows until it commits)."""
    conn.execute(text("DELETE FROM search_docs"))
    conn.execute(text("DELETE FROM search_words"))
    conn.execute(text("DELETE FROM search_facet_values"))


def vacuum_words(conn: Connection) -> None:
    conn.execute(text("DELETE FROM search_words WHERE ndoc <= 0"))


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
    ("match", word, alternatives) (see oerrepo.index.query.Plan), ("phrase", field, [words],
    [pairs]), ("prefix", field, text), ("facet", prop, [values]), ("id", value), ("all",).
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
            words = [_quote(w) + (f":{label}" if label else "") for w in node[2]]
            pairs = [_quote(MARKS["pair"] + p) for p in node[3]]
            return " & ".join(words + pairs)
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
        if kind in ("match", "phrase", "prefix"):
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


@dataclass
class Found:
    total: int
    rows: list[dict]
    facets: dict[str, dict[str, int]]


def search(
    store: Store,
    tree: tuple,
    *,
    groups: Sequence[tuple],
    language: str | None,
    language_boost: float = 2.0,
    rare: str | None = None,
    filters: dict[str, list[str]],
    sort: str,
    exact_title: str | None,
    offset: int,
    limit: int,
    with_facets: bool,
) -> Found:
    """Run one search: the page of rows, the total, and facet counts honouring the other filters.

    One statement: the match set ``m`` is read once, with each row's facet codes, and gives
    the page, the total and the counts. A facet's counts honour every filter but its own, so
    ``m`` also keeps the rows that fail exactly one filter, marked with that filter's slot
    (``fail``): such a row counts in that facet only. A row failing two filters counts
    nowhere and is never read into ``m``.

    Relevance, as in the Whoosh index: the sum of the ``groups``' scores (words side by
    side), times the square of the share of groups a row matches, times
    ``language_boost`` for a row in the query's ``language``. Only the rows matching
    ``rare`` (a tsquery of the query's tokens that few documents hold) are ranked so, reading
    their tsvectors; the others (matched only by tokens thousands of records hold) follow,
    the query's language first, then the most recent: ranking never reads tens of thousands
    of tsvectors. With ``rare`` None every matched row is ranked.
    """
    comp = _Compiler()
    base = comp.condition(tree)
    scored = tree[0] != "all" and any(_has_text(g) for g in groups)
    active = [(_SLOT[prop], facet_condition(prop, values, comp._param)) for prop, values in filters.items() if values]
    conditions = [cond for _, cond in active]
    if not active:
        near, fail = "TRUE", "CAST(NULL AS integer)"
    elif not with_facets:
        near, fail = " AND ".join(conditions), "CAST(NULL AS integer)"
    else:
        # "Every filter but at most one holds", written so that each part can use the GIN index.
        near = (
            "(" + " OR ".join(
                "(" + " AND ".join(["TRUE", *(c for j, c in enumerate(conditions) if j != i)]) + ")"
                for i in range(len(conditions))
            ) + ")"
        )
        fail = "CASE " + " ".join(f"WHEN NOT {cond} THEN {slot}" for slot, cond in active) + " END"
    if scored:
        rank = "(" + " + ".join(comp.score(g) for g in groups) + ")"
        if len(groups) > 1:
            share = " + ".join(f"(CASE WHEN {comp.condition(g)} THEN 1 ELSE 0 END)" for g in groups)
            rank = f"{rank} * power(({share}) / {float(len(groups))}, 2)"
        if exact_title:
            rank = f"({rank}) * (CASE WHEN {comp._param(exact_title)} = ANY(d.title_exact) THEN {EXACT_TITLE_BOOST} ELSE 1 END)"
        if language:
            rank = f"({rank}) * (CASE WHEN {comp._param(language)} = ANY(d.langs) THEN {float(language_boost)} ELSE 1 END)"
    else:
        rank = "CAST(0 AS real)"
    by_rank = sort not in ("date", "name") and scored
    ranked_rows = f"d.tsv @@ CAST({comp._param(rare)} AS tsquery)" if rare is not None else "TRUE"
    in_language = f"{comp._param(language)} = ANY(m.langs)" if language else "FALSE"
    order = {
        "date": "date DESC, sortname, id",
        "name": "sortname, date DESC, id",
    }.get(sort, "round(rank::numeric, 3) DESC, in_language DESC, date DESC, id" if by_rank
          else "date DESC, sortname, id")
    # Documents share few distinct sets of facet values: count the sets, then unnest each
    # set once (in the select list, which needs no tuplestore per row as FROM would).
    counted = f"fail IS NULL OR fail = code % {_SLOTS}" if active else "TRUE"
    facet_part = (
        f"""
        UNION ALL
        SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, f.prop, f.value, c.n
        FROM (
            SELECT code, CAST(sum(n) AS bigint) AS n
            FROM (
                SELECT unnest(codes) AS code, fail, n
                FROM (SELECT codes, fail, count(*) AS n FROM m GROUP BY codes, fail) g
            ) u
            WHERE {counted} GROUP BY code
        ) c JOIN search_facet_values f ON f.code = c.code"""
        if with_facets
        else ""
    )
    if by_rank and (rare is None or rare):
        # The rows to rank: found through the GIN index (rare tokens), then joined to the match set.
        ranked = f"""
        , r AS MATERIALIZED (
            SELECT d.id, {rank} AS rank FROM search_docs d
            WHERE {ranked_rows} AND d.id IN (SELECT id FROM m WHERE fail IS NULL)
        )"""
        joined = "m LEFT JOIN r ON r.id = m.id"
        rank_column = "coalesce(r.rank, 0)"
    else:
        ranked, joined, rank_column = "", "m", "CAST(0 AS real)"
    statement = f"""
        WITH m AS MATERIALIZED (
            SELECT d.id, d.date, d.sortname, d.codes, d.langs, {fail} AS fail
            FROM search_docs d WHERE {base} AND {near}
        ){ranked}, page AS (
            SELECT * FROM (
                SELECT m.id, m.date, m.sortname, {rank_column} AS rank, {in_language} AS in_language
                FROM {joined} WHERE m.fail IS NULL
            ) x
            ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}
        ), placed AS (
            SELECT id, rank, row_number() OVER (ORDER BY {order}) AS place FROM page
        )
        SELECT 0 AS kind, p.place, d.id, d.name, d.license, d.languages, d.date, d.description,
               p.rank AS rank, CAST(NULL AS text) AS snippet,
               CAST(NULL AS text) AS prop, CAST(NULL AS text) AS value, CAST(NULL AS bigint) AS n
        FROM placed p JOIN search_docs d ON d.id = p.id
        UNION ALL
        SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM m WHERE fail IS NULL
        {facet_part}
    """
    total = 0
    placed: list[tuple[int, dict]] = []
    facets: dict[str, dict[str, int]] = {prop: {} for prop in FACETS} if with_facets else {}
    try:
        with store.reading() as conn:
            # The match set comes from the GIN indexes even when it is most of the table: a
            # sequential scan would decompress every row's tsvector to test it.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            for row in conn.execute(text(statement), comp.params):
                if row.kind == 0:
                    placed.append((row.place, {k: getattr(row, k) for k in _HIT_COLUMNS}))
                elif row.kind == 1:
                    total = row.n
                else:
                    facets[row.prop][row.value] = row.n
    except DBAPIError as exc:
        raise SearchError(f"the search could not run on PostgreSQL: {postgres._first_line(str(exc.orig))}") from exc
    for prop in list(facets):
        facets[prop] = dict(sorted(facets[prop].items(), key=lambda kv: (-kv[1], kv[0])))
    rows = [hit for _, hit in sorted(placed, key=lambda p: p[0])]
    return Found(total=total, rows=rows, facets=facets)


_HIT_COLUMNS = ("id", "name", "license", "languages", "date", "description", "rank", "snippet")


def _has_text(node: tuple) -> bool:
    if node[0] in ("match", "phrase", "prefix"):
        return True
    if node[0] in ("and", "or", "should"):
        return any(_has_text(n) for n in node[1])
    return False


def token_frequencies(store: Store, tokens: Sequence[str]) -> dict[str, int]:
    """The document count of each (marked) token the index holds."""
    if not tokens:
        return {}
    with store.reading() as conn:
        rows = conn.execute(
            text("SELECT word, ndoc FROM search_words WHERE word = ANY(CAST(:w AS text[])) AND ndoc > 0"),
            {"w": list(tokens)},
        ).all()
    return {r[0]: r[1] for r in rows}


def token_languages(store: Store, tokens: Sequence[str], *, sample: int = 2000) -> dict[str, int]:
    """Documents holding any of the tokens by first language (counted over at most ``sample`` of them)."""
    if not tokens:
        return {}
    query = " | ".join(_quote(t) for t in tokens)
    with store.reading() as conn:
        rows = conn.execute(
            text(
                "SELECT l, count(*) FROM (SELECT d.langs[1] AS l FROM search_docs d "
                "WHERE d.tsv @@ CAST(:q AS tsquery) LIMIT :n) s WHERE l IS NOT NULL GROUP BY l"
            ),
            {"q": query, "n": sample},
        ).all()
    return {r[0]: r[1] for r in rows}


def words_containing(store: Store, word: str, *, limit: int = 2000) -> list[tuple[str, int]]:
    """Folded words (unmarked tokens) holding ``word``, with their counts (pg_trgm's index answers LIKE)."""
    pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with store.reading() as conn:
        rows = conn.execute(
            text(
                "SELECT word, ndoc FROM search_words WHERE word LIKE :p AND ndoc > 0 "
                "AND left(word, 1) NOT IN ('~', '#', '%', '=') ORDER BY ndoc DESC LIMIT :n"
            ),
            {"p": pattern, "n": limit},
        ).all()
    return [(r[0], r[1]) for r in rows]


def closest_words(store: Store, word: str, *, limit: int = 30) -> list[tuple[str, int]]:
    """Folded words most like ``word`` by trigram similarity, best first, with their counts."""
    with store.reading() as conn:
        # A short misspelt word shares few trigrams with the right one ("kyte"/"kite": 0.25).
        conn.execute(text("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
        rows = conn.execute(
            text(
                "SELECT word, ndoc FROM search_words WHERE ndoc > 0 AND word % :w "
                "AND left(word, 1) NOT IN ('~', '#', '%', '=') "
                "ORDER BY similarity(word, :w) DESC, ndoc DESC, word LIMIT :n"
            ),
            {"w": word, "n": limit},
        ).all()
    return [(r[0], r[1]) for r in rows]


def distinct_licenses(store: Store) -> list[str]:
    with store.reading() as conn:
        # Every licence the index has seen (one no document holds any more matches nothing).
        return [r[0] for r in conn.execute(text("SELECT value FROM search_facet_values WHERE prop = 'license'"))]
