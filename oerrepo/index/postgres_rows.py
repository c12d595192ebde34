"""The rows PostgreSQL search stores for documents, and building many of them on both cores.

A document's row holds its analysed tokens as a tsvector literal (see :mod:`.tokens`):
analysing is most of the work of indexing, and all of it is Python. A large apply (an
import, a harvest followed by the indexing process, a rebuild) hands the documents to
two worker processes in batches and writes the rows of one batch while the workers
analyse the next, so the database writes and the analysis overlap.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .. import waiting
from ..errors import SearchError
from ..store import postgres_search as sql
from ..subprocesses import start_indexing_helper
from .analysis import fold_text, primary_language
from .backend import IndexDocument
from .query import exact_title
from .tokens import tokens_of

__all__ = ["row_of", "rows_of", "RowWorkers", "PARALLEL_FROM"]

# Changes from which rows are built in worker processes (starting them costs ~0.3 s).
PARALLEL_FROM = 2000
_CHUNK = 100  # documents a worker analyses per task
_BATCH = 500  # rows written per statement


def row_of(doc: IndexDocument) -> sql.Row:
    """The search row of one document."""
    tokens = tokens_of(doc)
    marks = sql.MARKS
    stems = [marks["stem"] + s for s in tokens.stems]
    topics = [marks["topic"] + t for t in tokens.topics]
    parts = [marks["part"] + t for t in tokens.parts]
    weights = sql._WEIGHTS
    groups = [(weights[name], getattr(tokens, name)) for name in ("title", "keywords", "description", "body")]
    groups += [("C", stems), ("B", topics), ("D", parts)]
    tsv, words = sql.tsvector_of(groups)
    return sql.Row(id=doc.id, facets=doc.facets, words="\n".join(words), columns=sql.row_columns(
        id=doc.id,
        name=doc.name or doc.id,
        sortname=fold_text(doc.name or doc.id)[:200],
        title_exact=[exact_title(t) for _, t in doc.titles],
        date=doc.date or "",
        license=doc.license,
        languages=list(doc.languages),
        langs=list(dict.fromkeys(primary_language(lang) for lang in doc.languages)),
        description="\n".join(t for _, t in doc.descriptions if t),
        tsv=tsv,
        phrases=list(tokens.phrases),
    ))


def _rows_of_chunk(docs: list[IndexDocument]) -> list[sql.Row]:
    return [row_of(doc) for doc in docs]


def rows_of(items: Iterable[tuple[object, IndexDocument | None]], *, parallel: bool = True) -> Iterator[list[tuple]]:
    """Batches of ``(item, row)`` for ``(item, document)`` pairs, in order (``row`` None where
    the document is None). With ``parallel``, past :data:`PARALLEL_FROM` documents, two worker
    processes build the rows while the caller writes the batch before (the batches then come
    one step behind)."""
    it = iter(items)
    head: list[tuple] = []
    documents = 0
    if parallel:
        for pair in it:
            head.append(pair)
            documents += pair[1] is not None
            if documents >= PARALLEL_FROM:
                break
    procs = min(2, os.cpu_count() or 1)
    if documents < PARALLEL_FROM or procs < 2:
        for batch in _batches(itertools.chain(head, it)):
            yield [(item, row_of(doc) if doc is not None else None) for item, doc in batch]
        return
    items = itertools.chain(head, it)
    with RowWorkers(procs) as workers:
        pending = None
        for batch in _batches(items):
            started = (batch, workers.submit([doc for _, doc in batch if doc is not None]))
            if pending is not None:
                yield _joined(*pending)
            pending = started
        if pending is not None:
            yield _joined(*pending)


def _joined(batch: list[tuple], handle: list[Future]) -> list[tuple]:
    rows = iter(RowWorkers.rows(handle))
    return [(item, next(rows) if doc is not None else None) for item, doc in batch]


def _batches(items: Iterable[tuple[object, IndexDocument | None]]) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for pair in items:
        batch.append(pair)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class RowWorkers:
    """Two worker processes building rows for a job that hands documents over as it goes:
    :meth:`submit` returns at once, :meth:`rows` waits for what was submitted.

    An executor, not a ``multiprocessing.Pool``: ``Pool.terminate`` can wait forever for a
    queue lock a worker holds, and a pool whose worker died waits forever for its result;
    here closing cancels what has not started and waits for the chunks running (a few
    milliseconds each), and a worker that died fails the job with a :class:`SearchError`
    instead of leaving it waiting for rows that never come."""

    def __init__(self, processes: int | None = None):
        # Spawned, not forked: the parent holds database connections a fork would share.
        self._pool = ProcessPoolExecutor(processes or min(2, os.cpu_count() or 1),
                                         mp_context=multiprocessing.get_context("spawn"), initializer=start_indexing_helper)

    def __enter__(self) -> RowWorkers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, docs: list[IndexDocument]) -> list[Future]:
        """Start building the rows of ``docs``; a handle for :meth:`rows`."""
        try:
            return [self._pool.submit(_rows_of_chunk, docs[i : i + _CHUNK]) for i in range(0, len(docs), _CHUNK)]
        except BrokenProcessPool as exc:  # a worker ended before: the pool takes no more
            raise _ended() from exc

    @staticmethod
    def rows(handle: list[Future]) -> list[sql.Row]:
        """The rows of a :meth:`submit`, in its order."""
        try:
            return [row for chunk in handle for row in waiting.result(chunk)]
        except BrokenProcessPool as exc:
            raise _ended() from exc

    def close(self) -> None:
        """Stop the workers (what was submitted and not started is dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _ended() -> SearchError:
    return SearchError(
        "a process building the search rows ended unexpectedly (killed, out of memory, or stopped as it "
        "started: its own message, if it had one, is printed above); what this job wrote was rolled back "
        "with it. Run it again; if it happens again, check that message or the system log for the reason"
    )
