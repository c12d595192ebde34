"""Controlled vocabularies: short forms, labels, and agreement with the SKOS sources."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from importlib.resources import files
from pathlib import Path

import pytest
from conftest import shared_path
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from oerrepo import vocabularies
from oerrepo.errors import InvalidResource
from oerrepo.vocabularies import VOCABULARIES, concepts, label, labels, resolve, short_form

HCRT = "https://w3id.org/kim/hcrt/"
ISCED = "https://w3id.org/kim/isced-2011/"
ROLE = "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/"
ACCESS = "https://w3id.org/kim/conditionsOfAccess/"
SDG = "http://metadata.un.org/sdg/"


@pytest.mark.parametrize(
    "value",
    ["lesson_plan", "lesson-plan", "Lesson plan", "LESSON PLAN", "Lesson Plan", "Unterrichtsplanung",
     "Plan de cours", "plán lekce", "Plan lekce", "План уроку", "Lesplan", "Lektionsplan",
     HCRT + "lesson_plan", "http://w3id.org/kim/hcrt/lesson_plan", HCRT + "lesson_plan/"],
)
def test_learning_resource_type_short_forms(value):
    assert resolve("learningResourceType", value) == HCRT + "lesson_plan"


@pytest.mark.parametrize(
    ("value", "slug"),
    [("educational-game", "educational_game"), ("Jeu éducatif", "educational_game"), ("Game", "educational_game"),
     ("Arbeitsblatt", None), ("worksheet", "worksheet"), ("Tonaufnahme", "audio"), ("Étude de cas", "case_study"),
     ("etude de cas", "case_study"), ("Contrôle d’apprentissage", "assessment"), ("web page", "web_page")],
)
def test_learning_resource_type_labels_and_alt_labels(value, slug):
    if slug is None:  # a scope note ("zum Beispiel Arbeitsblatt") is not a label
        with pytest.raises(InvalidResource):
            resolve("learningResourceType", value)
    else:
        assert resolve("learningResourceType", value) == HCRT + slug


@pytest.mark.parametrize(
    "value",
    ["ISCED-2", "ISCED-2011:2", "isced2", "ISCED 2", "level2", "level_2", "2", 2, "Lower secondary education",
     "lower-secondary education", "Sekundarbereich I", "Premier cycle de l'enseignement secondaire",
     "Educación secundaria baja", "ISCED 2011, Category 2", ISCED + "level2",
     "https://w3id.org/kim/educationalLevel/level_2", "http://w3id.org/kim/educationalLevel/level_2"],
)
def test_educational_level_short_forms(value):
    assert resolve("educationalLevel", value) == ISCED + "level2"


def test_educational_level_keeps_the_https_exact_match_amb_requires():
    by_uri = {c.uri: c for c in concepts("educationalLevel")}
    assert by_uri[ISCED + "level3"].exact_match == ("https://w3id.org/kim/educationalLevel/level_3",)
    assert by_uri[ISCED + "level9"].exact_match == ()
    assert all(m.startswith("https://") for c in by_uri.values() for m in c.exact_match)


@pytest.mark.parametrize(
    ("value", "name"),
    [("teacher", "teacher"), ("Teacher", "teacher"), ("Lehrperson", "teacher"), ("student", "student"),
     ("Lernende", "student"), ("parent", "parent"), ("Eltern", "parent"), ("generalPublic", "generalPublic"),
     ("general public", "generalPublic"), ("general_public", "generalPublic"), ("General-Public", "generalPublic"),
     ("peer tutor", "peerTutor"), (ROLE + "teacher", "teacher"), ("https://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/teacher", "teacher")],
)
def test_audience_short_forms(value, name):
    assert resolve("audience", value) == ROLE + name


@pytest.mark.parametrize(
    ("value", "name"),
    [("no_login", "no_login"), ("no-login", "no_login"), ("no login required", "no_login"), ("login", "login"),
     ("Anmeldung erforderlich", "login"), ("http://w3id.org/kim/conditionsOfAccess/no_login", "no_login"),
     (ACCESS + "login", "login")],
)
def test_conditions_of_access_short_forms_and_amb_http_alias(value, name):
    assert resolve("conditionsOfAccess", value) == ACCESS + name


def test_conditions_of_access_records_the_http_alias():
    assert {c.aliases for c in concepts("conditionsOfAccess")} == {
        ("http://w3id.org/kim/conditionsOfAccess/no_login",), ("http://w3id.org/kim/conditionsOfAccess/login",)}


@pytest.mark.parametrize(
    "value",
    ["13", 13, " 13 ", "SDG13", "SDG 13", "sdg-13", "sdg_13", "Goal 13", "goal13", SDG + "13",
     "https://metadata.un.org/sdg/13", SDG + "13/", "Climate action", "Acción por el clima",
     "Maßnahmen zum Klimaschutz", "Δράση για το κλίμα", "Klimaatactie", "Ação climática"],
)
def test_sdg_short_forms(value):
    assert resolve("sdg", value) == SDG + "13"


def test_sdg_one_to_seventeen_complete_in_every_language():
    goals = concepts("sdg")
    assert [c.uri for c in goals] == [f"{SDG}{n}" for n in range(1, 18)]
    assert [short_form("sdg", c.uri) for c in goals] == [str(n) for n in range(1, 18)]
    for goal in goals:
        assert set(goal.labels) >= {"en", "fr", "es", "de", "it", "pt", "nl", "el"}
        assert all(text.strip() == text and text for text in goal.labels.values())
    assert label("sdg", SDG + "1") == "No poverty"
    assert label("sdg", SDG + "2", "es") == "Hambre cero"
    assert label("sdg", SDG + "17") == "Partnerships for the goals"
    assert len({c.labels["en"] for c in goals}) == 17


@pytest.mark.parametrize(
    ("vocabulary", "value", "listed"),
    [("learningResourceType", "lesson", "application, assessment, audio"),
     ("educationalLevel", "ISCED-10", "ISCED-0, ISCED-1, ISCED-2"),
     ("audience", "pupil", "administrator, generalPublic, mentor"),
     ("conditionsOfAccess", "paywall", "no_login"),
     ("sdg", 18, "1, 2, 3"),
     ("sdg", "https://metadata.un.org/sdg/18", "17")],
)
def test_unknown_value_names_it_and_lists_the_short_forms(vocabulary, value, listed):
    with pytest.raises(InvalidResource) as caught:
        resolve(vocabulary, value)
    message = str(caught.value)
    assert f"unknown {vocabulary} {value!r}" in message
    assert "use a concept URI or one of:" in message
    assert listed in message


def test_unknown_learning_resource_type_message_exactly():
    with pytest.raises(InvalidResource, match=r"^unknown learningResourceType 'lesson': did you mean 'lesson_plan' "
                       r"\(Lesson Plan\)\? use a concept URI or one of: application, assessment, .*lesson_plan.*worksheet$"):
        resolve("learningResourceType", "lesson")


@pytest.mark.parametrize("value", [True, None, 2.0, ["13"]])
def test_values_that_are_not_text_or_numbers_are_refused(value):
    with pytest.raises(InvalidResource, match="not text or a number"):
        resolve("sdg", value)


def test_unknown_vocabulary_lists_the_known_ones():
    with pytest.raises(InvalidResource, match="unknown vocabulary 'colour': use one of learningResourceType"):
        resolve("colour", "red")


def test_label_falls_back_to_english_then_any_then_the_uri():
    assert label("learningResourceType", HCRT + "lesson_plan", "fr") == "Plan de cours"
    assert label("learningResourceType", HCRT + "lesson_plan", "fr-BE") == "Plan de cours"
    assert label("learningResourceType", HCRT + "lesson_plan", "el") == "Lesson Plan"
    assert label("learningResourceType", HCRT + "lesson_plan") == "Lesson Plan"
    assert label("educationalLevel", ISCED + "level2", "de") == "Sekundarbereich I"
    assert label("audience", ROLE + "generalPublic") == "general public"
    assert label("sdg", SDG + "99") == SDG + "99"
    assert label("sdg", "https://metadata.un.org/sdg/6/", "el") == "Καθαρό νερό και αποχέτευση"


def test_labels_returns_a_copy_and_nothing_for_unknown_uris():
    found = labels("conditionsOfAccess", ACCESS + "no_login")
    assert found == {"en": "no login required", "de": "keine Anmeldung erforderlich", "uk": "вхід без авторизації"}
    found["en"] = "changed"
    assert labels("conditionsOfAccess", ACCESS + "no_login")["en"] == "no login required"
    assert labels("conditionsOfAccess", ACCESS + "paywall") == {}


@pytest.mark.parametrize(
    ("vocabulary", "uri", "expected"),
    [("learningResourceType", HCRT + "lesson_plan", "lesson_plan"), ("educationalLevel", ISCED + "level2", "ISCED-2"),
     ("audience", ROLE + "teacher", "teacher"), ("sdg", SDG + "13", "13"), ("conditionsOfAccess", ACCESS + "no_login", "no_login"),
     ("conditionsOfAccess", "http://w3id.org/kim/conditionsOfAccess/login", "login")],
)
def test_short_form(vocabulary, uri, expected):
    assert short_form(vocabulary, uri) == expected


def test_short_form_of_an_unknown_uri_is_refused():
    with pytest.raises(InvalidResource, match="is not a concept of audience"):
        short_form("audience", ROLE + "pupil")


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_every_short_form_and_label_resolves_back_to_its_concept(vocabulary):
    for concept in concepts(vocabulary):
        assert resolve(vocabulary, concept.uri) == concept.uri
        assert resolve(vocabulary, short_form(vocabulary, concept.uri)) == concept.uri
        assert resolve(vocabulary, concept.notation) == concept.uri
        for text in concept.labels.values():
            assert resolve(vocabulary, text) == concept.uri, (vocabulary, text)


def test_concepts_are_frozen():
    concept = concepts("sdg")[0]
    with pytest.raises(AttributeError):
        concept.uri = "x"
    assert hash(concept) == hash(concepts("sdg")[0])


def test_shipped_files_have_our_json_form():
    for name in VOCABULARIES:
        data = json.loads((files("oerrepo") / "schemas" / "vocabularies" / f"{name}.json").read_text(encoding="utf-8"))
        assert data["name"] == name
        assert data["scheme"].startswith("http")
        assert "licence" in data["source"] or "CC0" in data["source"]
        for concept in data["concepts"]:
            assert set(concept) <= {"uri", "notation", "labels", "altLabels", "exactMatch", "aliases"}
            assert concept["labels"]["en"]


# -- agreement with the SKOS sources in ../shared ---------------------------------------

SOURCES = {
    "learningResourceType": ("hcrt.ttl", HCRT),
    "educationalLevel": ("isced-2011.ttl", ISCED),
    "audience": ("lrmi-educationalAudienceRole.ttl", ROLE),
    "conditionsOfAccess": ("conditionsOfAccess.ttl", ACCESS),
}
# Labels oerrepo adds on top of a source (see tools/build_vocabularies.py).
ADDED_LANGUAGES = {"educationalLevel": {"fr", "es"}}


@pytest.mark.parametrize("vocabulary", sorted(SOURCES))
def test_concepts_and_labels_equal_the_skos_source(vocabulary):
    filename, namespace = SOURCES[vocabulary]
    graph = Graph().parse(shared_path("reference", "vocabularies", filename), format="turtle")
    source_uris = {str(s) for s in graph.subjects(SKOS.topConceptOf, None)} | {
        str(s) for s in graph.subjects(SKOS.inScheme, None) if str(s).startswith(namespace)}
    source_uris = {u for u in source_uris if not u.endswith("/scheme") and u != namespace}
    ours = {c.uri: c for c in concepts(vocabulary)}
    assert set(ours) == source_uris

    for uri, concept in ours.items():
        node = URIRef(uri)
        source_labels = {}
        for literal in graph.objects(node, SKOS.prefLabel):
            source_labels.setdefault(literal.language.split("-")[0], str(literal).strip())
        added = {lang: text for lang, text in concept.labels.items() if lang not in source_labels}
        assert {lang: concept.labels[lang] for lang in source_labels} == source_labels, uri
        assert set(added) <= ADDED_LANGUAGES.get(vocabulary, set()), uri
        source_alt = {(lit.language.split("-")[0], str(lit).strip()) for lit in graph.objects(node, SKOS.altLabel)}
        assert {(lang, t) for lang, texts in concept.alt_labels.items() for t in texts} == source_alt, uri
        notations = [str(n) for n in graph.objects(node, SKOS.notation)]
        assert concept.notation == (notations[0] if notations else uri.rsplit("/", 1)[-1])


def test_isced_exact_match_equals_the_source_in_https_form():
    graph = Graph().parse(shared_path("reference", "vocabularies", "isced-2011.ttl"), format="turtle")
    for concept in concepts("educationalLevel"):
        written = sorted(str(m) for m in graph.objects(URIRef(concept.uri), SKOS.exactMatch)
                         if str(m).startswith("http://w3id.org/kim/educationalLevel/"))
        assert list(concept.exact_match) == [m.replace("http://", "https://", 1) for m in written]


def test_shipped_files_are_what_the_generator_writes():
    source = shared_path("reference", "vocabularies")
    path = Path(__file__).resolve().parents[1] / "tools" / "build_vocabularies.py"
    spec = importlib.util.spec_from_file_location("build_vocabularies", path)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for name, vocabulary in generator.build(source).items():
        shipped = (files("oerrepo") / "schemas" / "vocabularies" / f"{name}.json").read_text(encoding="utf-8")
        assert shipped == generator.dumps(vocabulary), f"{name}.json is stale: run python tools/build_vocabularies.py"


def test_loading_is_lazy_and_cached():
    vocabularies._load.cache_clear()
    assert vocabularies._load.cache_info().currsize == 0
    resolve("sdg", 1)
    resolve("sdg", 2)
    assert vocabularies._load.cache_info().currsize == 1


# -- the import inputs in tests/data/records use only forms resolve() accepts --------------

RECORDS = Path(__file__).parent / "data" / "records"
CONTROLLED = ("learningResourceType", "educationalLevel", "audience", "sdg", "conditionsOfAccess")


def _input_records():
    yield from json.loads((RECORDS / "typed_forms.json").read_text(encoding="utf-8"))
    for line in (RECORDS / "records.jsonl").read_text(encoding="utf-8").splitlines():
        yield json.loads(line)
    for name, encoding in (("spreadsheet_utf8_bom.csv", "utf-8-sig"), ("spreadsheet_cp1252.csv", "cp1252"),
                           ("plain.csv", "utf-8")):
        with open(RECORDS / name, encoding=encoding, newline="") as handle:
            for row in csv.DictReader(handle):
                yield {key: value.split("|") for key, value in row.items() if key in CONTROLLED}


def test_import_inputs_use_resolvable_short_forms():
    seen = 0
    for record in _input_records():
        for vocabulary in CONTROLLED:
            values = record.get(vocabulary, [])
            for value in values if isinstance(values, list) else [values]:
                assert resolve(vocabulary, value).startswith("http")
                seen += 1
    assert seen > 80


@pytest.mark.parametrize("vocabulary, value, slug", [
    ("sdg", "Goal 13: Climate Action", "13"),
    ("sdg", "13 Climate action", "13"),
    ("sdg", "SDG 4 - Quality Education", "4"),
    ("sdg", "4. Quality education", "4"),
    ("learningResourceType", "worksheets", "worksheet"),
    ("learningResourceType", "Lesson plans", "lesson_plan"),
    ("educationalLevel", "Primary", "level1"),
    ("educationalLevel", "Primary school", "level1"),
    ("educationalLevel", "Lower secondary", "level2"),
    ("educationalLevel", "Upper secondary school", "level3"),
])
def test_forms_people_write_in_spreadsheets(vocabulary, value, slug):
    assert resolve(vocabulary, value).rsplit("/", 1)[-1] == slug


@pytest.mark.parametrize("vocabulary, value, suggested", [
    ("sdg", "13 Quality education", "'4' (Quality education)"),  # number and title disagree: no guess
    ("learningResourceType", "worksheeet", "'worksheet'"),
    ("educationalLevel", "Secondary", "'ISCED-2' (Lower secondary education) or 'ISCED-3'"),
])
def test_unknown_values_suggest_the_accepted_one(vocabulary, value, suggested):
    with pytest.raises(InvalidResource, match=re.escape(f"did you mean {suggested}")):
        resolve(vocabulary, value)
