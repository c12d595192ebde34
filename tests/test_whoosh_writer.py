"""The fast index writing paths give exactly the index Whoosh's analyzers and writer give."""

from __future__ import annotations

import json
import os
import time
from importlib.resources import files

import pytest
from whoosh import fields, writing
from whoosh import index as windex
from whoosh.analysis import RegexTokenizer
from whoosh.system import pack_uint

from oerrepo.index.document import document_for
from oerrepo.index.schema import build_schema, read_hit, whoosh_fields
from oerrepo.index.whoosh_writer import (
    CODEC,
    FIELDS_OF,
    TermsKeyword,
    TermsText,
    lines,
    open_writer,
    spaced,
)
from oerrepo.model import Resource, normalize_record
from oerrepo.subprocesses import INDEXING_NICE

TRICKY = [
    {"name": {"de": "Straße & Œuvre: Ĳssel-Übung 3.5 e.g. Nr.12 ½"}, "description": {"de": "Die Bienen fliegen."}},
    {"name": {"el": "Ενέργεια στα σχολεία: ΣΧΟΛΕΊΟ"}, "description": {"el": "Οι μαθητές μετρούν ενέργεια."}},
    {"name": {"tr": "İstanbul ılık ISPARTA"}, "description": {"tr": "Öğrenciler ölçüyor."}},
    {"name": {"en": "___ !!! ..."}, "description": {"en": "a.b.c x.y 1.000.000 e.s the runs\u00a0and\u2003spaces"}},
    {"name": {"fi": "Vesi", "sv": "Vatten"}, "description": {"fi": "Oppilaat mittaavat", "sv": "Elever mäter"},
     "keywords": ["Klimawandel", "energy"]},
]


def _records() -> list[dict]:
    samples = json.loads(files("oerrepo.samples").joinpath("blueprints.json").read_text(encoding="utf-8"))
    out = [normalize_record(r) for r in samples]
    for i, extra in enumerate(TRICKY):
        out.append(normalize_record({"id": f"tricky-{i}", "license": "CC-BY-4.0", **extra}))
    return out


def _analyzed_schema():
    """Our schema with every field indexed through its analyzer (Whoosh's own token stream)."""
    schema = build_schema()
    for _name, field in schema.items():
        if isinstance(field, (TermsText, TermsKeyword)):
            field.terms = None
    return schema


def test_each_field_gets_the_postings_its_analyzer_gives():
    fast, analyzed = build_schema(), _analyzed_schema()
    checked = lists = 0
    for data in _records():
        for name, value in whoosh_fields(document_for(Resource(data))).items():
            field = fast[name]
            if not isinstance(field, (TermsText, TermsKeyword)) or value is None:
                continue
            if isinstance(value, list):
                # analysed already (index/tokens.py): each token one term, counted, weighted by the boost
                boost = field.format.field_boost
                expected = [(t.encode("utf-8"), value.count(t), value.count(t) * boost, pack_uint(value.count(t)))
                            for t in set(value)]
                assert sorted(field.index(value)) == sorted(expected), (data["id"], name, value)
                lists += 1
            else:
                assert sorted(field.index(value)) == sorted(analyzed[name].index(value)), (data["id"], name, value)
            checked += 1
    assert checked > 100 and lists > 50


def _build(folder, records, *, fast: bool, commits: int = 1, **settings):
    """Index ``records`` in ``commits`` writers (the last one merging every segment)."""
    folder.mkdir()
    ix = windex.create_in(str(folder), build_schema() if fast else _analyzed_schema())
    size = -(-len(records) // commits)
    for start in range(0, len(records), size):
        writer = open_writer(ix, **settings) if fast else writing.SegmentWriter(ix, codec=CODEC)
        for data in records[start : start + size]:
            doc = document_for(Resource(data))
            if fast:  # as the index writes: the fields are made in the process that writes them
                writer.update_document(id=doc.id, **{FIELDS_OF: (whoosh_fields, doc)})
            else:
                writer.update_document(**whoosh_fields(doc))  # lists of analysed terms: counted as they are
        if start:  # the first commit's deletions are merged away by the last one
            writer.delete_by_term("id", records[0]["id"])
        writer.commit(optimize=start + size >= len(records) and commits > 1)
    return ix


def _postings_files(ix) -> dict[str, bytes]:
    """The term table and postings file of an index of one segment, as written."""
    (segment,) = ix._segments()
    files_of = segment.open_compound_file(ix.storage) if segment.is_compound() else ix.storage
    prefix = segment.make_filename("")
    return {name[len(prefix):]: files_of.open_file(name).read() for name in files_of.list()
            if name.startswith(prefix) and name.endswith((".trm", ".pst"))}


def _contents(ix):
    with ix.searcher() as searcher:
        reader = searcher.reader()
        column = reader.column_reader("hit", translate=False)
        hits = {d: read_hit(column[d]) for d in reader.all_doc_ids()}  # what a search shows of each
        terms = {}
        for fieldname, text in reader.all_terms():
            postings = reader.postings(fieldname, text)
            found = []  # in the order the postings are stored: by document number
            while postings.is_active():
                found.append((hits[postings.id()]["id"], postings.weight(), postings.value()))
                postings.next()
            terms[(fieldname, text)] = found
        lengths = {
            (hits[d]["id"], f): reader.doc_field_length(d, f)
            for d in reader.all_doc_ids() for f in ("title", "description", "stems", "keywords", "topics")
        }
        stored = {hit["id"]: hit for hit in hits.values()}
        sort_keys = {
            (hits[d]["id"], f): searcher.reader().column_reader(f)[d]
            for d in reader.all_doc_ids() for f in ("date", "sortname")
        }
    return terms, lengths, stored, sort_keys


@pytest.mark.parametrize(
    ("settings", "commits"),
    [
        ({}, 1),
        ({"procs": 2, "multisegment": True}, 1),
        ({"procs": 2}, 1),  # segments of each process too, though not asked for (see MpWriter)
        ({"limitmb": 0.02}, 1),  # the pool overflows into several run files, merged term by term
        ({"procs": 2, "multisegment": True, "limitmb": 0.02}, 1),
        ({"limitmb": 0.02}, 3),  # segments merged into the last writer's pool, deletions dropped
        # each process writes a segment every 3 documents (jobs of 2): several segments each
        ({"procs": 2, "multisegment": True, "batchsize": 2, "segment_docs": 3}, 1),
    ],
    ids=["one", "two-processes", "two-processes-unasked", "runs", "two-processes-runs", "merges", "two-processes-segments"],
)
def test_the_fast_writer_builds_the_index_whoosh_builds(tmp_path, settings, commits):
    records = _records()
    whoosh_ix = _build(tmp_path / "whoosh", records, fast=False, commits=commits)
    fast_ix = _build(tmp_path / "fast", records, fast=True, commits=commits, **settings)
    try:
        expected, got = _contents(whoosh_ix), _contents(fast_ix)
        assert len(expected[2]) == len(records) - (commits > 1)
        if "segment_docs" in settings:
            # The documents come in another order (segments one after the other, filled by whichever
            # process takes a job first), and a segment none of whose documents has keywords has no
            # length for them: 0 where one segment holding every document says None.
            expected, got = ([{k: sorted(v) for k, v in c[0].items()}, {k: v or 0 for k, v in c[1].items()}, *c[2:]]
                             for c in (expected, got))
            assert len(set(map(str, got[0].values()))) > 10  # the term lists are not all alike
        assert got == expected
        if "procs" not in settings and commits == 1:  # one segment each, written alike
            assert _postings_files(fast_ix) == _postings_files(whoosh_ix)
        if commits > 1:
            assert len(fast_ix._segments()) == 1
        if "segment_docs" in settings:
            sizes = [segment.doc_count_all() for segment in fast_ix._segments()]
            assert len(sizes) >= len(records) // 4 and max(sizes) <= 4 and sum(sizes) == len(records)
    finally:
        whoosh_ix.close()
        fast_ix.close()


@pytest.mark.skipif(not os.path.isdir("/proc") or not hasattr(os, "nice"), reason="reads priorities from /proc")
def test_the_writing_processes_yield_the_cores_to_the_process_feeding_them(tmp_path):
    ix = windex.create_in(str(tmp_path), _small_schema(True))
    writer = open_writer(ix, procs=2, multisegment=True, batchsize=2)
    try:
        for doc in _many_documents(10):
            writer.add_document(**{FIELDS_OF: (dict, doc)})
        expected = [min(19, os.nice(0) + INDEXING_NICE)] * 2
        deadline = time.monotonic() + 30  # a process sets its priority as it starts
        while True:
            niceness = []
            for task in writer.tasks:
                with open(f"/proc/{task.pid}/stat") as f:
                    niceness.append(int(f.read().rsplit(")", 1)[1].split()[16]))  # field 19: nice
            if niceness == expected or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        writer.commit()
        assert ix.doc_count() == 10
    finally:
        ix.close()
    assert niceness == expected


def test_segments_cut_while_documents_keep_coming_hold_what_whoosh_builds(tmp_path):
    records = _records()
    whoosh_ix = _build(tmp_path / "whoosh", records, fast=False)
    (tmp_path / "fast").mkdir()
    fast_ix = windex.create_in(str(tmp_path / "fast"), build_schema())
    writer = open_writer(fast_ix, procs=2, multisegment=True, batchsize=2, cut_docs=3)
    try:
        for i, data in enumerate(records):
            if i == len(records) // 2:
                writer.cut_segments()  # each process writes what it holds, once, and goes on
            doc = document_for(Resource(data))
            writer.update_document(id=doc.id, **{FIELDS_OF: (whoosh_fields, doc)})
        writer.commit()
        sizes = [segment.doc_count_all() for segment in fast_ix._segments()]
        assert 3 <= len(sizes) <= 4 and sum(sizes) == len(records), sizes
        # In another order, and a segment none of whose documents has keywords has no length for them.
        expected, got = ([{k: sorted(v) for k, v in c[0].items()}, {k: v or 0 for k, v in c[1].items()}, *c[2:]]
                         for c in (_contents(whoosh_ix), _contents(fast_ix)))
        assert got == expected
    finally:
        whoosh_ix.close()
        fast_ix.close()


def _paced_cut(folder, docs, *, coming: int) -> list[int]:
    """Write ``docs`` with two processes: half at once, then a cut expecting ``coming`` more
    documents a process, then the rest a job (10 documents) every 0.1 s, as a harvest's pages
    come. The index's segment sizes."""
    folder.mkdir()
    ix = windex.create_in(str(folder), _small_schema(True))
    try:
        writer = open_writer(ix, procs=2, multisegment=True, batchsize=10, cut_docs=10)
        half = len(docs) // 2
        for doc in docs[:half]:
            writer.add_document(**{FIELDS_OF: (dict, doc)})
        writer.cut_segments(coming)
        for i, doc in enumerate(docs[half:], 1):
            writer.add_document(**{FIELDS_OF: (dict, doc)})
            if i % 10 == 0:
                time.sleep(0.1)
        writer.commit()
        return [segment.doc_count_all() for segment in ix._segments()]
    finally:
        ix.close()


def test_after_a_cut_the_last_documents_are_written_as_they_come(tmp_path):
    docs = _many_documents(400)
    sizes = _paced_cut(tmp_path / "fast", docs, coming=100)
    # One segment a process at the cut, then one each time the one before was written (the
    # documents come slower than they are written), so the commit writes only the last few:
    # before, one a process at the cut and one at the commit (4).
    assert sum(sizes) == 400 and len(sizes) >= 8, sizes
    whoosh_ix, _ = _build_small(tmp_path / "whoosh", docs, fast=False)
    fast_ix = windex.open_dir(str(tmp_path / "fast"))
    try:
        assert _small_contents(fast_ix) == _small_contents(whoosh_ix)
    finally:
        whoosh_ix.close()
        fast_ix.close()


def test_documents_beyond_those_a_cut_expected_go_into_full_segments_again(tmp_path):
    # Each process was told 10 more documents would come, and ~150 came: it stops cutting after
    # twice what it expected, instead of writing a small segment every few documents.
    sizes = _paced_cut(tmp_path / "fast", _many_documents(600), coming=10)
    assert sum(sizes) == 600 and len(sizes) <= 14, sizes


def _small_contents(ix) -> dict:
    with ix.searcher() as searcher:
        reader = searcher.reader()
        out = {}
        for fieldname, text in reader.all_terms():
            postings = reader.postings(fieldname, text)
            found = []
            while postings.is_active():
                found.append((searcher.stored_fields(postings.id())["id"], postings.weight()))
                postings.next()
            out[(fieldname, text)] = sorted(found)
        return out


def _small_schema(fast: bool, boost: float = 1.0):
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        kind=fields.ID,  # no values, no lengths
        text=TermsText(analyzer=RegexTokenizer(r"\S+"), terms=spaced if fast else None, phrase=False, field_boost=boost),
        tags=TermsKeyword(analyzer=RegexTokenizer(r"[^\n]+"), terms=lines if fast else None, scorable=True),
    )


def _many_documents(count: int) -> list[dict]:
    """Terms of every size around a block of postings (128): one document, a few, 127 to 129,
    two blocks exactly, and one in almost every document, with frequencies (and so weights)
    that differ within a block and documents whose text or tags are empty (length 0)."""
    docs = []
    for i in range(count):
        words = ["every"] * (1 + i % 5) + [f"seventh{i % 7}"] * (i % 3) + [f"only{i}"]
        words += [f"first{n}" for n in (6, 127, 128, 129, 256) if i < n]
        docs.append({
            "id": str(i),
            "kind": "odd" if i % 2 else "even",
            "text": "" if i % 11 == 0 and i > 256 else " ".join(words),
            "tags": "\n".join(f"tag{j}" for j in range(i % 4)),
        })
    return docs


def _build_small(folder, docs, *, fast: bool, boost: float = 1.0, **settings):
    folder.mkdir()
    ix = windex.create_in(str(folder), _small_schema(fast, boost))
    writer = open_writer(ix, **settings) if fast else writing.SegmentWriter(ix, **{"codec": CODEC, **settings})
    for doc in docs:
        writer.add_document(**({FIELDS_OF: (dict, doc)} if fast else doc))
    writer.commit()
    return ix, writer


@pytest.mark.parametrize(
    ("settings", "boost"), [({}, 1.0), ({"limitmb": 0.05}, 1.0), ({}, 1.5)], ids=["one", "runs", "boosted"]
)
def test_terms_of_many_blocks_are_written_as_whoosh_writes_them(tmp_path, settings, boost):
    docs = _many_documents(3_000)
    whoosh_ix, _ = _build_small(tmp_path / "whoosh", docs, fast=False, boost=boost)
    fast_ix, writer = _build_small(tmp_path / "fast", docs, fast=True, boost=boost, **settings)
    try:
        with_text = sum(1 for doc in docs if doc["text"])
        assert with_text > 2_700
        # Written whole: terms of one block and of many (every: 22 blocks).
        assert max(writer._whole_terms) == with_text and min(writer._whole_terms) <= 128
        assert _postings_files(fast_ix) == _postings_files(whoosh_ix)
        with fast_ix.searcher() as searcher:
            reader = searcher.reader()
            assert reader.doc_frequency("text", "every") == with_text
            assert reader.doc_frequency("text", "first256") == 256
            every = reader.postings("text", "every")
            weights = set()
            while every.is_active():
                weights.add(every.weight())
                every.next()
            assert weights == {boost * f for f in (1, 2, 3, 4, 5)}
    finally:
        whoosh_ix.close()
        fast_ix.close()


def test_the_postings_a_writer_holds_stay_under_its_limit_however_many_documents_come(tmp_path):
    """Past its limit the pool writes its postings to run files, so what a writer holds does not
    grow with the number of documents; the runs are joined term by term into the same index."""
    docs = _many_documents(3_000)
    folder = tmp_path / "fast"
    folder.mkdir()
    ix = windex.create_in(str(folder), _small_schema(True))
    limitmb = 0.02
    writer = open_writer(ix, limitmb=limitmb)
    most_held = most_runs = 0
    for doc in docs:
        writer.add_document(**{FIELDS_OF: (dict, doc)})
        pool = writer.pool
        arrays = [*pool._terms.values(), *(p for words in pool._words.values() for p in words.values())]
        most_held = max(most_held, sum(len(postings) // 3 for postings in arrays))
        most_runs = max(most_runs, len(pool.runs))
    writer.commit()
    whoosh_ix, _ = _build_small(tmp_path / "whoosh", docs, fast=False)
    try:
        postings = sum(len(d["text"].split()) + d["tags"].count("\n") + bool(d["tags"]) for d in docs)
        # a posting held takes at least its three doubles (24 bytes)
        assert most_held * 24 <= limitmb * 1024 * 1024 < postings * 24 / 10
        assert most_runs >= 10
        assert _postings_files(ix) == _postings_files(whoosh_ix)
    finally:
        ix.close()
        whoosh_ix.close()


def test_indexing_keeps_no_record_name_in_the_word_caches():
    """The word caches of an indexing process hold words, which records repeat, and not whole
    names, which they do not: 600 records of other names leave no more than their words."""
    from itertools import islice, permutations

    from oerrepo.index import analysis

    words = ["garden", "bees", "water", "energy", "school", "maps"]
    names = [" ".join(p) for p in islice(permutations(words), 600)]
    assert len(set(names)) == 600
    analysis.fold.cache_clear()
    held = []
    for i, name in enumerate(names):
        data = normalize_record({"id": f"r{i}", "name": {"en": name}, "license": "CC-BY-4.0"})
        whoosh_fields(document_for(Resource(data)))
        held.append(analysis.fold.cache_info().currsize)  # the first record reads the vocabularies' labels
    assert held[-1] - held[0] < 20


def test_short_posting_lists_are_inlined_as_whoosh_inlines_them(tmp_path, monkeypatch):
    # Whoosh's codec inlines the postings of a term in its term table below ``inlinelimit``
    # (1 by default: never). Its postings writer calls a method W3TermInfo names set_inlined:
    # with that name given, both writers inline the terms of fewer than 16 postings.
    from whoosh.codec.whoosh3 import W3Codec, W3TermInfo

    monkeypatch.setattr(W3TermInfo, "set_inline", W3TermInfo.set_inlined, raising=False)
    docs = _many_documents(300)
    whoosh_ix, _ = _build_small(tmp_path / "whoosh", docs, fast=False, codec=W3Codec(inlinelimit=16))
    fast_ix, writer = _build_small(tmp_path / "fast", docs, fast=True, codec=W3Codec(inlinelimit=16))
    try:
        assert any(6 <= n < 16 for n in writer._whole_terms)
        assert _postings_files(fast_ix) == _postings_files(whoosh_ix)
        with fast_ix.searcher() as searcher:
            reader = searcher.reader()
            assert reader.term_info("text", "first6").is_inlined()
            assert not reader.term_info("text", "first128").is_inlined()
            assert [searcher.stored_fields(d)["id"] for d in reader.postings("text", "first6").all_ids()] == [
                "0", "1", "2", "3", "4", "5"]
    finally:
        whoosh_ix.close()
        fast_ix.close()


def test_a_whoosh_whose_postings_writer_buffers_otherwise_stops_the_write(tmp_path, monkeypatch):
    from whoosh.codec.whoosh3 import W3PostingsWriter

    from oerrepo.errors import SearchError
    from oerrepo.index import whoosh_writer

    new_block = W3PostingsWriter._new_block

    def weights_in_a_list(self):
        new_block(self)
        self._weights = []

    monkeypatch.setattr(W3PostingsWriter, "_new_block", weights_in_a_list)
    with pytest.raises(SearchError, match="writes indexes in a way oerrepo's writer does not follow.*whoosh-reloaded"):
        _build_small(tmp_path / "fast", _many_documents(200), fast=True)
    with pytest.raises(SearchError, match=r"holds _weights=\[\]\); install the version pyproject.toml names"):
        whoosh_writer.self_check.__wrapped__()


def test_the_writer_checks_itself_against_whoosh_and_says_what_to_install(monkeypatch):
    from oerrepo.errors import SearchError
    from oerrepo.index import whoosh_writer

    whoosh_writer.self_check.__wrapped__()  # this Whoosh: the two indexes agree
    # A Whoosh release that weighs or encodes frequencies otherwise than the fast path
    # assumes: the index its own writer builds differs, and the check says so.
    from whoosh import formats

    word_values = formats.Frequency.word_values

    def doubled(self, value, analyzer, **kwargs):
        for word, freq, weight, vbytes in word_values(self, value, analyzer, **kwargs):
            yield word, freq, weight * 2, vbytes

    monkeypatch.setattr(formats.Frequency, "word_values", doubled)
    with pytest.raises(SearchError, match="writes indexes in a way oerrepo's writer does not follow.*whoosh-reloaded"):
        whoosh_writer.self_check.__wrapped__()


def test_the_writer_checks_the_multi_process_parts_it_replaces(monkeypatch):
    from whoosh import multiproc

    from oerrepo.errors import SearchError
    from oerrepo.index import whoosh_writer

    # A Whoosh release whose multi-process writer sends each document to its sub-processes
    # at once, without the buffer our job files replace.
    def sent_at_once(self, **fields):
        self.jobqueue.put(fields)

    monkeypatch.setattr(multiproc.MpWriter, "add_document", sent_at_once)
    with pytest.raises(SearchError, match="no longer hands its document buffer to _enqueue.*whoosh-reloaded"):
        whoosh_writer.self_check.__wrapped__()


def _fields_failing_on_the_700th(doc):
    if doc["id"] == "700":
        raise ValueError("a document its analysis cannot read")
    return doc


@pytest.mark.parametrize("count", [800, 3_000])  # a commit waiting for results; a full job queue
def test_a_writer_process_that_fails_stops_the_write_with_an_error_instead_of_waiting(tmp_path, count):
    from oerrepo.errors import SearchError

    ix = windex.create_in(str(tmp_path), fields.Schema(id=fields.ID(stored=True, unique=True)))
    writer = open_writer(ix, procs=2, multisegment=True)
    with pytest.raises(SearchError, match="an indexing process stopped.*oerrepo reindex"):
        for i in range(count):
            writer.add_document(**{FIELDS_OF: (_fields_failing_on_the_700th, {"id": str(i)})})
        writer.commit()
    writer.cancel()
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 0
    writer = open_writer(ix)  # the lock is free again
    writer.add_document(id="1")
    writer.commit()
    assert ix.doc_count() == 1


def test_fields_added_to_or_removed_from_the_writers_schema_are_written_as_whoosh_writes_them(tmp_path):
    from whoosh.writing import UnknownFieldError

    schema = fields.Schema(id=fields.ID(stored=True, unique=True), gone=fields.KEYWORD)
    ix = windex.create_in(str(tmp_path), schema)
    writer = open_writer(ix)
    writer.add_field("title", TermsText(analyzer=RegexTokenizer(r"\S+"), terms=spaced, phrase=False))
    writer.remove_field("gone")
    with pytest.raises(UnknownFieldError):
        writer.add_document(id="1", gone="x")
    writer.add_document(id="1", title="pond dipping kit")
    writer.commit()
    with ix.searcher() as searcher:
        assert [searcher.stored_fields(d)["id"] for d in searcher.document_numbers(title="dipping")] == ["1"]
        assert searcher.doc_frequency("title", "pond") == 1


def test_writer_processes_that_end_without_an_error_before_their_jobs_stop_the_write_instead_of_waiting(
        tmp_path, monkeypatch):
    # What a program that ends the process at its top level does to the processes Python
    # starts by running it again: they end with exit code 0 and take no job.
    import multiprocessing
    import sys
    import threading

    from oerrepo.errors import SearchError
    from oerrepo.index import whoosh_writer

    def ending_at_once(self):
        task = multiprocessing.get_context().Process(target=sys.exit, args=(0,))
        self.tasks.append(task)
        task.start()
        return task

    monkeypatch.setattr(whoosh_writer.MpWriter, "_new_task", ending_at_once)
    ix = windex.create_in(str(tmp_path), fields.Schema(id=fields.ID(stored=True, unique=True)))
    writer = open_writer(ix, procs=2, multisegment=True, batchsize=1)
    raised: list[BaseException] = []

    def feed() -> None:
        try:
            for i in range(100):  # more jobs than the queue holds
                writer.add_document(id=str(i))
        except BaseException as exc:  # noqa: BLE001 - looked at below
            raised.append(exc)

    feeding = threading.Thread(target=feed, daemon=True)
    feeding.start()
    feeding.join(120)
    assert not feeding.is_alive(), "the write still waits for processes that ended"
    assert len(raised) == 1 and isinstance(raised[0], SearchError), raised
    assert "ended, without an error, before they were given every document" in str(raised[0])
    writer.cancel()
    writer = open_writer(ix)  # the lock is free again
    writer.add_document(id="1")
    writer.commit()
    assert ix.doc_count() == 1


def test_a_harvest_near_the_end_of_a_list_has_the_index_write_what_it_holds_while_the_rest_comes(
        tmp_path, monkeypatch):
    from oai_server import Partner, simple_records

    from oerrepo import Repository
    from oerrepo.harvesters import loop
    from oerrepo.index import whoosh_backend, whoosh_writer

    monkeypatch.setattr(loop, "INDEX_ASIDE_AFTER", 100)  # the partner's list size makes the harvest a long one
    monkeypatch.setattr(whoosh_backend, "SEGMENT_SECONDS_PER_DOC", 3600.0)  # writing is 'slow': cut at once
    monkeypatch.setattr(whoosh_writer, "CUT_DOCS", 10)
    with Repository(tmp_path / "data") as repo, Partner(simple_records(600), page_size=50) as partner:
        report = repo.harvest(partner.url, source="p").sources[0]
        assert (report.new, repo.search("blueprint").total) == (600, 600)
        assert repo.search("number 417").hits[0].id == "partner-417"
    ix = windex.open_dir(str(tmp_path / "data" / "index"))
    try:
        sizes = [segment.doc_count_all() for segment in ix._segments()]
    finally:
        ix.close()
    # Each of the two processes wrote what it held when asked, then what came after at the commit
    # (the first page is indexed before the harvest hands the indexing over).
    assert len(sizes) >= 3 and sum(sizes) == 600, sizes


def _segment_count(ix) -> int:
    with ix.reader() as reader:
        return len(list(reader.leaf_readers()))


def test_an_index_of_compressed_blocks_written_before_reads_alike_beside_and_merged_with_new_segments(tmp_path):
    from whoosh.codec.whoosh3 import W3Codec

    docs = _many_documents(600)
    reference, _ = _build_small(tmp_path / "reference", docs, fast=False, codec=W3Codec())
    folder = tmp_path / "mixed"
    folder.mkdir()
    ix = windex.create_in(str(folder), _small_schema(True))
    try:
        older = writing.SegmentWriter(ix, codec=W3Codec())  # as indexes were written before: blocks compressed
        for doc in docs[:300]:
            older.add_document(**doc)
        older.commit()
        newer = open_writer(ix)
        for doc in docs[300:]:
            newer.add_document(**{FIELDS_OF: (dict, doc)})
        newer.commit(merge=False)
        assert _segment_count(ix) == 2
        assert _small_contents(ix) == _small_contents(reference)
        writer = open_writer(ix)
        writer.commit(optimize=True)  # merged into one segment of blocks as written
        assert _segment_count(ix) == 1
        assert _small_contents(ix) == _small_contents(reference)
    finally:
        ix.close()
        reference.close()
