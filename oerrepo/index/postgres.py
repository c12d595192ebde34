"""The PostgreSQL implementation of :class:`SearchBackend`: search inside the database.

Used when the store is on PostgreSQL, so every web worker searches the same index without
a shared disk. Each text is analysed in its own language's configuration (unaccent plus
that language's Snowball stemmer) and once more, unstemmed, in a cross-language one; a
query word is looked up through every language's analysis, so "aerogeneradores" finds
"aerogenerador" and "energia" finds "Energía" whatever the record's language. Facets are
text arrays under GIN indexes; "did you mean" uses trigram similarity (pg_trgm) over the
words of titles and keywords.

The index follows the store's change sequence like the Whoosh one, but more strictly:
documents and the last applied seq are written in one transaction, so the two can never
disagree, and a transaction-level advisory lock keeps two writers from applying the same
changes at once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable

from .. import licenses
from ..errors import SearchError
from ..store import Store
from ..store import postgres_search as sql
from .analysis import fold, primary_language
from .backend import Hit, IndexDocument, IndexEntry, SearchRequest, SearchResult, check_page
from .query import FIELD_ALIASES, resolve_facet_value
from .schema import exact_title

__all__ = ["PostgresBackend", "parse"]

_BATCH = 500
_TEXT_FIELDS = {"title", "keywords", "description", "body"}
_FACET_FIELDS = {"license", "inLanguage", "sdg", "learningResourceType", "educationalLevel", "audience", "source"}
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([A-Za-z_]\w*):(?:"([^"]*)"|([^\s()]+))|([^\s()"]+))')
_WORD = re.compile(r"\w+", re.UNICODE)


class PostgresBackend:
    """Full-text search in the store's own PostgreSQL database."""

    def __init__(self, store: Store):
        if not store.is_postgres:
            raise SearchError("the PostgreSQL search backend needs a store on PostgreSQL")
        self.store = store
        self._configs: list[str] | None = None
        self._lock = threading.Lock()

    # -- bookkeeping -------------------------------------------------------------------

    def _ensure(self) -> list[str]:
        with self._lock:
            if self._configs is None:
                configs = sql.install(self.store)
                with self.store.transaction() as conn:
                    sql.install_functions(conn)
                self._configs = configs
            return self._configs

    def _config_for(self, lang: str) -> str:
        base = sql.LANGUAGE_CONFIGS.get(primary_language(lang))
        name = f"oerrepo_{base}" if base else sql.SIMPLE
        return name if name in self._ensure() else sql.SIMPLE

    def last_seq(self) -> int:
        """The last store change applied (0 for a new index)."""
        return int(sql.state(self.store).get("seq", 0))

    def needs_rebuild(self) -> bool:
        """True when the search tables are missing or of another version."""
        return sql.state(self.store).get("schema") != sql.SCHEMA_VERSION

    # -- writing -----------------------------------------------------------------------

    def _row(self, doc: IndexDocument) -> sql.Row:
        cfgs, texts, weights = [], [], []
        for part, items in (("title", doc.titles), ("keywords", doc.keywords), ("description", doc.descriptions)):
            for lang, value in items:
                if value:
                    own = self._config_for(lang)
                    if own != sql.SIMPLE:
                        cfgs.append(own), texts.append(value), weights.append(sql._WEIGHTS[part])
                    cfgs.append(sql.SIMPLE), texts.append(value), weights.append(sql._WEIGHTS[part])
        for value in doc.concepts:
            cfgs.append(sql.SIMPLE), texts.append(value), weights.append("B")
        for value in doc.body:
            cfgs.append(sql.SIMPLE), texts.append(value), weights.append("D")
        words = sorted({fold(w) for _, t in (*doc.titles, *doc.keywords) for w in _WORD.findall(t) if len(w) > 2})
        main = doc.languages[0] if doc.languages else (doc.titles[0][0] if doc.titles else "und")
        return sql.Row(
            id=doc.id,
            name=doc.name or doc.id,
            sortname=fold(doc.name or doc.id)[:200],
            title_exact=[exact_title(t) for _, t in doc.titles],
            date=doc.date or "",
            license=doc.license,
            languages=list(doc.languages),
            cfg=self._config_for(main),
            description=next((t for _, t in doc.descriptions if t), ""),
            words=words,
            cfgs=cfgs,
            texts=texts,
            weights=weights,
            facets=doc.facets,
        )

    def apply(self, entries: Callable[[int], Iterable[IndexEntry]], *, wait: bool = True) -> int | None:
        """Apply the store's changes after the last applied seq, in one transaction with that seq."""
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
                sql.finish_apply(conn, last)
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
            sql.finish_apply(conn, last_seq)
            sql.vacuum_words(conn)
        return count

    # -- reading -----------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a query with filters, facets, sorting and paging (see SearchBackend)."""
        check_page(request)
        configs = self._ensure()
        tree, words, notes, plain = parse(request.query)
        filters = {k: list(v) for k, v in request.filters.items() if v}
        if request.open_only:
            opened = [v for v in sql.distinct_licenses(self.store) if _is_open(v)]
            wanted = [v for v in filters.get("license", opened) if v in opened]
            filters["license"] = wanted or ["-"]  # no open licence at all: nothing matches
        found = sql.search(
            self.store,
            tree,
            configs=configs,
            filters=filters,
            sort=request.sort,
            exact_title=exact_title(request.query) if plain and words else None,
            offset=(request.page - 1) * request.page_size,
            limit=request.page_size,
            with_facets=request.facets,
        )
        scored = tree[0] != "all"
        hits = [
            Hit(
                id=row["id"],
                name=row["name"],
                score=float(row["rank"] or 0.0) if scored else 0.0,
                snippet=_snippet(row),
                license=row["license"],
                languages=list(row["languages"] or []),
                date=row["date"] or "",
            )
            for row in found.rows
        ]
        suggestion = self._suggest(request.query, words, configs) if words else None
        return SearchResult(
            total=found.total,
            hits=hits,
            facets=found.facets,
            suggestion=suggestion,
            page=request.page,
            page_size=request.page_size,
            notes=notes,
        )

    def _suggest(self, typed: str, words: list[tuple[int, int, str]], configs: list[str]) -> str | None:
        text = _normalised(typed)
        changed = False
        for start, end, word in reversed(words):
            folded = fold(word)
            if len(folded) < 3 or folded.isdigit():
                continue
            if sql.matches_anywhere(self.store, folded, configs):
                continue
            limit = 1 if len(folded) < 6 else 2  # edits allowed, as Whoosh's corrector does
            close = next((w for w in sql.closest_words(self.store, folded) if _distance(w, folded) <= limit), None)
            if close and close != folded:
                text = text[:start] + close + text[end:]
                changed = True
        return text if changed else None

    def close(self) -> None:
        """Nothing to release: the store owns the connections."""


# -- the query language -------------------------------------------------------------------


def _normalised(typed: str) -> str:
    notes: list[str] = []
    return _fields_note(_repair((typed or "").strip(), notes), notes)


def parse(typed: str) -> tuple[tuple, list[tuple[int, int, str]], list[str], bool]:
    """(query tree, free words with their places, notes, plain) for what a person typed.

    The same repairs as the Whoosh backend (unbalanced quotes and brackets, lone
    operators, unknown fields) with the same notes, so both backends read a query alike.
    """
    notes: list[str] = []
    raw = (typed or "").strip()
    if not raw:
        return ("all",), [], notes, False
    fixed = _fields_note(_repair(raw, notes), notes)
    tokens: list[tuple] = []
    words: list[tuple[int, int, str]] = []
    for m in _TOKEN.finditer(fixed):
        if m.group(1):
            tokens.append(("(",))
        elif m.group(2):
            tokens.append((")",))
        elif m.group(3) is not None:
            if _WORD.search(m.group(3)):
                tokens.append(("phrase", None, m.group(3)))
        elif m.group(4):
            tokens.append(_field_term(m.group(4), m.group(5) if m.group(5) is not None else m.group(6)))
        elif m.group(7):
            tok = m.group(7)
            if tok in ("AND", "OR", "NOT"):
                tokens.append((tok,))
            elif tok.endswith("*") and _WORD.search(tok):
                tokens.append(("prefix", None, fold(tok.rstrip("*"))))
            elif _WORD.search(tok):
                tokens.append(("word", None, tok))
                start = m.start(7)
                for w in _WORD.finditer(tok):
                    words.append((start + w.start(), start + w.end(), w.group()))
    tokens = [t for t in tokens if t is not None]
    if not tokens:
        notes.append("the query holds no searchable words; showing every resource")
        return ("all",), [], notes, False
    tree = _Parser(tokens).parse()
    plain = not re.search(r'["():*]|\b(?:AND|OR|NOT)\b', fixed)
    return tree, words, notes, plain


def _field_term(name: str, value: str) -> tuple | None:
    field = FIELD_ALIASES.get(name.lower(), name)
    value = value.strip()
    if not value:
        return None
    if field == "id":
        return ("id", value)
    if field in _FACET_FIELDS:
        if value.endswith("*"):
            raise SearchError(f"{field} values cannot end with '*'; give a whole value such as 'sdg:13'")
        return ("facet", field, resolve_facet_value(field, value))
    if field in _TEXT_FIELDS:
        if value.endswith("*"):
            return ("prefix", field, fold(value.rstrip("*")))
        return ("phrase" if " " in value else "word", field, value)
    return ("word", None, value)


class _Parser:
    """OR binds loosest, then AND (also implicit between terms), then NOT."""

    def __init__(self, tokens: list[tuple]):
        self.tokens = tokens
        self.i = 0

    def _peek(self) -> tuple | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> tuple:
        tree = self._or()
        while self._peek() is not None:  # stray ')' left by nothing: read on
            self.i += 1
            tree = ("and", [tree, self._or()])
        return tree

    def _or(self) -> tuple:
        parts = [self._and()]
        while self._peek() == ("OR",):
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def _and(self) -> tuple:
        parts = [self._not()]
        while (tok := self._peek()) is not None and tok not in (("OR",), (")",)):
            if tok == ("AND",):
                self.i += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def _not(self) -> tuple:
        if self._peek() == ("NOT",):
            self.i += 1
            return ("not", self._not())
        return self._atom()

    def _atom(self) -> tuple:
        tok = self._peek()
        if tok is None:
            return ("all",)
        self.i += 1
        if tok == ("(",):
            inner = self._or()
            if self._peek() == (")",):
                self.i += 1
            return inner
        if tok in (("AND",), ("OR",), (")",)):
            return ("all",)
        return tok


def _snippet(row: dict) -> str:
    import html

    snippet = row.get("snippet")
    if snippet and "<mark>" in snippet:
        # ts_headline does not escape: escape everything, then bring our marks back.
        escaped = html.escape(snippet, quote=False)
        return escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")
    description = " ".join((row.get("description") or "").split())
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
