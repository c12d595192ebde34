"""The PostgreSQL implementation of :class:`SearchBackend`: search inside the database.

Used when the store is on PostgreSQL, so every web worker searches the same index without
a shared disk. The documents are analysed in Python by the same code as the Whoosh
index (:mod:`.tokens`) and stored as tsvectors; queries are read and planned by the same
code too (:mod:`.query`), with the search tables answering the planner's questions
(:class:`PostgresLexicon`). So both backends find the same records for the same words.
Facets are integer codes under a GIN index; "did you mean" uses trigram similarity
(pg_trgm) over the indexed words.

The index follows the store's change sequence like the Whoosh one, but more strictly:
documents and the last applied seq are written in one transaction, so the two can never
disagree, and a transaction-level advisory lock keeps two writers from applying the same
changes at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from .. import licenses
from ..errors import SearchError
from ..store import Store
from ..store import postgres_search as sql
from .analysis import fold, folded_words, primary_language
from .backend import Hit, IndexDocument, IndexEntry, SearchRequest, SearchResult, check_page
from .query import COMMON, _all_stopwords, exact_title, parse, plan
from .schema import SCHEMA_VERSION
from .snippets import snippet
from .tokens import tokens_of
from .whoosh_query import coordination_groups

__all__ = ["PostgresBackend", "PostgresLexicon"]

_BATCH = 500
_MARKS = sql.MARKS


def _marked(kind: str, token: str) -> str:
    return _MARKS[kind] + token


class PostgresLexicon:
    """The search tables as the query planner's :class:`~.query.Lexicon`."""

    def __init__(self, store: Store):
        self.store = store

    def frequencies(self, tokens: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        marked = {_marked(kind, text): (kind, text) for kind, text in tokens}
        found = sql.token_frequencies(self.store, list(marked))
        return {marked[m]: n for m, n in found.items()}

    def languages(self, tokens: list[tuple[str, str]]) -> dict[str, int]:
        return sql.token_languages(self.store, [_marked(kind, text) for kind, text in tokens])

    def compounds(self, word: str, limit: int) -> list[str]:
        out = []
        for candidate, _n in sql.words_containing(self.store, word):
            offset = candidate.find(word)
            while offset != -1:
                rest = len(candidate) - offset - len(word)
                if (offset == 0 and rest >= 3) or (offset >= 3 and rest <= 3):
                    out.append(candidate)
                    break
                offset = candidate.find(word, offset + 1)
            if len(out) >= limit:
                break
        return out

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        return [(w, n) for w, n in sql.closest_words(self.store, word) if _distance(w, word) <= maxdist]


class PostgresBackend:
    """Full-text search in the store's own PostgreSQL database."""

    def __init__(self, store: Store):
        if not store.is_postgres:
            raise SearchError("the PostgreSQL search backend needs a store on PostgreSQL")
        self.store = store
        self._installed = False
        self._lock = threading.Lock()  # guards the one-time installation only

    # -- bookkeeping -------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._installed:
            return
        with self._lock:
            if not self._installed:
                sql.install(self.store, SCHEMA_VERSION)
                self._installed = True

    def last_seq(self) -> int:
        """The last store change applied (0 for a new index)."""
        return int(sql.state(self.store).get("seq", 0))

    def needs_rebuild(self) -> bool:
        """True when the search tables are missing or of another version."""
        return sql.state(self.store).get("schema") != SCHEMA_VERSION

    # -- writing -----------------------------------------------------------------------

    def _row(self, doc: IndexDocument) -> sql.Row:
        tokens = tokens_of(doc)
        weighted: list[tuple[str, str]] = []
        for name in ("title", "keywords", "description", "body"):
            weight = sql._WEIGHTS[name]
            weighted += [(w, weight) for w in getattr(tokens, name)]
        weighted += [(_marked("stem", s), "C") for s in tokens.stems]
        weighted += [(_marked("topic", t), "B") for t in tokens.topics]
        weighted += [(_marked("part", t), "D") for t in tokens.parts]
        weighted += [(_marked("pair", p), "C") for p in tokens.pairs]
        words = sorted({*tokens.words(), *tokens.body, *(t for t, _ in weighted if t[:1] in "~#%")})
        return sql.Row(
            id=doc.id,
            name=doc.name or doc.id,
            sortname=fold(doc.name or doc.id)[:200],
            title_exact=[exact_title(t) for _, t in doc.titles],
            date=doc.date or "",
            license=doc.license,
            languages=list(doc.languages),
            langs=list(dict.fromkeys(primary_language(lang) for lang in doc.languages)),
            description="\n".join(t for _, t in doc.descriptions if t),
            words=words,
            tsv=sql.tsvector_literal(weighted),
            facets=doc.facets,
        )

    def apply(
        self,
        entries: Callable[[int], Iterable[IndexEntry]],
        *,
        wait: bool = True,
        pending: int = 0,
        commit: bool = True,
    ) -> int | None:
        """Apply the store's changes after the last applied seq, in one transaction with that seq
        (always committed: the documents are rows of the store, written in its transactions)."""
        self._ensure()
        with self.store.transaction() as conn:
            start = sql.begin_apply(conn, wait)
            if start is None:
                return None
            last = start
            puts: dict[str, sql.Row] = {}
            gone: set[str] = set()

            def flush() -> None:
                sql.delete_documents(conn, sorted(gone))
                sql.put_documents(conn, list(puts.values()))
                puts.clear()
                gone.clear()

            for entry in entries(start):
                if entry.resource_id in puts or entry.resource_id in gone:
                    flush()  # keep the order of changes to one resource
                if entry.document is None:
                    gone.add(entry.resource_id)
                else:
                    puts[entry.resource_id] = self._row(entry.document)
                last = max(last, entry.seq)
                if len(puts) + len(gone) >= _BATCH:
                    flush()
            flush()
            if last != start:
                sql.finish_apply(conn, last, SCHEMA_VERSION)
                sql.vacuum_words(conn)
            return last

    def rebuild(
        self, documents: Iterable[IndexDocument], last_seq: int, *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace every document in one transaction: searches see the old index until it commits."""
        self._ensure()
        count = 0
        with self.store.transaction() as conn:
            sql.begin_apply(conn, True)
            sql.clear(conn)
            batch: list[sql.Row] = []
            for doc in documents:
                batch.append(self._row(doc))
                count += 1
                if progress:
                    progress(1)
                if len(batch) >= _BATCH:
                    sql.put_documents(conn, batch)
                    batch = []
            sql.put_documents(conn, batch)
            sql.finish_apply(conn, last_seq, SCHEMA_VERSION)
            sql.vacuum_words(conn)
        return count

    # -- reading -----------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a query with filters, facets, sorting and paging (see SearchBackend)."""
        check_page(request)
        self._ensure()
        parsed = parse(request.query)
        planned = plan(parsed, PostgresLexicon(self.store), language=request.language)
        tree = _for_sql(planned.tree)
        filters = {k: list(v) for k, v in request.filters.items() if v}
        if request.open_only:
            opened = [v for v in sql.distinct_licenses(self.store) if _is_open(v)]
            wanted = [v for v in filters.get("license", opened) if v in opened]
            filters["license"] = wanted or ["-"]  # no open licence at all: nothing matches
        found = sql.search(
            self.store,
            tree,
            groups=[_for_sql(g) for g in coordination_groups(planned.tree)],
            language=planned.language,
            language_boost=planned.language_boost,
            rare=_rare_tsquery(tree, planned.frequencies),
            filters=filters,
            sort=request.sort,
            exact_title=exact_title(parsed.text) if parsed.plain and parsed.words else None,
            offset=(request.page - 1) * request.page_size,
            limit=request.page_size,
            with_facets=request.facets,
        )
        scored = tree[0] != "all"
        words = _snippet_words(planned.tree)
        hits = [
            Hit(
                id=row["id"],
                name=row["name"],
                score=float(row["rank"] or 0.0) if scored else 0.0,
                snippet=_snippet(row.get("description") or "", words),
                license=row["license"],
                languages=list(row["languages"] or []),
                date=row["date"] or "",
            )
            for row in found.rows
        ]
        return SearchResult(
            total=found.total,
            hits=hits,
            facets=found.facets,
            suggestion=planned.suggestion,
            page=request.page,
            page_size=request.page_size,
            notes=planned.notes,
        )

    def close(self) -> None:
        """Nothing to release: the store owns the connections."""


def _for_sql(tree: tuple) -> tuple:
    """Phrases as their content words and word pairs, as the search tables hold them."""
    kind = tree[0]
    if kind in ("and", "or", "should"):
        return (kind, [_for_sql(sub) for sub in tree[1]])
    if kind == "not":
        return ("not", _for_sql(tree[1]))
    if kind == "phrase":
        words = folded_words(tree[2])
        stop = _all_stopwords()
        content = [w for w in dict.fromkeys(words) if w not in stop] or list(dict.fromkeys(words))
        pairs = [f"{a} {b}" for a, b in dict.fromkeys(zip(words, words[1:]))]
        return ("phrase", tree[1], content, pairs)
    if kind == "word":  # a field's word
        return ("match", tree[2], (("word", tree[1], fold(tree[2]), 1.0),))
    return tree


def _rare_tsquery(tree: tuple, frequencies: dict) -> str | None:
    """A tsquery of the query's tokens that at most COMMON records hold ('' for none); None
    when no token is common (then every matched row is ranked)."""
    pieces: list[str] = []
    dropped = False

    def walk(node: tuple) -> None:
        nonlocal dropped
        kind = node[0]
        if kind in ("and", "or", "should"):
            for sub in node[1]:
                walk(sub)
        elif kind == "match":
            for alt in node[2]:
                token = (alt[0], alt[2] if alt[0] == "word" else alt[1])
                if alt[0] in ("word", "stem", "topic", "part") and frequencies.get(token, 0) > COMMON:
                    dropped = True
                    continue
                piece = sql.alternative_tsquery(alt)
                if piece:
                    pieces.append(piece)
        elif kind in ("phrase", "prefix"):
            piece = sql._Compiler().tsquery(node)
            if piece:
                pieces.append(f"({piece})")

    walk(tree)
    if not dropped:
        return None
    return " | ".join(pieces)


def _snippet_words(tree: tuple) -> set[str]:
    kind = tree[0]
    if kind in ("and", "or", "should"):
        return {w for sub in tree[1] for w in _snippet_words(sub)}
    if kind == "match":
        return {a[2] for a in tree[2] if a[0] == "word"}
    if kind == "phrase":
        return set(folded_words(tree[2]))
    return set()


def _snippet(description: str, words: set[str]) -> str:
    import html

    marked = snippet(description, words) if words and description else ""
    if marked:
        return marked
    description = " ".join(description.split())
    if len(description) > 200:
        description = description[:200].rsplit(" ", 1)[0] + " …"
    return html.escape(description, quote=False)


def _distance(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _is_open(url: str) -> bool:
    lic = licenses.try_normalize(url)
    return bool(lic and lic.is_open)
