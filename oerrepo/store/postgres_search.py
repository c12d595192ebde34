"""PostgreSQL full-text search tables and queries (the SQL of :mod:`oerrepo.index.postgres`).

Every web worker searches the same tables, so no index folder has to be shared.

- ``search_docs``: one row per live resource. ``tsv`` holds each text twice: analysed in
  its own language's text search configuration (unaccent, then that language's Snowball
  stemmer) and in ``oerrepo_simple`` (unaccent, no stemming), the cross-language copy.
  Weights: A titles, B keywords and concept labels, C descriptions, D people and
  organisations. Facet values are text arrays with GIN indexes.
- ``search_words``: the folded words of titles, keywords and concept labels with their
  document counts, under a trigram index (pg_trgm) for "did you mean".
- ``search_state``: the last store change applied and the schema version, written in
  the same transaction as the documents, so the index never runs ahead of itself.

A query arrives as a small tree of tuples (see :func:`compile_query`) and leaves as one
SQL condition with bound parameters; no user text is ever spliced into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ..errors import SearchError
from . import Store, postgres

__all__ = [
    "SCHEMA_VERSION",
    "FACET_COLUMNS",
    "LANGUAGE_CONFIGS",
    "install",
    "state",
    "put_documents",
    "delete_documents",
    "clear",
    "search",
    "Row",
]

SCHEMA_VERSION = "1"

# Record property -> column of search_docs.
FACET_COLUMNS = {
    "license": "f_license",
    "inLanguage": "f_language",
    "sdg": "f_sdg",
    "learningResourceType": "f_type",
    "educationalLevel": "f_level",
    "audience": "f_audience",
    "source": "f_source",
}

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
        for lang, base in sorted(LANGUAGE_CONFIGS.items()):
            name = f"oerrepo_{base}"
            if name in available or name in configs:
                configs.add(name)
                continue
            if base in available:
                _create_config(conn, name, base, f"{base}_stem")
                configs.add(name)
                available.add(name)
        conn.execute(text(_FUNCTION))
        if not _exists(conn, "search_docs"):
            for statement in _TABLES:
                conn.execute(text(statement))
    return sorted(configs)


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
        f_license text[] NOT NULL, f_language text[] NOT NULL, f_sdg text[] NOT NULL, f_type text[] NOT NULL,
        f_level text[] NOT NULL, f_audience text[] NOT NULL, f_source text[] NOT NULL
    )""",
    "CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv)",
    "CREATE INDEX search_docs_date ON search_docs (date DESC, sortname)",
    "CREATE INDEX search_docs_sortname ON search_docs (sortname, date)",
    *(f"CREATE INDEX search_docs_{c} ON search_docs USING GIN ({c})" for c in FACET_COLUMNS.values()),
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
                             f_license, f_language, f_sdg, f_type, f_level, f_audience, f_source)
    VALUES (:id, :name, :sortname, :title_exact, :date, :license, :languages, :cfg, :description, :words,
            oerrepo_tsv(:cfgs, :texts, :weights),
            :f_license, :f_language, :f_sdg, :f_type, :f_level, :f_audience, :f_source)
    ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, sortname = EXCLUDED.sortname, title_exact = EXCLUDED.title_exact,
        date = EXCLUDED.date, license = EXCLUDED.license, languages = EXCLUDED.languages, cfg = EXCLUDED.cfg,
        description = EXCLUDED.description, words = EXCLUDED.words, tsv = EXCLUDED.tsv,
        f_license = EXCLUDED.f_license, f_language = EXCLUDED.f_language, f_sdg = EXCLUDED.f_sdg,
        f_type = EXCLUDED.f_type, f_level = EXCLUDED.f_level, f_audience = EXCLUDED.f_audience,
        f_source = EXCLUDED.f_source
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


def _params(row: Row) -> dict[str, Any]:
    values = {k: getattr(row, k) for k in ("id", "name", "sortname", "title_exact", "date", "license", "languages",
                                            "cfg", "description", "words", "cfgs", "texts", "weights")}
    for prop, column in FACET_COLUMNS.items():
        values[column] = list(row.facets.get(prop) or [])
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
    conn.execute(_UPSERT, [_params(r) for r in rows])
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
    column = FACET_COLUMNS[prop]
    if prop == "inLanguage":
        prefixes = [f"{v}-%" for v in values]
        return (
            f"(d.{column} && CAST({param(list(values))} AS text[]) OR EXISTS (SELECT 1 FROM unnest(d.{column}) l "
            f"WHERE l LIKE ANY (CAST({param(prefixes)} AS text[]))))"
        )
    return f"d.{column} && CAST({param(list(values))} AS text[])"


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
    """Run one search: the page of rows, the total, and facet counts honouring the other filters."""
    comp = _Compiler(configs)
    base = comp.condition(tree)
    rank_query = " || ".join(comp.rank_parts) if comp.rank_parts else None
    active = {prop: facet_condition(prop, values, comp._param) for prop, values in filters.items() if values}
    where = " AND ".join([base, *active.values()])
    if rank_query:
        rank = f"ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', d.tsv, {rank_query}, 1)"
        if exact_title:
            rank += f" + CASE WHEN {comp._param(exact_title)} = ANY(d.title_exact) THEN 10 ELSE 0 END"
    else:
        rank = "0"
    order = {
        "date": "date DESC, sortname, id",
        "name": "sortname, date DESC, id",
    }.get(sort, "round(rank::numeric, 3) DESC, date DESC, id" if rank_query else "date DESC, sortname, id")
    headline = (
        f"ts_headline(cfg::regconfig, description, {rank_query}, 'StartSel=<mark>, StopSel=</mark>, "
        "MaxFragments=2, MaxWords=28, MinWords=8, FragmentDelimiter=\" … \"')"
        if rank_query
        else "NULL"
    )
    page_sql = f"""
        WITH matched AS (
            SELECT d.id, d.name, d.sortname, d.license, d.languages, d.date, d.cfg, d.description, {rank} AS rank
            FROM search_docs d WHERE {where}
        ), page AS (
            SELECT * FROM matched ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}
        )
        SELECT page.*, CASE WHEN description <> '' THEN {headline} END AS snippet FROM page ORDER BY {order}
    """
    facet_sql = []
    if with_facets:
        for prop, column in FACET_COLUMNS.items():
            others = [c for p, c in active.items() if p != prop]
            cond = " AND ".join(["TRUE", *others])
            facet_sql.append(
                f"SELECT '{prop}' AS prop, v, count(*) AS n FROM d, unnest(d.{column}) AS v WHERE {cond} GROUP BY v"
            )
    try:
        with store.reading() as conn:
            total = conn.execute(text(f"SELECT count(*) FROM search_docs d WHERE {where}"), comp.params).scalar_one()
            rows = [dict(r._mapping) for r in conn.execute(text(page_sql), comp.params)] if offset < total else []
            facets: dict[str, dict[str, int]] = {prop: {} for prop in FACET_COLUMNS} if with_facets else {}
            if facet_sql:
                # The text query runs once; each facet then counts within its result.
                columns = ", ".join(f"d.{c}" for c in FACET_COLUMNS.values())
                facet_query = (
                    f"WITH d AS MATERIALIZED (SELECT {columns} FROM search_docs d WHERE {base}) "
                    + " UNION ALL ".join(facet_sql)
                )
                for prop, value, n in conn.execute(text(facet_query), comp.params):
                    facets[prop][value] = n
    except DBAPIError as exc:
        raise SearchError(f"the search could not run on PostgreSQL: {postgres._first_line(str(exc.orig))}") from exc
    for prop in list(facets):
        facets[prop] = dict(sorted(facets[prop].items(), key=lambda kv: (-kv[1], kv[0])))
    return Found(total=total, rows=rows, facets=facets)


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
        return [r[0] for r in conn.execute(text("SELECT DISTINCT unnest(f_license) FROM search_docs"))]
