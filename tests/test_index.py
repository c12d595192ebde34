"""The full-text index: multilingual search, query language, facets, ranking, consistency."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from oerrepo import Repository
from oerrepo.errors import SearchError
from oerrepo.index.analysis import STEM_LANGUAGES, fold, stem, stems_of
from oerrepo.index.backend import FACETS, SearchBackend
from oerrepo.index.whoosh_backend import WhooshBackend

ROOT = Path(__file__).resolve().parents[1]


def record(rid: str, lang: str, name: str, description: str, **extra) -> dict:
    base = {
        "id": rid,
        "name": {lang: name},
        "description": {lang: description},
        "inLanguage": [lang],
        "license": "CC-BY-4.0",
    }
    base.update(extra)
    return base


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Repository:
    """The bundled sample blueprints plus records written for these tests."""
    repo = Repository(tmp_path_factory.mktemp("idx") / "data")
    repo.load_samples()
    repo.import_records(
        [
            record("t-educacao", "pt", "Educação para a sustentabilidade no recreio",
                   "Atividades de educação ambiental para crianças do primeiro ciclo.", sdg=["4"]),
            record("t-energia", "es", "Energía del viento en clase",
                   "Construimos un aerogenerador con materiales reciclados.", sdg=["7"], license="CC0-1.0"),
            record("t-gruen", "de", "Grünflächen und Schülerinnen",
                   "Die Schülerinnen untersuchen Stadtbäume und Grünflächen im Schulviertel.",
                   license="CC-BY-NC-4.0"),
            record("t-greek", "el", "Ανανεώσιμες πηγές ενέργειας στο σχολείο",
                   "Οι μαθητές μετρούν την παραγωγή ενέργειας από ηλιακούς συλλέκτες.", sdg=["7"]),
            record("t-exact-old", "en", "Pond life", "A pond dipping activity about pond life for young pupils.",
                   dateModified="2015-01-01"),
            record("t-body-pond", "en", "Garden ecology",
                   "Includes a short section on pond life and pond life surveys in the garden.",
                   dateModified="2024-01-01"),
            record("t-tie-old", "en", "Kite physics", "Flying kites to learn about lift.", dateModified="2012-05-01"),
            record("t-tie-new", "en", "Kite physics", "Flying kites to learn about lift.", dateModified="2023-05-01"),
        ]
    )
    yield repo
    repo.close()


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def all_ids(repo, query, **filters) -> set[str]:
    return set(ids(repo.search(query, page_size=1000, **filters)))


# -- analysis -------------------------------------------------------------------------


def test_folding_covers_accents_ligatures_and_greek():
    assert fold("Educação") == "educacao"
    assert fold("Energía") == "energia"
    assert fold("Straße") == "strasse"
    assert fold("Ενέργειας") == "ενεργειασ"  # tonos gone, final sigma ordinary
    assert stem("ενέργεια", "el") == stem("ενέργειας", "el")
    assert stem("σχολείο", "el") == stem("σχολεία", "el")


# -- multilingual search ----------------------------------------------------------------


def test_numbers_index_as_every_stemmer_would_stem_them():
    # stems_of hands no word of ASCII digits to the stemmers (their caches filled with record
    # numbers); the stems must be what each stemmer itself gives (Arabic's turns ٣٤ into 34).
    # (stem(query=True) asks the language's stemmer for every word.)
    words = ["2030", "17", "0", "1990", "٣٤", "१२", "²"]
    for lang in STEM_LANGUAGES:
        assert stems_of(words, lang, both=True) == [stem(w, lang, query=True) for w in words], lang
    assert stem("٣٤", "ar", query=True) == "34"


def test_accents_do_not_matter(samples):
    assert "t-educacao" in all_ids(samples, "educacao")
    assert "t-energia" in all_ids(samples, "energia")
    assert "t-energia" in all_ids(samples, "ENERGÍA")


def test_word_forms_match_through_stemming(samples):
    # Spanish plural/singular, German inflection and umlaut typed without it.
    assert "t-energia" in all_ids(samples, "aerogeneradores")
    assert "t-gruen" in all_ids(samples, "Grünfläche")
    assert "t-gruen" in all_ids(samples, "schulerinnen")


def test_german_compound_found_by_prefix(samples):
    assert "t-gruen" in all_ids(samples, "grün*")


def test_greek_with_and_without_accents_and_inflection(samples):
    for query in ("ενέργεια", "ενεργεια", "ΕΝΕΡΓΕΙΑΣ", "σχολεία"):
        assert "t-greek" in all_ids(samples, query), query


def test_cross_language_concepts(samples):
    # German SDG label "Klimaschutz" finds records of SDG 13 written in any language.
    found = all_ids(samples, "Klimaschutz")
    sdg13 = {r.id for r in samples.iter(sdg=13)}
    assert found and found <= sdg13 | found  # sanity: some found
    assert sdg13 <= found
    assert {r.data["inLanguage"][0] for r in samples.iter(sdg=13)} - {"de"}


def test_samples_are_found_in_their_languages(samples):
    by_lang = Counter()
    for res in samples.iter():
        title = res.name
        word = max((w for w in title.split() if w.isalpha()), key=len)
        if res.id in all_ids(samples, word):
            by_lang[res.data["inLanguage"][0]] += 1
    assert len(by_lang) >= 8  # every sample language searchable by a title word
    assert sum(by_lang.values()) == samples.count() - 8 + 8  # every record found by its longest title word


# -- query language ---------------------------------------------------------------------


def test_phrase_and_boolean_operators(samples):
    phrase = all_ids(samples, '"pond life"')
    assert {"t-exact-old", "t-body-pond"} <= phrase
    assert "t-body-pond" not in all_ids(samples, '"life pond"')
    assert all_ids(samples, "kite AND lift") == {"t-tie-old", "t-tie-new"}
    without = all_ids(samples, "pond NOT garden")
    assert "t-exact-old" in without and not without & all_ids(samples, "garden")
    assert {"t-exact-old", "t-tie-new"} <= all_ids(samples, "pond OR kite")


def test_a_phrase_is_its_words_side_by_side_in_one_text(tmp_path):
    # The index keeps no positions: a phrase is found by its words, then checked against the
    # record's texts. Each record below holds both words; only some hold them as the phrase.
    with Repository(tmp_path / "d") as repo:
        repo.import_records([
            record("p-desc", "en", "Field trips", "Climate change in the school garden."),
            record("p-gap", "en", "Weather", "The climate of change: a unit on seasons."),
            record("p-order", "en", "Seasons", "How change shapes climate, told in stories."),
            record("p-apart", "en", "Climate", "Change the room plan before the lesson.",
                   keywords=["climate", "change"]),
            record("p-title", "en", "Climate change for beginners", "A starter kit for primary schools."),
            record("p-keyword", "en", "Starter kit", "Things to do outdoors.", keywords=["Climate change", "energy"]),
            record("p-creator", "en", "Rain gauges", "Measuring rain.", creator=[{"name": "Ada Climate Change"}]),
            record("p-accents", "fr", "Changement climatique", "Le CHANGEMENT Climatique à l'école."),
        ])
        both = {"p-desc", "p-gap", "p-order", "p-apart", "p-title", "p-keyword", "p-creator"}
        assert all_ids(repo, "climate AND change") >= both
        assert all_ids(repo, '"climate change"') == {"p-desc", "p-title", "p-keyword", "p-creator"}
        assert all_ids(repo, '"climate of change"') == {"p-gap"}  # its stop word counts in the phrase
        assert all_ids(repo, '"change climate"') == set()  # "change shapes climate": not side by side
        assert all_ids(repo, '"change the room"') == {"p-apart"}
        assert all_ids(repo, 'title:"climate change"') == {"p-title"}
        assert all_ids(repo, 'description:"climate change"') == {"p-desc"}
        assert all_ids(repo, '"changement climatique"') == {"p-accents"}  # case and accents folded
        assert repo.search('"climate change"').total == 4
        # Changes reach phrases as they reach words: a record that lost the phrase is no longer found.
        repo.update("p-desc", record("p-desc", "en", "Field trips", "Change of climate in the school garden."))
        repo.update("p-gap", record("p-gap", "en", "Weather", "Climate change: a unit on seasons."))
        repo.delete("p-title")
        assert all_ids(repo, '"climate change"') == {"p-gap", "p-keyword", "p-creator"}
        assert all_ids(repo, '"climate change" NOT rain') == {"p-gap", "p-keyword"}
        assert all_ids(repo, '"climate change" OR "of climate"') == {"p-gap", "p-keyword", "p-creator", "p-desc"}


def test_field_queries_take_short_forms(samples):
    sdg7 = {r.id for r in samples.iter(sdg=7)}
    assert all_ids(samples, "sdg:7") == sdg7
    assert all_ids(samples, "title:kite") == {"t-tie-old", "t-tie-new"}
    assert all_ids(samples, "license:CC0-1.0 energia") == {"t-energia"} | {
        r.id for r in samples.iter(license="CC0-1.0") if r.id in all_ids(samples, "energia")
    }


@pytest.mark.parametrize(
    "typed, note",
    [
        ('"pond life', "quote"),
        ("(pond life", "bracket"),
        ("pond life)", "bracket"),
        ("pond AND", "AND"),
        ("OR pond", "OR"),
        ("colour:pond", "no field 'colour'"),
    ],
)
def test_mistyped_queries_still_search(samples, typed, note):
    result = samples.search(typed)
    assert "t-exact-old" in ids(samples.search(typed, page_size=100))
    assert any(note in n for n in result.notes)


def test_lone_operator_and_stop_words_give_sensible_results(samples):
    assert samples.search("AND").total == samples.count()
    assert samples.search("the of").total > 0
    assert samples.search("").total == samples.count()


def test_bad_filter_values_are_clear_errors(samples):
    with pytest.raises(SearchError, match="sdg '42'.*1, 2, 3"):
        samples.search("water", sdg=42)
    with pytest.raises(SearchError, match="sdg"):
        samples.search("sdg:42")
    with pytest.raises(SearchError, match="sort"):
        samples.search("water", sort="colour")


def test_did_you_mean(samples):
    # No record holds the typed words: the suggestion's results are shown.
    result = samples.search("kyte physcs")
    assert result.suggestion == "kite physics"
    assert {"t-tie-old", "t-tie-new"} <= set(ids(result))
    assert samples.search("kite physics").suggestion is None
    # A word found only in a vocabulary label is no misspelling.
    assert samples.search("Klimaschutz").suggestion is None


# -- ranking, sorting, paging --------------------------------------------------------------


def test_exact_title_first_then_recency(samples):
    # The exact title "Pond life" beats a newer record that only mentions it more often.
    assert ids(samples.search("pond life"))[0] == "t-exact-old"
    # Equal texts: the recent one first.
    assert ids(samples.search("kite lift"))[:2] == ["t-tie-new", "t-tie-old"]


def test_sort_by_date_and_name_and_pages(samples):
    by_date = samples.search("", sort="date", page_size=1000).hits
    dates = [h.date for h in by_date]
    assert dates == sorted(dates, reverse=True)
    by_name = [fold(h.name) for h in samples.search("", sort="name", page_size=1000).hits]
    assert by_name == sorted(by_name)
    first = ids(samples.search("", sort="name", page=1, page_size=5))
    second = ids(samples.search("", sort="name", page=2, page_size=5))
    assert len(first) == len(second) == 5 and not set(first) & set(second)


def test_a_snippet_keeps_to_one_description():
    from oerrepo.index.snippets import snippet

    two = "Um guia para o professor com atividades.\nPortuguese edition of the water kit for schools."
    assert snippet(two, {"water"}) == "Portuguese edition of the <mark>water</mark> kit for schools."
    assert snippet(two, {"professor", "water"}) == (
        "Um guia para o <mark>professor</mark> com atividades. … Portuguese edition of the <mark>water</mark> kit "
        "for schools."
    )


def test_hits_carry_snippet_licence_languages(samples):
    hit = samples.search("aerogenerador").hits[0]
    assert hit.id == "t-energia"
    assert "<mark>aerogenerador</mark>" in hit.snippet
    assert hit.license == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert hit.languages == ["es"]


# -- facets ---------------------------------------------------------------------------------


def store_counts(resources) -> dict[str, Counter]:
    counts = {prop: Counter() for prop in FACETS}
    for res in resources:
        counts["license"][res.data["license"]] += 1
        for prop in FACETS[1:-1]:
            counts[prop].update(res.data.get(prop, []))
        counts["source"].update(sorted({p.source for p in res.provenance}) or ["local"])
    return counts


def test_facet_counts_match_the_store(samples):
    result = samples.search("", page_size=1)
    expected = store_counts(samples.iter())
    for prop in FACETS:
        assert result.facets[prop] == dict(expected[prop]), prop


def test_facet_counts_honour_the_other_filters(samples):
    result = samples.search("", sdg=7, language="en", page_size=1)
    en = [r for r in samples.iter() if "en" in r.data["inLanguage"]]
    sdg7 = [r for r in samples.iter(sdg=7)]
    both = [r for r in sdg7 if r in en or "en" in r.data["inLanguage"]]
    assert result.total == len(both)
    # The SDG facet counts within English records; the language facet within SDG 7 ones.
    assert result.facets["sdg"] == dict(store_counts(en)["sdg"])
    assert result.facets["inLanguage"] == dict(store_counts(sdg7)["inLanguage"])
    assert result.facets["license"] == dict(store_counts(both)["license"])


def test_open_only_and_repeated_filters(samples):
    open_ids = all_ids(samples, "", open_only=True)
    assert "t-gruen" not in open_ids and "t-energia" in open_ids
    for res in samples.iter():
        assert (res.id in open_ids) == res.license_info().is_open
    several = samples.search("", sdg=[7, 13], page_size=1000)
    assert set(ids(several)) == {r.id for r in samples.iter(sdg=7)} | {r.id for r in samples.iter(sdg=13)}


# -- consistency with the store ------------------------------------------------------------


def test_add_update_delete_reach_the_index(tmp_path):
    with Repository(tmp_path / "d") as repo:
        repo.add(record("x1", "en", "Origami cranes", "Folding paper birds."))
        assert ids(repo.search("origami")) == ["x1"]
        repo.update("x1", record("x1", "en", "Juggling club", "Three balls and a scarf."))
        assert repo.search("origami").total == 0
        assert ids(repo.search("juggling")) == ["x1"]
        repo.delete("x1")
        assert repo.search("juggling").total == 0
        assert repo.search("").total == 0


def test_counts_follow_many_small_commits(tmp_path):
    # Each write is its own index commit (a segment of its own, deletions in older ones):
    # totals, facets and phrase matches must follow every one of them.
    with Repository(tmp_path / "d") as repo:
        for i in range(6):
            repo.add(record(f"c{i}", "en", f"Solar oven {i}", "Cook with sunlight.", sdg=[str(7 + i % 2)]))
            assert repo.search("").total == i + 1  # searched between writes
        repo.update("c0", record("c0", "pt", "Forno solar", "Cozinhar com o sol.", sdg=["13"], license="CC0-1.0"))
        repo.delete("c1")
        result = repo.search("", page_size=100)
        assert result.total == repo.count() == 5
        for prop in FACETS:
            assert result.facets[prop] == dict(store_counts(repo.iter())[prop]), prop
        assert all_ids(repo, '"solar oven"') == {"c2", "c3", "c4", "c5"}
        assert all_ids(repo, '"forno solar"') == {"c0"}
        assert repo.search("solar", sdg=7).facets["sdg"] == {
            "http://metadata.un.org/sdg/7": 2, "http://metadata.un.org/sdg/8": 2, "http://metadata.un.org/sdg/13": 1
        }


def test_backend_follows_the_interface(tmp_path):
    with Repository(tmp_path / "d") as repo:
        repo.count()
        assert isinstance(repo._parts.search.backend(), SearchBackend)


def test_reindex_rebuilds_a_deleted_or_damaged_index(tmp_path):
    repo = Repository(tmp_path / "d")
    repo.add(record("x1", "en", "Volcano model", "Baking soda eruption."))
    repo.close()
    import shutil

    shutil.rmtree(tmp_path / "d" / "index")
    with Repository(tmp_path / "d") as repo:  # rebuilt on open
        assert ids(repo.search("volcano")) == ["x1"]
        assert repo.reindex() == 1
        assert ids(repo.search("volcano")) == ["x1"]



def test_an_index_showing_its_hits_from_whooshs_stored_fields_is_rebuilt_with_the_hit_column(tmp_path):
    import json
    import shutil

    from whoosh import fields
    from whoosh import index as windex

    from oerrepo.index.schema import SCHEMA_VERSION, WHOOSH_VERSION, build_schema
    from oerrepo.index.whoosh_backend import SEQ_FILE

    with Repository(tmp_path / "d") as repo:
        repo.add(record("x1", "en", "Volcano model", "Baking soda eruption."))
        last = repo.store.last_seq()
    # The layout before the hit column: what a search shows in Whoosh's stored fields, the
    # state naming the analysis only. Its document has no terms: only a rebuild finds it.
    folder = tmp_path / "d" / "index"
    shutil.rmtree(folder)
    folder.mkdir()
    schema = build_schema()
    schema.remove("hit")
    schema.remove("id")
    schema.add("id", fields.ID(stored=True, unique=True))
    schema.add("name", fields.STORED())
    ix = windex.create_in(str(folder), schema)
    writer = ix.writer()
    writer.add_document(id="x1", name="Volcano model")
    writer.commit()
    ix.close()
    (folder / SEQ_FILE).write_text(json.dumps({"seq": last, "schema": SCHEMA_VERSION}), encoding="utf-8")
    with Repository(tmp_path / "d") as repo:  # rebuilt on open
        found = repo.search("volcano")
        assert [(h.id, h.name, h.license, h.languages) for h in found.hits] == [
            ("x1", "Volcano model", "https://creativecommons.org/licenses/by/4.0/", ["en"])
        ]
        assert "Baking soda eruption." in found.hits[0].snippet
    assert json.loads((folder / SEQ_FILE).read_text(encoding="utf-8"))["schema"] == WHOOSH_VERSION


def test_a_command_rebuilding_a_large_index_says_so_first_and_a_small_one_says_nothing(tmp_path):
    import shutil

    def search_after_losing_the_index(data, n: int) -> subprocess.CompletedProcess:
        with Repository(data) as repo:
            repo.import_records([record(f"v{i}", "en", f"Volcano model {i}", "Baking soda eruption.") for i in range(n)])
        shutil.rmtree(data / "index")  # as after an upgrade whose index layout changed: rebuilt on open
        return subprocess.run([sys.executable, "-m", "oerrepo", "--data", str(data), "search", "volcano"],
                              capture_output=True, text=True, timeout=120)

    large = search_after_losing_the_index(tmp_path / "large", 1_000)
    assert large.returncode == 0, large.stderr
    assert "rebuilding the search index" in large.stderr
    assert "1000 resources found" in large.stdout
    small = search_after_losing_the_index(tmp_path / "small", 3)
    assert small.returncode == 0 and small.stderr == ""
    assert "3 resources found" in small.stdout

_WRITER = textwrap.dedent(
    """
    import os, sys, signal
    from oerrepo import Repository
    from oerrepo.index import whoosh_backend

    repo = Repository(sys.argv[1])
    mode = sys.argv[2]
    if mode == "kill-in-commit":
        # Die inside the index write: after the store commit, with the Whoosh lock held
        # and segment files half written.
        original = whoosh_backend.whoosh_fields
        def dying(doc):
            if doc.id == "k-3":
                os.kill(os.getpid(), signal.SIGKILL)
            return original(doc)
        whoosh_backend.whoosh_fields = dying
    repo.import_records([
        {"id": f"k-{i}", "name": {"en": f"Magnet experiment {i}"}, "license": "CC-BY-4.0",
         "inLanguage": ["en"]} for i in range(6)
    ])
    print("done", flush=True)
    """
)


def test_index_survives_a_killed_writer(tmp_path):
    data = tmp_path / "d"
    with Repository(data) as repo:
        repo.add(record("x1", "en", "Volcano model", "Baking soda eruption."))
    proc = subprocess.run(
        [sys.executable, "-c", _WRITER, str(data), "kill-in-commit"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # The store has the records; the index lagged behind and holds the dead writer's lock file.
    assert (data / "index" / "MAIN_WRITELOCK").exists()
    with Repository(data) as repo:
        assert repo.count() == 7
        result = repo.search("magnet", page_size=100)
        assert sorted(ids(result)) == [f"k-{i}" for i in range(6)]
        assert result.facets["license"] == {"https://creativecommons.org/licenses/by/4.0/": 6}
        assert repo.search("").total == 7
        # And the lock is usable again: a new write reaches the index.
        repo.add(record("x2", "en", "Magnet crane", "Lift paper clips."))
        assert repo.search("magnet").total == 7


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from whoosh import index
    ix = index.open_dir(sys.argv[1])
    w = ix.writer()
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    w.cancel()
    print("released", flush=True)
    """
)


def test_second_process_writer_waits_and_readers_do_not(tmp_path):
    data = tmp_path / "d"
    repo = Repository(data)
    repo.add(record("x1", "en", "Volcano model", "Baking soda eruption."))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(data / "index"), "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        # A reader answers while another process holds the write lock.
        assert ids(repo.search("volcano")) == ["x1"]
        # A writer waits for the lock, then its change is searchable.
        repo.add(record("x2", "en", "Volcano eruption timeline", "Dates of eruptions."))
        # add() returned with its change indexed: it waited for the lock instead of skipping.
        assert WhooshBackend(data / "index").last_seq() == repo.store.last_seq()
        assert {"x1", "x2"} == set(ids(repo.search("volcano")))
    finally:
        holder.wait(timeout=30)
        repo.close()


def test_writer_gives_up_with_a_clear_error(tmp_path):
    data = tmp_path / "d"
    with Repository(data) as repo:
        repo.add(record("x1", "en", "Volcano model", "Baking soda eruption."))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(data / "index"), "5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        backend = WhooshBackend(data / "index", lock_timeout=0.2)
        with pytest.raises(SearchError, match="stayed locked by another writer"):
            backend.apply(lambda seq: iter(()), wait=True)
        assert backend.apply(lambda seq: iter(()), wait=False) is None
        backend.close()
    finally:
        holder.kill()
        holder.wait(timeout=30)


# -- finding what a teacher means, in her language first ------------------------------------


def topic_records() -> list[dict]:
    """Small records on two topics in several languages, written for these tests."""
    return [
        record("de-bees", "de", "Nisthilfe für Wildbienen", "Wir bauen ein Bienenhotel aus Holz und Schilf."),
        record("en-bees", "en", "Bees in the schoolyard", "Pupils watch bees carry pollen from flower to flower."),
        record("pt-bees", "pt", "A abelha e as flores", "Observamos uma abelha no jardim da escola."),
        record("el-bees", "el", "Οι μέλισσες του κήπου", "Παρατηρούμε τις μέλισσες στα λουλούδια."),
        record("de-water", "de", "Die Qualität des Wassers im Bach", "Wir messen Nitrat und pH-Wert."),
        record("fi-water", "fi", "Järven veden laatu", "Oppilaat tutkivat veden laatua näytteistä."),
        record("fr-circuit", "fr", "Le circuit électrique", "Une pile, une ampoule: l'électricité en classe."),
        record("sv-solar", "sv", "Solceller på skolans tak", "Hur mycket energi ger solcellerna?"),
        record("en-kites", "en", "Kites and wind", "Build a kite and measure how the wind lifts it."),
    ]


def topic_repo(tmp_path) -> Repository:
    repo = Repository(tmp_path / "topics")
    repo.import_records(topic_records())
    return repo


def test_compounds_meet_their_parts_and_the_reverse(tmp_path):
    with topic_repo(tmp_path) as repo:
        assert "de-water" in all_ids(repo, "Wasserqualität")  # compound -> "Qualität des Wassers"
        assert "fi-water" in all_ids(repo, "vedenlaatu")  # compound -> "veden laatu"
        assert "de-bees" in all_ids(repo, "Hotel")  # a part -> "Bienenhotel"
        assert "de-bees" in all_ids(repo, "Bienen")  # a part -> "Wildbienen"


def test_inflected_forms_meet(tmp_path):
    with topic_repo(tmp_path) as repo:
        assert "pt-bees" in all_ids(repo, "abelhas")
        assert "el-bees" in all_ids(repo, "μέλισσα")
        assert "en-bees" in all_ids(repo, "bee")
        assert "fi-water" in all_ids(repo, "laatua")


def test_accents_are_optional(tmp_path):
    with topic_repo(tmp_path) as repo:
        assert "fr-circuit" in all_ids(repo, "electricite")
        assert "fr-circuit" in all_ids(repo, "ÉLECTRIQUE")
        assert "el-bees" in all_ids(repo, "μελισσες")
        assert "fi-water" in all_ids(repo, "jarven")


def test_a_misspelt_word_shows_the_results_of_its_correction(tmp_path):
    with topic_repo(tmp_path) as repo:
        result = repo.search("Nisthilfe fur Wildbeinen")
        assert result.suggestion == "Nisthilfe fur wildbienen"
        assert ids(result)[0] == "de-bees"
        result = repo.search("kiet")
        assert result.suggestion == "kite"  # an indexed word, one slip away, that finds records
        assert ids(result) == ["en-kites"]
        assert repo.search("kite").suggestion is None
        nothing = repo.search("zzzzqqq")
        assert nothing.total == 0 and nothing.suggestion is None


def test_other_languages_follow_the_query_language(tmp_path):
    with topic_repo(tmp_path) as repo:
        found = ids(repo.search("Bienen", page_size=20))
        assert found[0] == "de-bees"
        assert {"en-bees", "pt-bees", "el-bees"} <= set(found)  # the same topic in other languages
        assert "de-water" not in found  # the same language, another topic
        found = ids(repo.search("μέλισσες", page_size=20))
        assert found[0] == "el-bees" and {"de-bees", "en-bees", "pt-bees"} <= set(found)
        # The reader's own language, when she says it, comes first.
        assert ids(repo.search("bees", prefer_language="pt"))[:1] == ["pt-bees"]
        assert ids(repo.search("solar energy"))[:1] == ["sv-solar"]  # only in another language


def test_a_long_query_of_unknown_words_is_bounded(tmp_path):
    with topic_repo(tmp_path) as repo:
        words = " ".join(f"zq{i}x{i}w" for i in range(2000))
        result = repo.search(words)
        assert result.total == 0
        assert any("first 32 words" in note for note in result.notes)


def test_a_word_no_record_holds_any_more_is_no_longer_suggested(data_dir):
    with Repository(data_dir) as repo:
        kite = repo.add({"name": "Kite physics", "license": "CC-BY-4.0", "inLanguage": ["en"]})
        festival = repo.add({"name": "Kite festival", "license": "CC-BY-4.0", "inLanguage": ["en"]})
        repo.add({"name": "Pond life", "license": "CC-BY-4.0", "inLanguage": ["en"]})
        assert repo.search("kiet").suggestion == "kite"
        repo.delete(festival.id)
        assert repo.search("kiet").suggestion == "kite"  # one record still holds it
        repo.update(kite.id, {"name": "Bird physics", "license": "CC-BY-4.0", "inLanguage": ["en"]})
        result = repo.search("kiet")  # "kite" left with the old title
        assert (result.suggestion, result.total) == (None, 0), result.notes
