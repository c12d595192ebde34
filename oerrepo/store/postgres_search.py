"""PostgreSQL full-text search tables and queries (the SQL of :mod:`oerrepo.index.postgres`).

Every web worker searches the same tables, so no index folder has to be shared.

- ``search_docs``: one row per live resource. ``tsv`` holds each text twice: analysed in
  its own language's text search configuration (unaccent, then that language's Snowball
  stemmer) and in ``oerrepo_simple`` (unaccent, no stemming), the cross-language copy.
  Weights: A titles, B keywords and concept labels, C descriptions, D people and
  organisations. ``codes`` holds the document's facet values as small integers (one GIN
  index serves every facet filter).
- ``search_facet_values``: (property, value) -> code. A code is ``8 * n + slot``, the slot
  naming the property, so a query can tell a code's property without a join.
- ``search_words``: the folded words of titles, keywords and concept labels with their
  document counts, under a trigram index (pg_trgm) for "did you mean".
- ``search_state``: the last store change applied and the schema version, written in
  the same transaction as the documents, so the index never runs ahead of itself.

A query arrives as a small tree of tuples (see :class:`_Compiler`) and leaves as one
SQL condition with bound parameters; no user text is ever spliced into SQL. A search is
one statement: the match set is computed once and gives the page, the total and every
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
    "SCHEMA_VERSION",
    "FACETS",
    "LANGUAGE_CONFIGS",
    "install",
    "state",
    "put_documents",
    "delete_documents",
    "clear",
    "search",
    "Row",
]

# Version 2: facet values as integer codes (version 1 kept text arrays, one column each).
SCHEMA_VERSION = "2"

# The facet properties; a property's place here is its slot in a facet code.
from ..model import FACETS  # noqa: E402  (the one list every backend uses)

_SLOT = {prop: i for i, prop in enumerate(FACETS)}
_SLOTS = 8  # code = _SLOTS * n + slot

# BCP 47 primary subtag -> PostgreSQL's built-in Snowball configuration (those present
# on the server are used; a language without one is searched through oerrepo_simple).
LANGUAGE_CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian", "nb": "norwegian",
    "ne": "nepali", "nl": "dutch", "nn": "norwegian", "no": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish", "hi": "hindi",
}
SIMPLE = "oerrepo_simple"
_WEIGHTS = {"title": "A", "keywords": "B", "concepts": "B", "description": "C", "body": "D"}

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
    return [e for e in ("unaccent", "pg_trgm") if e not in have]


def install(store: Store) -> list[str]:
    """Create the search tables, configurations and indexes where missing; returns the configs in use.

    Needs the extensions unaccent and pg_trgm: they are created when the user may
    (a superuser or, from PostgreSQL 13, a database owner for these trusted extensions).
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
        available = {r[0] for r in conn.execute(text("SELECT cfgname FROM pg_ts_config WHERE pg_ts_config_is_visible(oid)"))}
        configs = {SIMPLE}
        if SIMPLE not in available:
            _create_config(conn, SIMPLE, "simple", None)
        for _lang, base in sorted(LANGUAGE_CONFIGS.items()):
            name = f"oerrepo_{base}"
            if name in available or name in configs:
                configs.add(name)
                continue
            if base in available:
                _create_config(conn, name, base, f"{base}_stem")
                configs.add(name)
                available.add(name)
        conn.execute(text(_FUNCTION))
        if _exists(conn, "search_docs") and _outdated(conn):
            # Tables of another layout: drop them; the caller sees needs_rebuild and rebuilds.
            for table in ("search_docs", "search_words", "search_facet_values", "search_state"):
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        if not _exists(conn, "search_docs"):
            for statement in _TABLES:
                conn.execute(text(statement))
    return sorted(configs)


def _outdated(conn: Connection) -> bool:
    stored = (
        conn.execute(text("SELECT value FROM search_state WHERE key = 'schema'")).scalar()
        if _exists(conn, "search_state")
        else None
    )
    has_codes = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = CAST('search_docs' AS regclass) "
            "AND attname = 'codes' AND NOT attisdropped)"
        )
    ).scalar()
    return not has_codes or stored not in (None, SCHEMA_VERSION)


def _create_config(conn: Connection, name: str, copy: str, stemmer: str | None) -> None:
    conn.execute(text(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{copy})"))
    dictionaries = f"unaccent, {stemmer}" if stemmer else "unaccent, simple"
    conn.execute(
        text(
            f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR "
            f"hword, hword_part, word, asciiword, asciihword, hword_asciipart WITH {dictionaries}"
        )
    )


# Several texts, each in its own configuration and weight, make one tsvector.
_FUNCTION = """
CREATE OR REPLACE FUNCTION oerrepo_tsv(cfgs text[], texts text[], weights text[]) RETURNS tsvector
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v tsvector := '';
BEGIN
    FOR i IN 1 .. coalesce(array_length(texts, 1), 0) LOOP
        v := v || setweight(to_tsvector(cfgs[i]::regconfig, texts[i]), weights[i]::"char");
    END LOOP;
    RETURN v;
END $$
"""

_TABLES = [
    """CREATE TABLE search_docs (
        id text PRIMARY KEY,
        name text NOT NULL,
        sortname text NOT NULL,
        title_exact text[] NOT NULL,
        date text NOT NULL,
        license text,
        languages text[] NOT NULL,
        cfg text NOT NULL,
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
    cfg: str
    description: str
    words: list[str]
    cfgs: list[str]
    texts: list[str]
    weights: list[str]
    facets: dict[str, list[str]]


_UPSERT = text(
    """
    INSERT INTO search_docs (id, name, sortname, title_exact, date, license, languages, cfg, description, words, tsv,
                             codes)
    VALUES (:id, :name, :sortname, :title_exact, :date, :license, :languages, :cfg, :description, :words,
            oerrepo_tsv(:cfgs, :texts, :weights), :codes)
    ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, sortname = EXCLUDED.sortname, title_exact = EXCLUDED.title_exact,
        date = EXCLUDED.date, license = EXCLUDED.license, languages = EXCLUDED.languages, cfg = EXCLUDED.cfg,
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
                                            "cfg", "description", "words", "cfgs", "texts", "weights")}
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


def finish_apply(conn: Connection, seq: int) -> None:
    _put_state(conn, "seq", str(seq))
    _put_state(conn, "schema", SCHEMA_VERSION)


def clear(conn: Connection) -> None:
    """Empty the index (inside a rebuild's transaction: searchers see the old rows until it commits)."""
    conn.execute(text("DELETE FROM search_docs"))
    conn.execute(text("DELETE FROM search_words"))
    conn.execute(text("DELETE FROM search_facet_values"))


def vacuum_words(conn: Connection) -> None:
    conn.execute(text("DELETE FROM search_words WHERE ndoc <= 0"))


# -- queries ---------------------------------------------------------------------------------


class _Compiler:
    """Turns a query tree into a SQL condition on search_docs ``d`` with bound parameters.

    Nodes: ("and", [nodes]), ("or", [nodes]), ("not", node), ("word", field, text),
    ("phrase", field, text), ("prefix", field, text), ("facet", prop, [values]), ("id", value),
    ("all",). ``field`` is None (every text) or title / keywords / description / body.
    """

    def __init__(self, configs: Sequence[str]):
        self.configs = list(configs)
        self.params: dict[str, Any] = {}
        self.rank_parts: list[str] = []

    def _param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def tsquery(self, kind: str, field: str | None, value: str) -> str:
        if kind == "prefix":
            word = re.sub(r"[^\w]", "", value)
            if not word:
                return "''::tsquery"
            label = _WEIGHTS.get(field or "", "")
            p = self._param(f"{word}:*{label}")
            return f"to_tsquery('{SIMPLE}', {p})"
        p = self._param(value)
        fn = "phraseto_tsquery" if kind == "phrase" else "plainto_tsquery"
        parts = ", ".join(f"{fn}('{cfg}', {p})" for cfg in self.configs)
        # Most languages analyse a word alike: OR the distinct analyses only, once per query
        # (an uncorrelated subquery), which keeps ranking cheap.
        query = (
            f"(SELECT coalesce(string_agg(DISTINCT '(' || x::text || ')', ' | ')::tsquery, ''::tsquery) "
            f"FROM unnest(ARRAY[{parts}]) AS x WHERE x::text <> '')"
        )
        if field in _WEIGHTS:
            # A named field matches its words as written (folded, unstemmed), as in the Whoosh
            # index, and only in that field's weight.
            query = f"oerrepo_weighted({fn}('{SIMPLE}', {p}), '{_WEIGHTS[field]}')"
        return query

    def condition(self, node: tuple) -> str:
        kind = node[0]
        if kind == "all":
            return "TRUE"
        if kind in ("and", "or"):
            parts = [self.condition(n) for n in node[1]]
            return "(" + f" {kind.upper()} ".join(parts) + ")" if parts else "TRUE"
        if kind == "not":
            return f"NOT {self.condition(node[1])}"
        if kind in ("word", "phrase", "prefix"):
            q = self.tsquery(kind, node[1], node[2])
            self.rank_parts.append(q)
            return f"d.tsv @@ {q}"
        if kind == "facet":
            return facet_condition(node[1], node[2], self._param)
        if kind == "id":
            return f"d.id = {self._param(node[1])}"
        raise SearchError(f"cannot search for {node!r}")


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


_WEIGHTED = """
CREATE OR REPLACE FUNCTION oerrepo_weighted(q tsquery, label text) RETURNS tsquery
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(
        nullif(regexp_replace(q::text, '''((?:[^'']|'''')*)''(?::(\\*))?', '''\\1'':\\2' || label, 'g'), '')::tsquery,
        q)
$$
"""


def install_functions(conn: Connection) -> None:
    conn.execute(text(_WEIGHTED))


@dataclass
class Found:
    total: int
    rows: list[dict]
    facets: dict[str, dict[str, int]]


def search(
    store: Store,
    tree: tuple,
    *,
    configs: Sequence[str],
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
    """
    comp = _Compiler(configs)
    base = comp.condition(tree)
    rank_query = None
    if comp.rank_parts:
        # One uncorrelated subquery: the parts are joined once per statement, not once per row.
        rank_query = comp.rank_parts[0] if len(comp.rank_parts) == 1 else f"(SELECT {' || '.join(comp.rank_parts)})"
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
    if rank_query:
        rank = f"ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', d.tsv, {rank_query}, 1)"
        if exact_title:
            rank += f" + CASE WHEN {comp._param(exact_title)} = ANY(d.title_exact) THEN 10 ELSE 0 END"
    else:
        rank = "CAST(0 AS real)"
    by_rank = sort not in ("date", "name") and rank_query is not None
    order = {
        "date": "date DESC, sortname, id",
        "name": "sortname, date DESC, id",
    }.get(sort, "round(rank::numeric, 3) DESC, date DESC, id" if by_rank else "date DESC, sortname, id")
    # Ranking reads every matched document's tsvector: only when the order needs it, and
    # otherwise only for the page's rows.
    rank_in_match = f"CASE WHEN {fail} IS NULL THEN {rank} END" if by_rank else "CAST(NULL AS real)"
    rank_on_page = "p.rank" if by_rank else rank
    headline = (
        f"ts_headline(d.cfg::regconfig, d.description, {rank_query}, 'StartSel=<mark>, StopSel=</mark>, "
        "MaxFragments=2, MaxWords=28, MinWords=8, FragmentDelimiter=\" … \"')"
        if rank_query
        else "NULL"
    )
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
    statement = f"""
        WITH m AS MATERIALIZED (
            SELECT d.id, d.date, d.sortname, d.codes, {fail} AS fail, {rank_in_match} AS rank
            FROM search_docs d WHERE {base} AND {near}
        ), page AS (
            SELECT id, date, sortname, rank FROM m WHERE fail IS NULL
            ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}
        ), placed AS (
            SELECT id, rank, row_number() OVER (ORDER BY {order}) AS place FROM page
        )
        SELECT 0 AS kind, p.place, d.id, d.name, d.license, d.languages, d.date, d.description,
               {rank_on_page} AS rank, CASE WHEN d.description <> '' THEN {headline} END AS snippet,
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


def matches_anywhere(store: Store, word: str, configs: Sequence[str]) -> bool:
    comp = _Compiler(configs)
    cond = comp.condition(("word", None, word))
    with store.reading() as conn:
        return bool(conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM search_docs d WHERE {cond})"), comp.params).scalar())


def closest_words(store: Store, word: str, *, limit: int = 20) -> list[str]:
    """Vocabulary words most like ``word`` by trigram similarity, best first (pg_trgm's GIN index)."""
    with store.reading() as conn:
        # A short misspelt word shares few trigrams with the right one ("kyte"/"kite": 0.25).
        conn.execute(text("SET LOCAL pg_trgm.similarity_threshold = 0.2"))
        rows = conn.execute(
            text(
                "SELECT word FROM search_words WHERE ndoc > 0 AND word % :w "
                "ORDER BY similarity(word, :w) DESC, ndoc DESC, word LIMIT :n"
            ),
            {"w": word, "n": limit},
        ).all()
    return [r[0] for r in rows]


def distinct_licenses(store: Store) -> list[str]:
    with store.reading() as conn:
        # Every licence the index has seen (one no document holds any more matches nothing).
        return [r[0] for r in conn.execute(text("SELECT value FROM search_facet_values WHERE prop = 'license'"))]
