"""Search on PostgreSQL: the same behavioural tests as the Whoosh index, on the database.

The tests of test_index.py that describe what a person sees (multilingual matching, the
query language, ranking, facets, "did you mean") are collected here a second time with
a ``samples`` repository whose store and search index are in PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import test_index
from pg import drop_schema, new_schema, require_server
from sqlalchemy import event, text
from test_index import (  # noqa: F401  (collected again, with this module's fixtures)
    FACETS,
    store_counts,
    test_a_long_query_of_unknown_words_is_bounded,
    test_a_misspelt_word_shows_the_results_of_its_correction,
    test_a_phrase_is_its_words_side_by_side_in_one_text,
    test_accents_are_optional,
    test_accents_do_not_matter,
    test_add_update_delete_reach_the_index,
    test_bad_filter_values_are_clear_errors,
    test_compounds_meet_their_parts_and_the_reverse,
    test_cross_language_concepts,
    test_did_you_mean,
    test_exact_title_first_then_recency,
    test_facet_counts_honour_the_other_filters,
    test_facet_counts_match_the_store,
    test_field_queries_take_short_forms,
    test_german_compound_found_by_prefix,
    test_greek_with_and_without_accents_and_inflection,
    test_hits_carry_snippet_licence_languages,
    test_inflected_forms_meet,
    test_lone_operator_and_stop_words_give_sensible_results,
    test_mistyped_queries_still_search,
    test_open_only_and_repeated_filters,
    test_other_languages_follow_the_query_language,
    test_phrase_and_boolean_operators,
    test_samples_are_found_in_their_languages,
    test_sort_by_date_and_name_and_pages,
    test_word_forms_match_through_stemming,
)

from oerrepo import Repository
from oerrepo.errors import SearchError
from oerrepo.index.backend import SearchBackend, SearchRequest
from oerrepo.index.postgres import PostgresBackend
from oerrepo.index.query import parse
from oerrepo.store import Store


def _on_postgres(folder: Path, url: str) -> Repository:
    repo = Repository(folder, db_url=url)
    # The facade itself picks PostgreSQL's search for a PostgreSQL store: no index on disk.
    assert isinstance(repo._parts.search.backend(), PostgresBackend)
    return repo


class _Folders:
    """Hands test_index's fixture a data folder that names a PostgreSQL schema."""

    def __init__(self, factory, url: str):
        self.factory, self.url = factory, url

    def mktemp(self, name: str) -> Path:
        folder = self.factory.mktemp(name)
        (folder / "data").mkdir()
        (folder / "data" / "oerrepo.toml").write_text(f'[store]\nurl = "{self.url}"\n', encoding="utf-8")
        return folder


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """test_index's sample repository (the same records, built by its own fixture code), on PostgreSQL."""
    base = require_server()
    name, url = new_schema(base)
    build = test_index.samples.__wrapped__(_Folders(tmp_path_factory, url))
    repo = next(build)
    assert isinstance(repo._parts.search.backend(), PostgresBackend)
    assert not (repo.path / "index").exists()
    yield repo
    next(build, None)
    drop_schema(base, name)


@pytest.fixture
def tmp_path(tmp_path_factory, request):
    """test_index's per-test folder; here the folder names a fresh PostgreSQL schema."""
    base = require_server()
    name, url = new_schema(base)
    folder = tmp_path_factory.mktemp("pg")
    for data in ("data", "d"):  # the data folders test_index's tests open
        (folder / data).mkdir()
        (folder / data / "oerrepo.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    yield folder
    drop_schema(base, name)


def test_the_backend_follows_the_interface(pg_url):
    backend = PostgresBackend(Store(pg_url).open())
    assert isinstance(backend, SearchBackend)
    assert backend.needs_rebuild() and backend.last_seq() == 0
    assert backend.rebuild([], 7) == 0
    assert not backend.needs_rebuild() and backend.last_seq() == 7
    assert backend.search(SearchRequest("anything")).total == 0


def test_a_sqlite_store_is_refused(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('s') / 'repo.db'}").open()
    with pytest.raises(SearchError, match="PostgreSQL"):
        PostgresBackend(store)


@pytest.mark.parametrize(
    "typed, tree",
    [
        ("kite lift", ("should", [("word", None, "kite"), ("word", None, "lift")])),
        ("kite AND lift", ("and", [("word", None, "kite"), ("word", None, "lift")])),
        ("kite OR lift", ("or", [("word", None, "kite"), ("word", None, "lift")])),
        ("pond NOT garden", ("and", [("word", None, "pond"), ("not", ("word", None, "garden"))])),
        ('"pond life"', ("phrase", None, "pond life")),
        ("grün*", ("prefix", None, "grun")),
        ("title:kite", ("word", "title", "kite")),
        ("(a OR b) c", ("should", [("or", [("word", None, "a"), ("word", None, "b")]), ("word", None, "c")])),
        ("sdg:13", ("facet", "sdg", ["http://metadata.un.org/sdg/13"])),
    ],
)
def test_queries_are_read_as_people_mean_them(typed, tree):
    assert parse(typed).tree == tree


def test_hostile_query_text_is_only_ever_data(samples):
    for typed in ("'; DROP TABLE search_docs; --", "a:b:c", "\\", "title:'", "$$", "kite:*A", "!!", "&"):
        samples.search(typed)
    assert samples.search("kite").total >= 2


def test_every_web_worker_sees_the_same_index(samples, tmp_path_factory):
    url = samples.store.url
    other = _on_postgres(tmp_path_factory.mktemp("worker2") / "data", url)
    try:
        samples.add({"id": "t-new-one", "name": {"en": "Zeppelin workshop"}, "license": "CC0-1.0",
                     "inLanguage": ["en"]})
        assert [h.id for h in other.search("zeppelin").hits] == ["t-new-one"]
        samples.delete("t-new-one")
        assert other.search("zeppelin").total == 0
    finally:
        other.close()


def test_facet_counts_with_three_filters_honour_the_other_two(samples):
    resources = list(samples.iter())
    common = Counter(r.data["license"] for r in resources).most_common(1)[0][0]
    holds = {
        "inLanguage": lambda r: any(t == "en" or t.startswith("en-") for t in r.data.get("inLanguage", [])),
        "sdg": lambda r: "http://metadata.un.org/sdg/7" in r.data.get("sdg", []),
        "license": lambda r: r.data["license"] == common,
    }
    result = samples.search("", language="en", sdg=7, license=common, page_size=1)
    assert result.total == sum(all(h(r) for h in holds.values()) for r in resources)
    for prop in FACETS:
        # Each facet counts within the records that pass every filter but its own.
        scope = [r for r in resources if all(h(r) for p, h in holds.items() if p != prop)]
        assert scope, prop
        assert result.facets[prop] == dict(store_counts(scope)[prop]), prop


def test_a_value_listed_twice_counts_its_record_once(tmp_path_factory, pg_url):
    repo = _on_postgres(tmp_path_factory.mktemp("twice") / "data", pg_url)
    try:
        repo.add({"id": "t-twice", "name": {"en": "Kite day"}, "license": "CC0-1.0", "inLanguage": ["en", "en"],
                  "sdg": ["13", "13"]})
        result = repo.search("kite")
        assert result.total == 1
        assert result.facets["sdg"] == {"http://metadata.un.org/sdg/13": 1}
        assert result.facets["inLanguage"] == {"en": 1}
    finally:
        repo.close()


def test_an_index_of_an_older_layout_is_rebuilt(tmp_path_factory, pg_url):
    folder = tmp_path_factory.mktemp("upgrade") / "data"
    repo = _on_postgres(folder, pg_url)
    repo.add({"id": "t-kite", "name": {"en": "Kite day"}, "license": "CC0-1.0", "inLanguage": ["en"], "sdg": ["13"]})
    repo.close()
    # What an installation of the first layout holds: text arrays per facet, no codes.
    with Store(pg_url).open().transaction() as conn:
        conn.execute(text("ALTER TABLE search_docs DROP COLUMN codes"))
        conn.execute(text("ALTER TABLE search_docs ADD COLUMN f_sdg text[] NOT NULL DEFAULT '{}'"))
        conn.execute(text("UPDATE search_state SET value = '1' WHERE key = 'schema'"))
    repo = _on_postgres(folder, pg_url)
    try:
        result = repo.search("kite", sdg=13)
        assert [h.id for h in result.hits] == ["t-kite"]
        assert result.facets["license"] == {"https://creativecommons.org/publicdomain/zero/1.0/": 1}
    finally:
        repo.close()


def test_an_index_keeping_each_documents_words_in_a_column_is_rebuilt_without_it(tmp_path_factory, pg_url):
    folder = tmp_path_factory.mktemp("words") / "data"
    repo = _on_postgres(folder, pg_url)
    repo.add({"id": "t-kite", "name": {"en": "Kite day"}, "license": "CC0-1.0", "inLanguage": ["en"]})
    repo.close()
    # The layout before: every document's tokens also as an array, which the search words were counted from.
    with Store(pg_url).open().transaction() as conn:
        conn.execute(text("ALTER TABLE search_docs ADD COLUMN words text[] NOT NULL DEFAULT '{}'"))
        conn.execute(text("DELETE FROM search_words"))
    repo = _on_postgres(folder, pg_url)
    try:
        repo.add({"id": "t-kites", "name": {"en": "Kites of the world"}, "license": "CC0-1.0", "inLanguage": ["en"]})
        assert [h.id for h in repo.search("day").hits] == ["t-kite"]
        assert {h.id for h in repo.search("kite").hits} == {"t-kite", "t-kites"}
        with Store(pg_url).open().reading() as conn:
            columns = set(conn.execute(text("SELECT attname FROM pg_attribute WHERE attrelid = "
                                            "CAST('search_docs' AS regclass) AND NOT attisdropped")).scalars())
            counted = conn.execute(text("SELECT ndoc FROM search_words WHERE word = 'day'")).scalar()
        assert "words" not in columns
        assert counted == 1  # counted again by the rebuild, from the documents' tokens
    finally:
        repo.close()


def _kites(n: int, *, word: str = "kite", start: int = 0) -> list[dict]:
    langs = ["en", "de", "pt"]
    return [
        {"id": f"t-k{i}", "name": {langs[i % 3]: f"{word.capitalize()} workshop {i}"},
         "description": {langs[i % 3]: f"Build a {word} and fly it over the {'river' if i % 2 else 'field'}."},
         "license": "CC-BY-4.0" if i % 2 else "CC0-1.0", "inLanguage": [langs[i % 3]], "sdg": [str(4 + i % 3)],
         "dateModified": f"2024-01-{10 + i:02d}"}
        for i in range(start, start + n)
    ]


def _seen(backend: PostgresBackend, query: str, **options) -> tuple[int, dict, list[str]]:
    result = backend.search(SearchRequest(query, sort="date", page_size=50, **options))
    return result.total, result.facets, [h.id for h in result.hits]


def test_kept_bitmaps_follow_what_another_process_writes(tmp_path_factory, pg_url):
    writer = _on_postgres(tmp_path_factory.mktemp("writer") / "data", pg_url)
    try:
        writer.import_records(_kites(6))
        # Every token counts as common: every bitmap this process reads is kept and must follow.
        reader = PostgresBackend(Store(pg_url).open(), common=0)
        assert _seen(reader, "kite")[0] == 6
        assert _seen(reader, "kite", filters={"sdg": ["http://metadata.un.org/sdg/4"]})[0] == 2
        assert _seen(reader, '"fly it over the river"')[0] == 3  # t-k1, t-k3, t-k5: kept for this state
        writer.add(_kites(1, start=6)[0])  # a new kite record
        changed = _kites(1, start=1)[0] | {"name": {"de": "Drachen bauen"}, "description": {"de": "Papier."},
                                           "license": "CC-BY-SA-4.0", "sdg": ["13"]}
        writer.update("t-k1", changed)  # no longer about kites
        writer.delete("t-k2")
        total, facets, ids = _seen(reader, "kite")
        assert sorted(ids) == ["t-k0", "t-k3", "t-k4", "t-k5", "t-k6"] and total == 5
        assert facets["license"] == {"https://creativecommons.org/licenses/by/4.0/": 2,
                                     "https://creativecommons.org/publicdomain/zero/1.0/": 3}
        assert _seen(reader, "drachen")[2] == ["t-k1"]
        assert sorted(_seen(reader, '"fly it over the river"')[2]) == ["t-k3", "t-k5"]  # t-k1 changed
        assert _seen(reader, '"fly it over the field"')[0] == 3  # t-k0, t-k4 and the new t-k6
        assert _seen(reader, "")[1]["sdg"]["http://metadata.un.org/sdg/13"] == 1
        # What a process that kept nothing sees.
        fresh = PostgresBackend(Store(pg_url).open())
        for query in ("kite", "drachen", "", "kite NOT river", '"fly it"', "workshop*"):
            assert _seen(reader, query) == _seen(fresh, query), query
    finally:
        writer.close()


def test_a_rebuild_renumbers_and_every_process_reads_its_bitmaps_afresh(tmp_path_factory, pg_url):
    writer = _on_postgres(tmp_path_factory.mktemp("rebuild") / "data", pg_url)
    try:
        writer.import_records(_kites(5))
        reader = PostgresBackend(Store(pg_url).open(), common=0)
        before = _seen(reader, "kite")
        writer.delete("t-k0")
        writer.reindex()  # new document numbers, from 1
        total, facets, ids = _seen(reader, "kite")
        assert (total, sorted(ids)) == (4, ["t-k1", "t-k2", "t-k3", "t-k4"])
        assert sum(facets["inLanguage"].values()) == 4 and before[0] == 5
        # A write after the rebuild: the reader reads only what it changed, not every bitmap again.
        writer.add(_kites(1, start=9)[0])
        statements: list[str] = []
        listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        event.listen(reader.store.engine, "before_cursor_execute", listener)
        try:
            assert _seen(reader, "kite")[0] == 5
        finally:
            event.remove(reader.store.engine, "before_cursor_execute", listener)
        assert any("tsvector_to_array" in s for s in statements)
        assert not any("unnest(codes)" in s for s in statements)
    finally:
        writer.close()


@pytest.mark.parametrize("query", ["kite", "river OR field", "kite NOT river", '"fly it"', "work*", "Drachenbau",
                                   "kite AND sdg:5", "workshop 3", "title:workshop"])
def test_common_tokens_count_alike_and_only_rank_differently(samples_pg_kites, query):
    kept, exact = samples_pg_kites
    for options in ({}, {"filters": {"license": ["https://creativecommons.org/publicdomain/zero/1.0/"]}}):
        assert _seen(kept, query, **options) == _seen(exact, query, **options), query
    by_rank = kept.search(SearchRequest(query, page_size=50))
    assert sorted(h.id for h in by_rank.hits) == sorted(_seen(exact, query)[2])


@pytest.fixture(scope="module")
def samples_pg_kites(tmp_path_factory):
    """Forty kite records, searched by a backend keeping every token's bitmap and by one keeping none."""
    base = require_server()
    name, url = new_schema(base)
    repo = _on_postgres(tmp_path_factory.mktemp("kites") / "data", url)
    repo.import_records(_kites(40))
    try:
        yield PostgresBackend(Store(url).open(), common=0), PostgresBackend(Store(url).open(), common=10**9)
    finally:
        repo.close()
        drop_schema(base, name)


def test_phrases_are_found_whether_their_words_are_common_or_rare(samples_pg_kites):
    # Counting alike (above) is not enough: both backends must find what the texts hold.
    for backend in samples_pg_kites:
        assert _seen(backend, '"fly it over the river"')[0] == 20  # the odd-numbered records
        assert _seen(backend, '"over the field"')[0] == 20
        assert _seen(backend, '"river field"')[0] == 0
        assert _seen(backend, 'title:"kite workshop"')[0] == 40
        assert _seen(backend, 'description:"kite workshop"')[0] == 0


def test_a_search_costs_the_same_few_statements_however_many_words(samples):
    samples.search("kite")  # the bitmaps are read once a process
    counted: list[str] = []

    def count(conn, cursor, statement, *args):
        counted.append(statement)

    engine = samples.store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        samples.search("kite")
        one = len(counted)
        counted.clear()
        samples.search("kite garden water energy bees solar climate", sdg=7, language="en")
        many = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Whether the index is current (one statement), then one transaction: where the bitmaps
    # stand, the planner's look-ups, the documents of rare tokens, and the page (and a setting).
    assert one == many <= 6, counted


def test_a_document_twice_in_one_batch_is_written_once_as_its_later_row(pg_url):
    from oerrepo.index.backend import IndexDocument
    from oerrepo.index.postgres_rows import row_of
    from oerrepo.index.schema import SCHEMA_VERSION
    from oerrepo.store import postgres_search as sql

    def doc(text: str) -> IndexDocument:
        return IndexDocument(id="k1", name=text, titles=[("en", text)], languages=["en"], facets={"inLanguage": ["en"]})

    backend = PostgresBackend(Store(pg_url).open())
    backend.rebuild([], 0)
    with backend.store.transaction() as conn:
        sql.begin_apply(conn, True)
        sql.put_documents(conn, [row_of(doc("Origami cranes")), row_of(doc("Juggling clubs"))])
        sql.finish_apply(conn, 2, SCHEMA_VERSION)
    with backend.store.reading() as conn:
        assert conn.execute(text("SELECT count(*), min(name) FROM search_docs")).one() == (1, "Juggling clubs")
        counts = dict(conn.execute(text("SELECT word, ndoc FROM search_words WHERE word IN ('origami', 'juggling')")).all())
    assert counts == {"juggling": 1}  # the earlier row's words are not counted for it
    assert [h.id for h in backend.search(SearchRequest('"juggling clubs"')).hits] == ["k1"]
    assert backend.search(SearchRequest("origami")).total == 0


def test_the_vocabulary_counts_the_documents_holding_each_word_through_adds_replacements_and_deletes(pg_url):
    from oerrepo.index.backend import IndexDocument
    from oerrepo.index.postgres_rows import row_of
    from oerrepo.index.schema import SCHEMA_VERSION
    from oerrepo.store import postgres_search as sql

    def doc(rid: str, text: str) -> IndexDocument:
        return IndexDocument(id=rid, name=text, titles=[("en", text)], languages=["en"], facets={"inLanguage": ["en"]})

    def check(conn) -> dict[str, int]:
        counted = dict(conn.execute(text("SELECT word, ndoc FROM search_words")).all())
        held = dict(
            conn.execute(text("SELECT w, count(*) FROM search_docs, unnest(tsvector_to_array(tsv)) AS w GROUP BY w")).all()
        )
        assert counted == held
        return counted

    backend = PostgresBackend(Store(pg_url).open())
    backend.rebuild([], 0)
    writes = [
        ([doc("a", "Origami cranes"), doc("b", "Origami boats")], []),
        ([doc("c", "Paper cranes"), doc("a", "Juggling clubs")], []),  # a replaced: its words go
        ([], ["b"]),
    ]
    with backend.store.transaction() as conn:
        sql.begin_apply(conn, True)
        seen = []
        for puts, deletes in writes:
            sql.put_documents(conn, [row_of(d) for d in puts])
            sql.delete_documents(conn, deletes)
            seen.append(check(conn))
        sql.finish_apply(conn, 3, SCHEMA_VERSION)
    assert (seen[0]["origami"], seen[0]["cranes"]) == (2, 1)
    assert (seen[1]["origami"], seen[1]["cranes"], seen[1]["juggling"]) == (1, 1, 1)
    assert "origami" not in seen[2] and "boats" not in seen[2]
    assert [h.id for h in backend.search(SearchRequest("cranes")).hits] == ["c"]


def test_analyze_leaves_out_the_columns_no_plan_reads(pg_url):
    from oerrepo.index.backend import IndexDocument
    from oerrepo.store import postgres_search as sql

    store = Store(pg_url).open()
    backend = PostgresBackend(store)
    backend.rebuild([IndexDocument(id=f"d{i}", name=f"Kite {i}", titles=[("en", f"Kite workshop {i}")], languages=["en"],
                                   facets={"inLanguage": ["en"]}) for i in range(5)], 5)
    with store.transaction() as conn:
        sql.analyze(conn)
    with store.reading() as conn:
        columns = set(conn.execute(text("SELECT attname FROM pg_stats WHERE tablename = 'search_docs' "
                                        "AND schemaname = current_schema()")).scalars())
    assert {"tsv", "date", "sortname"} <= columns
    assert columns.isdisjoint({"words", "phrases"})


@pytest.mark.parametrize("groups", [
    [("A", ["kite", "workshop", "kite"]), ("C", ["wind", "kite"]), ("D", ["ana"])],
    [("C", [f"w{i % 5000}" for i in range(17_000)]), ("B", ["late", "later"])],  # past position 16,383
    [("A", []), ("B", ["only"]), ("C", [])],
], ids=["weights", "past-the-last-position", "empty-groups"])
def test_a_tsvector_literal_is_what_postgresql_builds_from_the_same_words(pg_url, groups):
    from oerrepo.store import postgres_search as sql

    # PostgreSQL's own construction: each group's words weighted and concatenated, the
    # positions of each group numbered on from the group before.
    built = " || ".join(f"setweight(to_tsvector('simple', :g{i}), '{weight}')" for i, (weight, _) in enumerate(groups))
    params = {f"g{i}": " ".join(tokens) for i, (_, tokens) in enumerate(groups)}
    store = Store(pg_url).open()
    with store.reading() as conn:
        literal, tokens = sql.tsvector_of(groups)
        ours, theirs, lexemes = conn.execute(
            text(f"SELECT CAST(:ours AS tsvector), {built}, tsvector_to_array(CAST(:ours AS tsvector))"),
            {"ours": literal, **params},
        ).one()
    assert ours == theirs
    # The tokens counted into search_words are the lexemes, each once.
    assert sorted(tokens) == sorted(lexemes)


def test_the_tokens_counted_for_a_tsvector_are_the_ones_it_holds_when_postgresql_limits_it(pg_url):
    from oerrepo.store import postgres_search as sql

    # 60,000 distinct long tokens: far past the megabyte a tsvector may take.
    literal, tokens = sql.tsvector_of([("D", [f"{i:06d}" + "x" * 20 for i in range(60_000)]), ("A", ["late"])])
    store = Store(pg_url).open()
    with store.reading() as conn:
        lexemes = conn.execute(text("SELECT tsvector_to_array(CAST(:t AS tsvector))"), {"t": literal}).scalar_one()
    assert 0 < len(tokens) < 60_000 and "late" not in tokens
    assert sorted(tokens) == sorted(lexemes)


def test_a_tsvector_literal_keeps_a_lexemes_first_256_places_and_numbers_every_token(pg_url):
    from oerrepo.store import postgres_search as sql

    store = Store(pg_url).open()
    with store.reading() as conn:
        places = dict(conn.execute(
            text("SELECT lexeme, positions FROM unnest(CAST(:t AS tsvector))"),
            {"t": sql.tsvector_of([("A", ["drum"] * 300), ("B", ["rhythm"])])[0]},
        ).all())
    assert places == {"drum": list(range(1, 257)), "rhythm": [301]}
