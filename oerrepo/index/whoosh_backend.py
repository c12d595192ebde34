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

Searching: the match set, the filters and the facet counts are bitmaps (see
:mod:`.docsets`), the relevance order is BM25F summed term by term over the match set
(see :mod:`.ranking`), date and name orders come from per-segment sort keys. The
searcher and these caches are kept while the index is unchanged; after a commit
only the segments it wrote are read again.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import index as windex
from whoosh.index import LockError
from whoosh.writing import NO_MERGE

from .. import licenses
from ..errors import SearchError
from . import topics
from .backend import FACETS, Hit, IndexDocument, IndexEntry, SearchRequest, SearchResult, check_page
from .docsets import BitmapFilter, DocSets, bitmap_of, ids_of, segment_id
from .fed import FedChanges
from .query import COMMON, exact_title, parse, plan
from .ranking import score_parts
from .schema import SCHEMA_VERSION, WHOOSH_VERSION, build_schema, read_hit, whoosh_fields
from .snippets import snippet
from .whoosh_internals import self_check
from .whoosh_query import WhooshLexicon, compile_tree, coordination_groups, iter_terms
from .whoosh_writer import FIELDS_OF, SEGMENT_DOCS, SEGMENT_SECONDS_PER_DOC, MpWriter, open_writer
from .whoosh_writer import self_check as check_writer

__all__ = ["WhooshBackend", "REBUILD_SETTINGS"]

SEQ_FILE = "oerrepo-index.json"
CHECK_FILE = "oerrepo-whoosh-checked"

# Full rebuild: two worker processes, each writing its own segment (multisegment skips
# the final merge of the two; searching reads segments side by side, at a cost: 12 ms
# against 8.5 ms for a warm search of 20,000 records in one segment), each with a bounded
# posting pool that spills sorted runs to disk beyond it. Bare Whoosh on an idle 2-core
# machine: ~3,100 docs/s so against ~1,100 with one in-process writer; on a machine busy
# with other work the two come out level (bench_index.py).
# The pool's bound is reached early (64 MB: ~10,000 of our documents a process), so an
# import, harvest or rebuild of 20,000 records peaks about as high as one of 100,000; at
# 128 MB each pool grew until ~27,000 documents (2 x 100 MB more at 100,000 records than
# at 20,000). Spilling costs the merge of the runs: a rebuild of 100,000 records took
# 55.9 s (510 MB) at 128 MB, 54.7 s (414 MB) at 64 MB and 67.1 s (361 MB) at 32 MB.
REBUILD_SETTINGS = {"procs": min(2, os.cpu_count() or 1), "multisegment": True, "limitmb": 64}
# Incremental writes are mostly small: one in-process writer. Many changes at once (an
# import, a harvest followed in a second process) are written as a rebuild is.
APPLY_SETTINGS = {"limitmb": 64}
# A writer kept open while a long job (a harvest) stores records in another process: one
# process, as the indexing process that keeps it is daemonic (it ends with the job) and so
# may not start processes of its own; the job and it share the two cores.
KEPT_SETTINGS = {"limitmb": 64}
# A kept writer writes what it holds as a segment of its own every this many documents,
# while the job goes on: what is left to write when the job ends is at most this much (it
# was the whole job's postings, written after its last record), and the writer's memory
# stays bounded. Such segments are large enough for the merge policy to leave them be. The
# sub-processes of a multi-process writer do the same (whoosh_writer.SEGMENT_DOCS).
KEPT_SEGMENT = SEGMENT_DOCS
BULK_APPLY = 2000  # changes from which an apply uses the rebuild settings
# An exact title match multiplies the record's score (and ranks it first among equals).
EXACT_TITLE_BOOST = 3.0
# A term found in more than query.COMMON records adds a constant instead of its exact BM25F
# score (see ranking.score_parts); in a collection of a few thousand records all is exact.
_MAX_CLASSES = 512


class _Session:
    """An open writer applying store changes: what it wrote, up to which seq, what is committed."""

    def __init__(self, writer, settings: dict, seq: int):
        self.writer = writer
        self.settings = settings
        self.last = self.committed = seq
        self.added: set[str] = set()  # ids written since the last commit
        self.fed = FedChanges()  # changes written by feed(), their transaction not yet seen
        self.feeding = False  # opened by feed(): holds only what feed() wrote
        # The index held no document when this writer was opened, nor has it committed since:
        # feed() then adds documents without first deleting any of the same id (Whoosh's
        # update_document searches the index for them, one document at a time).
        self.empty = False


class WhooshBackend:
    """A Whoosh index in one folder, following the store's change sequence."""

    def __init__(self, path: str | os.PathLike, *, lock_timeout: float = 60.0):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._ix: windex.Index | None = None
        self._searcher = None
        self._cache_key: object = None
        self._sets: DocSets | None = None
        self._hits: _HitColumn | None = None
        self._segment_sets: dict = {}  # segment id -> its term bitmaps (see DocSets)
        self._segment_extras: dict = {}  # (what, order, segment id) -> sort keys of a segment
        self._sort_keys: dict[str, list] = {}
        self._lengths: dict = {}  # (segment id, field) -> length bytes (see ranking.score_matches)
        self._orders: dict[str, list[int]] = {}
        self._lexicon_cache: dict = {}  # per generation: see WhooshLexicon
        self._lock = threading.RLock()  # one Repository may serve several threads
        self._session: _Session | None = None  # a writer kept between applies (apply(commit=False))
        topics.keep_compiled(self.path, SCHEMA_VERSION)  # a cold search reads them, not every label stemmed

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
            json.dump({"seq": seq, "schema": WHOOSH_VERSION}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._seq_path())

    def last_seq(self) -> int:
        """The last store change this index has applied (0 when none)."""
        return int(self._read_state().get("seq", 0))

    def progress(self, last_change: Callable[[], int]) -> tuple[bool, int, int]:
        """(needs_rebuild, last_seq, the store's last change): see :class:`SearchBackend`."""
        if self.needs_rebuild():
            return True, 0, 0
        return False, self.last_seq(), last_change()

    def needs_rebuild(self) -> bool:
        """True when the index is missing, unreadable or of an older schema."""
        state = self._read_state()
        if state.get("schema") != WHOOSH_VERSION:
            return True
        if self._ix is not None:
            # Opened and read once already: a table of contents still there will do
            # (asked before every search, and reading it costs a millisecond).
            try:
                return not any(n.startswith("_MAIN_") and n.endswith(".toc") for n in os.listdir(self.path))
            except OSError:
                return True
        try:
            return not windex.exists_in(str(self.path))
        except Exception:  # a damaged table of contents
            return True

    def _index(self) -> windex.Index:
        if self._ix is None:
            self._check_whoosh()
            if self.needs_rebuild():
                raise SearchError(f"the search index at {self.path} is missing or outdated; run 'oerrepo reindex'")
            try:
                self._ix = windex.open_dir(str(self.path), schema=build_schema())
            except Exception as exc:
                raise SearchError(
                    f"the search index at {self.path} cannot be opened ({exc}); run 'oerrepo reindex'"
                ) from exc
        return self._ix

    def _check_whoosh(self) -> None:
        """Run :func:`~.whoosh_internals.self_check` once per Whoosh version and index folder
        (a marker file remembers it: a cold ``oerrepo search`` need not build a test index)."""
        import whoosh

        version = ".".join(map(str, whoosh.__version__))
        marker = self.path / CHECK_FILE
        try:
            if marker.read_text(encoding="utf-8") == version:
                return
        except OSError:
            pass
        self_check()
        check_writer()
        try:
            if self.path.is_dir():
                marker.write_text(version, encoding="utf-8")
        except OSError:
            pass  # a read-only index: checked again next time

    def _writer(self, wait: bool, **settings):
        ix = self._index()
        try:
            return open_writer(ix, timeout=self.lock_timeout if wait else 0.0, delay=0.05, **settings)
        except LockError as exc:
            if not wait:
                return None
            raise SearchError(
                f"the search index at {self.path} stayed locked by another writer for {self.lock_timeout:.0f} s; "
                "try again when it has finished (or run 'oerrepo reindex' if no other oerrepo process runs)"
            ) from exc

    # -- writing ----------------------------------------------------------------

    def apply(
        self,
        entries: Callable[[int], Iterable[IndexEntry]],
        *,
        wait: bool = True,
        pending: int = 0,
        commit: bool = True,
    ) -> int | None:
        """Apply the store's changes after the index's last seq (see :class:`SearchBackend`).

        ``commit=False`` keeps the writer (and the index's write lock) for the next call, so
        a process that follows a long write job adds documents as they come and writes
        a segment every :data:`KEPT_SEGMENT` documents and at the call that commits,
        instead of a small segment per call that the next ones merge again. :meth:`close`
        drops what was not committed (the next catch-up applies it again from the last
        committed seq).
        """
        with self._lock:
            session = self._session
            if session is None:
                # A kept writer follows a job running in another process (see KEPT_SETTINGS).
                if not commit:
                    settings = KEPT_SETTINGS
                else:
                    settings = REBUILD_SETTINGS if pending >= BULK_APPLY else APPLY_SETTINGS
                writer = self._writer(wait, **settings)
                if writer is None:
                    return None
                session = self._session = _Session(writer, settings, self.last_seq())  # seq read under the lock
            try:
                for entry in entries(session.last):
                    if entry.fed:
                        session.last = max(session.last, entry.seq)
                        continue
                    if entry.resource_id in session.added:
                        # Whoosh deletes only committed documents: an id written twice by
                        # one writer would be found twice. Commit, then go on.
                        self._commit(session)
                        session.writer = self._writer(True, **session.settings)
                    if entry.document is None:
                        session.writer.delete_by_term("id", entry.resource_id)
                    else:
                        session.writer.update_document(id=entry.document.id, **{FIELDS_OF: (whoosh_fields, entry.document)})
                    session.added.add(entry.resource_id)
                    session.last = max(session.last, entry.seq)
                if commit:
                    self._session = None
                    self._commit(session)
                elif len(session.added) >= KEPT_SEGMENT:
                    self._commit(session, merge=False)
                    session.writer = self._writer(True, **session.settings)
            except BaseException:
                self._session = None
                session.writer.cancel()
                raise
            return session.last

    def settle(self, *, quiet: bool = False) -> None:
        """Nothing to wait for: the documents :meth:`feed` takes never touch the transaction."""

    def feed(self, documents: Iterable[tuple[int, IndexDocument]], conn=None, *, aside: bool = False) -> bool:
        """Write new records' documents while their transaction runs (see :class:`SearchBackend`).

        Only into a writer of its own, taken without waiting: when another writer holds the
        index, the records are indexed from the store after the commit, as any change is.
        The documents are analysed and written by the writer's two sub-processes while the
        store goes on with the next records, and committed by the :meth:`apply` that follows
        the transaction's commit."""
        with self._lock:
            session = self._session
            if session is None:
                if self.needs_rebuild():
                    return False
                writer = self._writer(False, **REBUILD_SETTINGS)
                if writer is None:
                    return False
                session = self._session = _Session(writer, REBUILD_SETTINGS, self.last_seq())
                session.feeding = True
                session.empty = self._index().doc_count_all() == 0
            elif not session.feeding:
                return False  # a writer kept for another job: its changes come from the store
            write = session.writer.add_document if session.empty else session.writer.update_document
            try:
                for seq, doc in documents:
                    if doc.id in session.added:
                        continue  # written twice: the catch-up after the commit writes its latest
                    write(id=doc.id, **{FIELDS_OF: (whoosh_fields, doc)})
                    session.added.add(doc.id)
                    session.fed.add(seq)
            except BaseException:
                self._session = None
                session.writer.cancel()
                raise
            return True

    def finish_feed(self) -> None:
        """Nothing to do: what ``feed`` wrote waits in the writer for the apply after the commit."""

    def feed_ending(self, seconds_left: float, records_left: int) -> bool:
        """Have the feeding writer's processes write what they hold as segments, and the job's
        last records as they come, once writing all that takes as long as the job has left
        (``SEGMENT_SECONDS_PER_DOC``): the commit after the last records then writes only the
        last few (see :meth:`MpWriter.cut_segments`)."""
        with self._lock:
            session = self._session
            if session is None or not session.feeding:
                return False  # not (yet) feeding: asked again with the next page
            writer = session.writer
            if not isinstance(writer, MpWriter):
                return True  # one process writes its one segment at the commit
            # Each process has written a segment every SEGMENT_DOCS documents: what it holds now.
            held = (len(session.fed) % (SEGMENT_DOCS * writer.procs)) / writer.procs
            coming = records_left / writer.procs
            if seconds_left > (held + coming) * SEGMENT_SECONDS_PER_DOC:
                return False
            writer.cut_segments(round(coming))
            return True

    def fed_through(self, seq: int) -> int:
        """The end of the run of changes ``feed`` wrote from ``seq + 1`` on (see :class:`SearchBackend`)."""
        session = self._session
        return session.fed.held_through(seq) if session is not None else seq

    def was_fed(self, resource_id: str, seq: int) -> bool:
        """True when ``feed`` wrote this change into the writer kept now."""
        session = self._session
        return session is not None and seq in session.fed

    def discard(self) -> None:
        """Drop the documents ``feed`` wrote: their transaction rolled back."""
        with self._lock:
            session, self._session = self._session, None
            if session is not None:
                session.writer.cancel()

    def _commit(self, session: _Session, *, merge: bool = True) -> None:
        if session.last == session.committed:
            session.writer.cancel()
        else:
            session.writer.commit(**({} if merge else {"mergetype": NO_MERGE}))
            self._write_seq(session.last)
            session.committed = session.last
        session.added.clear()
        session.fed.clear()
        session.empty = False


    def rebuild(
        self, documents: Iterable[IndexDocument], last_seq: int, *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace the whole index by ``documents`` in one commit; searchers see old or new, never half."""
        with self._lock:
            if self._session is not None:  # rebuilt from the store: what it held is in there
                self._session.writer.cancel()
                self._session = None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = self.needs_rebuild() or not self._schema_matches()
            if fresh:
                return self._build_new_folder(documents, last_seq, progress)
            from whoosh.writing import CLEAR

            count = _write_all(self._writer(True, **REBUILD_SETTINGS), documents, progress, mergetype=CLEAR)
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
            count = _write_all(open_writer(ix, **REBUILD_SETTINGS), documents, progress)
            ix.close()
            (tmp / SEQ_FILE).write_text(json.dumps({"seq": last_seq, "schema": WHOOSH_VERSION}), encoding="utf-8")
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
            # Term bitmaps and sort keys are kept per segment: after an incremental
            # commit only the new segment is read.
            self._sets = DocSets(self._searcher, self._segment_sets)
            self._hits = _HitColumn(self._searcher)
            current = set(self._sets.segment_ids)
            for stale in [k for k in self._lengths if k[0] not in current]:
                del self._lengths[stale]
            self._sort_keys = {}
            self._orders = {}
            self._lexicon_cache = {}
        return self._searcher

    def _forget_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = None
        self._cache_key = None
        self._sets = None
        self._hits = None

    @staticmethod
    def _filter_bits(docsets: DocSets, prop: str, values: list[str]) -> int:
        sets = docsets.values(prop)
        if prop == "inLanguage":
            wanted = [v for v in sets for w in values if v == w or v.startswith(w + "-")]
        else:
            wanted = [v for v in values if v in sets]
        out = 0
        for v in wanted:
            out |= sets[v]
        return out

    def _snapshot(self):
        """The current searcher with its bitmaps, hit column and lexicon cache (one lock held
        only this long)."""
        with self._lock:
            searcher = self._current_searcher()
            return searcher, self._sets, self._hits, self._lexicon_cache

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a query with filters, facets, sorting and paging."""
        check_page(request)
        # Searches run side by side: only taking the current searcher is serialised.
        searcher, sets, hit_column, lexicon_cache = self._snapshot()
        parsed = parse(request.query)
        planned = plan(parsed, WhooshLexicon(searcher, sets, lexicon_cache), language=request.language)
        try:
            q = compile_tree(planned.tree) if planned.tree[0] != "all" else None
            base = sets.live if q is None else sets.query(q)
        except SearchError:
            raise
        except Exception as exc:
            raise SearchError(f"cannot run the query {request.query!r}: {exc}") from exc

        active: dict[str, int] = {}
        for prop, values in request.filters.items():
            if values:
                active[prop] = self._filter_bits(sets, prop, values)
        if request.open_only:
            opened = [v for v in sets.values("license") if _is_open(v)]
            open_docs = self._filter_bits(sets, "license", opened)
            active["license"] = (active["license"] & open_docs) if "license" in active else open_docs

        matched = base
        for docs in active.values():
            matched &= docs

        facets: dict[str, dict[str, int]] = {}
        if request.facets:
            for prop in FACETS:
                scope = matched
                if prop in active:  # a facet's own filter does not narrow its counts
                    scope = base
                    for other, docs in active.items():
                        if other != prop:
                            scope &= docs
                counts = [(v, (docs & scope).bit_count()) for v, docs in sets.values(prop).items()]
                facets[prop] = dict(sorted(((v, n) for v, n in counts if n), key=lambda kv: (-kv[1], kv[0])))

        total = matched.bit_count()
        hits = self._page(searcher, sets, hit_column, planned, q, matched, total, request=request)
        return SearchResult(
            total=total,
            hits=hits,
            facets=facets,
            suggestion=planned.suggestion,
            page=request.page,
            page_size=request.page_size,
            notes=planned.notes,
        )

    # -- ordering a page --------------------------------------------------------

    def _keys(self, searcher, order: str) -> list:
        """Sort key of every document for 'date' (newest first, then name) or 'name' (then newest)."""
        keys = self._sort_keys.get(order)
        if keys is None:
            keys = []
            for sub, _offset in searcher.leaf_searchers():
                reader = sub.reader()
                seg_key = ("keys", order, segment_id(reader))
                seg_keys = self._segment_extras.get(seg_key)
                if seg_keys is None:
                    dates = list(reader.column_reader("date"))
                    names = list(reader.column_reader("sortname"))
                    if order == "date":
                        seg_keys = [(-d, n) for d, n in zip(dates, names)]
                    else:
                        seg_keys = [(n, -d) for d, n in zip(dates, names)]
                    self._segment_extras[seg_key] = seg_keys
                keys.extend(seg_keys)
            live = {("keys", o, segment_id(s.reader())) for s, _ in searcher.leaf_searchers() for o in ("date", "name")}
            for stale in [k for k in self._segment_extras if k not in live]:
                del self._segment_extras[stale]
            self._sort_keys[order] = keys
        return keys

    def _sorted_docs(self, searcher, order: str, matched: int, total: int, limit: int) -> list[int]:
        keys = self._keys(searcher, order)
        if total * 4 < len(keys):
            return heapq.nsmallest(limit, ids_of(matched), key=keys.__getitem__)
        # Many matches: walk the whole collection in order (sorted once per generation).
        ranked = self._orders.get(order)
        if ranked is None:
            ranked = self._orders[order] = sorted(range(len(keys)), key=keys.__getitem__)
        allowed = BitmapFilter(matched)
        out = []
        for docnum in ranked:
            if docnum in allowed:
                out.append(docnum)
                if len(out) == limit:
                    break
        return out

    def _scores(self, searcher, q, docnums: Iterable[int]) -> dict[int, float]:
        """The scores of the given documents only (skipping through the postings to each)."""
        wanted = sorted(docnums)
        scores: dict[int, float] = {}
        context = searcher.context(needs_current=True)
        for sub, offset in searcher.leaf_searchers():
            end = offset + sub.doc_count_all()
            local = [d - offset for d in wanted if offset <= d < end]
            if not local:
                continue
            matcher = q.matcher(sub, context)
            for d in local:
                if not matcher.is_active():
                    break
                if matcher.id() < d:
                    matcher.skip_to(d)
                    if not matcher.is_active():
                        break
                if matcher.id() == d:
                    scores[d + offset] = matcher.score()
        return scores

    def _relevance(self, searcher, sets, planned, matched: int, total: int, limit: int) -> list[tuple[int, float]]:
        """The first ``limit`` documents by relevance (to 3 digits), recent first when tied.

        Each group of words side by side is scored by BM25F (see :mod:`.ranking`); a record's
        score is their sum times the square of the share of groups it matches, times
        :attr:`~.query.Plan.language_boost` when it is in the query's language, times
        :data:`EXACT_TITLE_BOOST` (plus one) for an exact title match.

        Terms found in more than :data:`COMMON` records add a constant (see
        :func:`~.ranking.score_parts`). The records only such terms reach fall into a few
        classes of equal score, told apart by bitmaps; each class gives its most recent
        records, so no step is taken per matching record.
        """
        dates = self._keys(searcher, "date")
        groups = coordination_groups(planned.tree)
        n = len(groups)
        parts = [score_parts(searcher, sets, compile_tree(g), matched, self._lengths, common=COMMON) for g in groups]
        title_bits = 0
        if planned.parsed.plain:
            title = exact_title(planned.parsed.text)
            title_bits = sets.term("title_exact", title) & matched if title else 0
        lang_bits = self._filter_bits(sets, "inLanguage", [planned.language]) & matched if planned.language else 0
        boost = planned.language_boost

        # Records some exactly scored term reaches (and exact titles): scored one by one,
        # the constant terms added through bitmaps.
        exact: set[int] = set(ids_of(title_bits))
        for scores, _ in parts:
            exact.update(scores)
        exact_bits = bitmap_of(exact, sets.size) if exact else 0
        totals: dict[int, float] = dict.fromkeys(exact, 0.0)
        counts: dict[int, int] = dict.fromkeys(exact, 0)
        for scores, constants in parts:
            group = dict(scores)
            for bits, c in constants:
                for d in ids_of(bits & exact_bits):
                    group[d] = group.get(d, 0.0) + c
            for d, v in group.items():
                totals[d] += v
                counts[d] += 1
        if n > 1:
            for d in totals:
                totals[d] *= (counts[d] / n) ** 2
        for d in ids_of(title_bits):
            totals[d] = totals[d] * EXACT_TITLE_BOOST + 1.0
        for d in ids_of(lang_bits & exact_bits):
            totals[d] *= boost

        def rank(item):
            docnum, score = item
            return (-_tie(score), dates[docnum])

        candidates = totals.items()
        if len(totals) > limit * 4:
            # Only scores near the limit-th best can tie with it at 3 digits: rank those.
            kth = heapq.nlargest(limit, totals.values())[-1]
            if kth > 0:
                candidates = [item for item in totals.items() if item[1] >= kth * 0.99]
        best = heapq.nsmallest(limit, candidates, key=rank)

        # The other records: classes of equal score by which constant terms (and language) they hold.
        rest = matched & ~exact_bits
        if not rest:
            return best
        features = [(g, c, bits) for g, (_, constants) in enumerate(parts) for bits, c in constants]
        classes: list[tuple[int, tuple[int, ...]]] = [(rest, ())]
        for i, (_, _, bits) in enumerate(features):
            if len(classes) > _MAX_CLASSES:
                break
            refined = []
            for members, signature in classes:
                inside = members & bits
                if inside:
                    refined.append((inside, (*signature, i)))
                outside = members & ~bits
                if outside:
                    refined.append((outside, signature))
            classes = refined
        valued = []
        for members, signature in classes:
            per_group = [0.0] * n
            present = [False] * n
            for i in signature:
                g, c, _ = features[i]
                per_group[g] += c
                present[g] = True
            value = sum(per_group) * ((sum(present) / n) ** 2 if n > 1 else 1.0)
            if not lang_bits:
                valued.append((value, members))
                continue
            inside, outside = members & lang_bits, members & ~lang_bits
            if inside:
                valued.append((value * boost, inside))
            if outside:
                valued.append((value, outside))
        valued.sort(key=lambda vm: -vm[0])
        for value, members in valued:
            if len(best) >= limit and _tie(value) < _tie(best[-1][1]):
                break
            docs = self._sorted_docs(searcher, "date", members, members.bit_count(), limit)
            best = heapq.nsmallest(limit, best + [(d, value) for d in docs], key=rank)
        return best

    def _page(self, searcher, sets, hit_column: _HitColumn, planned, q, matched: int, total: int, *,
              request: SearchRequest) -> list[Hit]:
        start = (request.page - 1) * request.page_size
        if start >= total:
            return []
        limit = start + request.page_size
        try:
            if request.sort == "date" or (request.sort == "relevance" and q is None):
                docs = self._sorted_docs(searcher, "date", matched, total, limit)[start:]
                page = [(d, 0.0) for d in docs]
            elif request.sort == "name":
                docs = self._sorted_docs(searcher, "name", matched, total, limit)[start:]
                page = [(d, 0.0) for d in docs]
            else:
                page = self._relevance(searcher, sets, planned, matched, total, limit)[start:]
        except SearchError:
            raise
        except Exception as exc:
            raise SearchError(f"cannot run the query {request.query!r}: {exc}") from exc

        words: set[str] = set()
        if q is not None:
            words = {text for fieldname, text in iter_terms(q) if fieldname == "description"}
        hits = []
        for docnum, score in page:
            stored = hit_column.of(docnum)
            description = stored["description"]
            marked = snippet(description, words) if words and description else ""
            if not marked:
                marked = _escape(_first_words(description, 200))
            hits.append(
                Hit(
                    id=stored["id"],
                    name=stored["name"] or stored["id"],
                    score=float(score),
                    snippet=marked,
                    license=stored["license"],
                    languages=stored["languages"],
                    date=stored["date"],
                )
            )
        return hits

    def close(self) -> None:
        """Close the searcher and the index (a writer kept open drops what it did not commit)."""
        with self._lock:
            if self._session is not None:
                self._session.writer.cancel()
                self._session = None
            self._forget_searcher()
            self._segment_sets.clear()
            self._segment_extras.clear()
            self._lengths.clear()
            if self._ix is not None:
                self._ix.close()
                self._ix = None


def _tie(score: float) -> float:
    """Relevance to three significant digits: scores that differ only in noise (a field
    one word longer) count as a tie, which recency then decides."""
    return float(f"{score:.3g}")



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


def _write_all(writer, documents, progress, **commit_options) -> int:
    """Add every document and commit; on any failure the writer is cancelled (its lock released)."""
    count = 0
    try:
        for doc in documents:
            writer.add_document(**{FIELDS_OF: (whoosh_fields, doc)})
            count += 1
            if progress:
                progress(1)
        writer.commit(**commit_options)
    except BaseException:
        writer.cancel()
        raise
    return count


class _HitColumn:
    """What a search shows of each record found, read from the ``hit`` column of one searcher's
    segments (see :func:`.schema.read_hit`). Each segment's column reader is made once: making
    one reads the offsets of all its values."""

    def __init__(self, searcher):
        self._leaves = searcher.reader().leaf_readers()
        self._offsets = [offset for _, offset in self._leaves]
        self._columns: dict[int, object] = {}

    def of(self, docnum: int) -> dict:
        """The hit of the document ``docnum`` of the searcher."""
        i = bisect_right(self._offsets, docnum) - 1
        column = self._columns.get(i)
        if column is None:  # two searches may both make it: the same reader either way
            column = self._columns[i] = self._leaves[i][0].column_reader("hit", translate=False)
        return read_hit(column[docnum - self._offsets[i]])
