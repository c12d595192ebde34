"""The Whoosh implementation of :class:`SearchBackend`, kept in ``<data>/index/``.

Consistency with the store: ``oerrepo-index.json`` beside the index holds the last
store change the index has applied. It is written only after the Whoosh commit that
applied that change succeeded, so it may lag behind the index (replaying a change is
harmless: every change sets a document to the record's state after it) but never run
ahead of it. Writers take Whoosh's write lock before they read that seq, so two
writers never apply changes out of order. The lock is an ``fcntl``/``msvcrt`` lock on
``MAIN_WRITELOCK``: the operating system releases it when its process dies, so a killed
writer leaves no stale lock behind, and its half-written segment files are ignored
(they are not in the table of contents) and cleaned by the next commit.

Readers never take a lock: a searcher sees the last committed generation.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as windex
from whoosh import query as wq
from whoosh import sorting
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.index import LockError

from .. import licenses
from ..errors import SearchError
from .analysis import fold
from .backend import FACETS, Hit, IndexDocument, IndexEntry, SearchRequest, SearchResult, check_page
from .schema import SCHEMA_VERSION, build_schema, whoosh_fields
from .whoosh_query import parse_query

__all__ = ["WhooshBackend", "REBUILD_SETTINGS"]

SEQ_FILE = "oerrepo-index.json"

# Full rebuild: two worker processes, each writing its own segment (multisegment skips
# the final merge, which roughly halves build time; searching two segments costs
# nothing measurable), each with a bounded 128 MB pool, so memory stays flat whatever
# the number of records. See benchmarks/bench_index.py for the figures behind this.
REBUILD_SETTINGS = {"procs": min(2, os.cpu_count() or 1), "multisegment": True, "limitmb": 128}
# Incremental writes are small: one in-process writer.
APPLY_SETTINGS = {"limitmb": 64}


class WhooshBackend:
    """A Whoosh index in one folder, following the store's change sequence."""

    def __init__(self, path: str | os.PathLike, *, lock_timeout: float = 60.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._ix: windex.Index | None = None
        self._searcher = None
        self._cache_key: object = None
        self._postings: dict[str, dict[str, frozenset[int]]] = {}
        self._all_docs: frozenset[int] | None = None
        self._lock = threading.RLock()  # one Repository may serve several threads

    # -- state ------------------------------------------------------------------

    def _seq_path(self) -> Path:
        return self.path / SEQ_FILE

    def _read_state(self) -> dict:
        try:
            return json.loads(self._seq_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_seq(self, seq: int) -> None:
        # Atomic: a reader sees the old file or the new one, never half of one.
        tmp = self.path / f".{SEQ_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"seq": seq, "schema": SCHEMA_VERSION}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._seq_path())

    def last_seq(self) -> int:
        """The last store change this index has applied (0 when none)."""
        return int(self._read_state().get("seq", 0))

    def needs_rebuild(self) -> bool:
        """True when the index is missing, unreadable or of an older schema."""
        state = self._read_state()
        if state.get("schema") != SCHEMA_VERSION:
            return True
        try:
            return not windex.exists_in(str(self.path))
        except Exception:  # a damaged table of contents
            return True

    def _index(self) -> windex.Index:
        if self._ix is None:
            if self.needs_rebuild():
                raise SearchError(f"the search index at {self.path} is missing or outdated; run 'oerrepo reindex'")
            try:
                self._ix = windex.open_dir(str(self.path), schema=build_schema())
            except Exception as exc:
                raise SearchError(
                    f"the search index at {self.path} cannot be opened ({exc}); run 'oerrepo reindex'"
                ) from exc
        return self._ix

    def _writer(self, wait: bool, **settings):
        ix = self._index()
        try:
            return ix.writer(timeout=self.lock_timeout if wait else 0.0, delay=0.05, **settings)
        except LockError as exc:
            if not wait:
                return None
            raise SearchError(
                f"the search index at {self.path} stayed locked by another writer for {self.lock_timeout:.0f} s; "
                "try again when it has finished (or run 'oerrepo reindex' if no other oerrepo process runs)"
            ) from exc

    # -- writing ----------------------------------------------------------------

    def apply(self, entries: Callable[[int], Iterable[IndexEntry]], *, wait: bool = True) -> int | None:
        """Apply the store's changes after the index's last seq (see :class:`SearchBackend`)."""
        with self._lock:
            writer = self._writer(wait, **APPLY_SETTINGS)
            if writer is None:
                return None
            try:
                start = last = self.last_seq()  # read under the write lock
                for entry in entries(start):
                    if entry.document is None:
                        writer.delete_by_term("id", entry.resource_id)
                    else:
                        writer.update_document(**whoosh_fields(entry.document))
                    last = max(last, entry.seq)
                if last == start:
                    writer.cancel()
                    return start
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            self._write_seq(last)
            return last

    def rebuild(
        self, documents: Iterable[IndexDocument], last_seq: int, *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace the whole index by ``documents`` in one commit; searchers see old or new, never half."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = self.needs_rebuild() or not self._schema_matches()
            if fresh:
                return self._build_new_folder(documents, last_seq, progress)
            from whoosh.writing import CLEAR

            writer = self._writer(True, **REBUILD_SETTINGS)
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**whoosh_fields(doc))
                    count += 1
                    if progress:
                        progress(1)
                writer.commit(mergetype=CLEAR)
            except BaseException:
                writer.cancel()
                raise
            self._write_seq(last_seq)
            self._forget_searcher()
            return count

    def _schema_matches(self) -> bool:
        try:
            stored = windex.open_dir(str(self.path)).schema
        except Exception:
            return False
        return sorted(stored.names()) == sorted(build_schema().names())

    def _build_new_folder(self, documents, last_seq, progress) -> int:
        # Build beside the old folder and swap, so a reader never sees an empty index.
        tmp = self.path.with_name(f"{self.path.name}.new-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            ix = windex.create_in(str(tmp), build_schema())
            writer = ix.writer(**REBUILD_SETTINGS)
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**whoosh_fields(doc))
                    count += 1
                    if progress:
                        progress(1)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            ix.close()
            (tmp / SEQ_FILE).write_text(json.dumps({"seq": last_seq, "schema": SCHEMA_VERSION}), encoding="utf-8")
            self.close()
            old = self.path.with_name(f"{self.path.name}.old-{os.getpid()}")
            if self.path.exists():
                os.replace(self.path, old)
            os.replace(tmp, self.path)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise SearchError(f"cannot write the search index at {self.path}: {exc}") from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return count

    # -- reading ----------------------------------------------------------------

    def _current_searcher(self):
        if self._searcher is not None and not self._searcher.up_to_date():
            # Not Searcher.refresh(): it reuses segment readers by segment id and so
            # misses deletions committed into a segment it already had open.
            self._forget_searcher()
        if self._searcher is None:
            self._searcher = self._index().searcher()
        key = id(self._searcher), self._searcher.reader().generation()
        if key != self._cache_key:
            self._cache_key = key
            self._postings = {}
            self._all_docs = None
        return self._searcher

    def _forget_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = None
        self._cache_key = None

    def _value_sets(self, searcher, prop: str) -> dict[str, frozenset[int]]:
        """Live documents by value of one facet property (cached per index generation)."""
        if prop not in self._postings:
            reader = searcher.reader()
            live = self._live(searcher)
            out: dict[str, frozenset[int]] = {}
            for btext in reader.lexicon(prop):
                value = btext.decode("utf-8")
                ids = live.intersection(reader.postings(prop, value).all_ids())
                if ids:
                    out[value] = frozenset(ids)
            self._postings[prop] = out
        return self._postings[prop]

    def _live(self, searcher) -> frozenset[int]:
        if self._all_docs is None:
            reader = searcher.reader()
            self._all_docs = frozenset(reader.all_doc_ids())
        return self._all_docs

    def _filter_set(self, searcher, prop: str, values: list[str]) -> frozenset[int] | set[int]:
        sets = self._value_sets(searcher, prop)
        if prop == "inLanguage":
            wanted = [v for v in sets for w in values if v == w or v.startswith(w + "-")]
        else:
            wanted = [v for v in values if v in sets]
        out: set[int] = set()
        for v in wanted:
            out |= sets[v]
        return out

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a query with filters, facets, sorting and paging."""
        check_page(request)
        with self._lock:
            searcher = self._current_searcher()
            parsed = parse_query(request.query, searcher.schema)
            live = self._live(searcher)
            if parsed.query is None:
                base = live
            else:
                try:
                    # Postings still list deleted documents until segments merge.
                    base = live.intersection(searcher.docs_for_query(parsed.query))
                except Exception as exc:
                    raise SearchError(f"cannot run the query {request.query!r}: {exc}") from exc

            active: dict[str, set[int] | frozenset[int]] = {}
            for prop, values in request.filters.items():
                if values:
                    active[prop] = self._filter_set(searcher, prop, values)
            if request.open_only:
                opened = [v for v in self._value_sets(searcher, "license") if _is_open(v)]
                open_docs = self._filter_set(searcher, "license", opened)
                active["license"] = (active["license"] & open_docs) if "license" in active else open_docs

            matched = set(base)
            for docs in active.values():
                matched &= docs

            facets: dict[str, dict[str, int]] = {}
            if request.facets:
                for prop in FACETS:
                    scope = matched
                    if prop in active:  # a facet's own filter does not narrow its counts
                        scope = set(base)
                        for other, docs in active.items():
                            if other != prop:
                                scope &= docs
                    counts = {v: len(docs & scope) for v, docs in self._value_sets(searcher, prop).items()}
                    facets[prop] = dict(sorted(((v, n) for v, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0])))

            hits = self._page(searcher, parsed, matched, request)
            suggestion = self._suggest(searcher, parsed, total=len(matched))
            return SearchResult(
                total=len(matched),
                hits=hits,
                facets=facets,
                suggestion=suggestion,
                page=request.page,
                page_size=request.page_size,
                notes=parsed.notes,
            )

    def _page(self, searcher, parsed, matched: set[int], request: SearchRequest) -> list[Hit]:
        start = (request.page - 1) * request.page_size
        if start >= len(matched):
            return []
        limit = start + request.page_size
        recency = sorting.FieldFacet("date", reverse=True)
        # The score comes last in every order so each hit still carries it (as -score).
        if request.sort == "date" or (request.sort == "relevance" and parsed.query is None):
            sortedby = [recency, sorting.FieldFacet("sortname"), sorting.ScoreFacet()]
        elif request.sort == "name":
            sortedby = [sorting.FieldFacet("sortname"), recency, sorting.ScoreFacet()]
        else:
            sortedby = [_TieScore(), recency]  # recent first when scores tie
        q = parsed.query if parsed.query is not None else wq.Every()
        try:
            results = searcher.search(q, filter=matched, limit=limit, sortedby=sortedby)
        except Exception as exc:
            raise SearchError(f"cannot run the query {request.query!r}: {exc}") from exc
        results.fragmenter = ContextFragmenter(maxchars=160, surround=50)
        results.formatter = HtmlFormatter(tagname="mark", between=" … ", classname="", termclass="")
        hits = []
        for hit in results[start:limit]:
            stored = hit.fields()
            description = stored.get("description") or ""
            snippet = ""
            if parsed.query is not None and description:
                try:
                    snippet = hit.highlights("description", text=description, top=2)
                except Exception:  # highlighting is a nicety: never fail a search for it
                    snippet = ""
            if not snippet:
                snippet = _escape(_first_words(description, 200))
            key = hit.score
            score = -key[-1 if request.sort != "relevance" else 0] if isinstance(key, tuple) else (key or 0.0)
            hits.append(
                Hit(
                    id=stored["id"],
                    name=stored.get("name") or stored["id"],
                    score=float(score) if parsed.query is not None else 0.0,
                    snippet=re.sub(r"<mark[^>]*>", "<mark>", snippet),
                    license=stored.get("license_value"),
                    languages=list(stored.get("languages") or []),
                    date=stored.get("date_text") or "",
                )
            )
        return hits

    def _suggest(self, searcher, parsed, *, total: int) -> str | None:
        """'Did you mean': replace words found nowhere by the closest title or keyword word."""
        if not parsed.words:
            return None
        reader = searcher.reader()
        corrector = None
        text = parsed.text
        changed = False
        for start, end, word in reversed(parsed.words):
            folded = fold(word)
            if len(folded) < 3 or folded.isdigit():
                continue
            if any(reader.doc_frequency(f, folded) for f in ("title", "keywords", "description", "concepts", "body")):
                continue
            corrector = corrector or searcher.corrector("spell")
            found = corrector.suggest(folded, limit=1, maxdist=1 if len(folded) < 6 else 2)
            if found and found[0] != folded:
                text = text[:start] + found[0] + text[end:]
                changed = True
        if not changed:
            return None
        return text

    def close(self) -> None:
        """Close the searcher and the index."""
        with self._lock:
            self._forget_searcher()
            if self._ix is not None:
                self._ix.close()
                self._ix = None


class _TieScore(sorting.ScoreFacet):
    """Relevance to three significant digits: scores that differ only in noise
    (a field one word longer) count as a tie, which recency then decides."""

    class ScoreCategorizer(sorting.ScoreFacet.ScoreCategorizer):
        def key_for(self, matcher, docid):
            return float(f"{super().key_for(matcher, docid):.3g}")


def _is_open(url: str) -> bool:
    lic = licenses.try_normalize(url)
    return bool(lic and lic.is_open)


def _first_words(text: str, width: int) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0] + " …"


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)
