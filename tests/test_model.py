"""The record model: input forms become the stored form; the published schema is the validator."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from oerrepo import licenses
from oerrepo.errors import InvalidResource, LicenseRejected, UnknownLicense
from oerrepo.model import PROPERTIES, normalize_record, resource_schema, validate_record

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "oerrepo" / "schemas" / "resource.schema.json"


def test_published_schema_and_code_cannot_drift():
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The validator in code is the published file itself ...
    assert resource_schema() == published
    jsonschema.Draft202012Validator.check_schema(published)
    # ... and every property the normaliser knows is in the schema, and vice versa.
    assert set(PROPERTIES) == set(published["properties"])
    assert set(published["required"]) <= set(PROPERTIES)


def test_short_forms_become_concept_uris():
    data = normalize_record(
        {
            "name": "Bee hotel engineering challenge",
            "inLanguage": "en",
            "license": "CC BY-SA 4.0",
            "learningResourceType": "lesson_plan",
            "educationalLevel": "ISCED-2",
            "audience": ["teacher", "student"],
            "sdg": [15, "13"],
            "conditionsOfAccess": "no_login",
        }
    )
    assert data["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert data["learningResourceType"] == ["https://w3id.org/kim/hcrt/lesson_plan"]
    assert data["educationalLevel"] == ["https://w3id.org/kim/isced-2011/level2"]
    assert data["audience"] == [
        "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/teacher",
        "http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/student",
    ]
    assert data["sdg"] == ["http://metadata.un.org/sdg/15", "http://metadata.un.org/sdg/13"]
    assert data["conditionsOfAccess"] == "https://w3id.org/kim/conditionsOfAccess/no_login"
    assert data["type"] == ["LearningResource"]


def test_titles_keep_their_language():
    data = normalize_record(
        {
            "name": {"pt": "Qualidade da água", "en": "Water quality"},
            "description": "Um kit de ciência cidadã.",
            "inLanguage": ["por", "en"],
            "license": "CC0",
        }
    )
    assert data["inLanguage"] == ["pt", "en"]
    assert data["name"] == {"pt": "Qualidade da água", "en": "Water quality"}
    # A plain string is in the record's first language.
    assert data["description"] == {"pt": "Um kit de ciência cidadã."}


def test_identifiers_and_people_are_normalised():
    data = normalize_record(
        {
            "name": "Solar garden",
            "license": "https://creativecommons.org/licenses/by/4.0/legalcode",
            "identifier": ["10.5281/zenodo.1234567", "hdl:1765/315"],
            "creator": [
                {"name": "Ana Sousa", "id": "0000-0002-1825-0097", "affiliation": "Ciência Viva"},
                "Jo Bloggs",
            ],
            "publisher": "Open Schooling Hub",
        }
    )
    assert data["identifier"] == ["https://doi.org/10.5281/zenodo.1234567", "https://hdl.handle.net/1765/315"]
    assert data["creator"][0] == {
        "type": "Person",
        "name": "Ana Sousa",
        "id": "https://orcid.org/0000-0002-1825-0097",
        "affiliation": {"type": "Organization", "name": "Ciência Viva"},
    }
    assert data["creator"][1] == {"type": "Person", "name": "Jo Bloggs"}
    assert data["publisher"] == [{"type": "Organization", "name": "Open Schooling Hub"}]


def test_unknown_controlled_value_lists_the_accepted_ones():
    with pytest.raises(InvalidResource) as err:
        normalize_record({"name": "x", "license": "CC0", "learningResourceType": "lesson"})
    message = str(err.value)
    assert "learningResourceType" in message and "'lesson'" in message
    assert "lesson_plan" in message and "worksheet" in message


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidResource) as err:
        normalize_record({"sdg": 18, "inLanguage": "xx-not-a-language-tag", "colour": "red"})
    problems = err.value.problems
    joined = " | ".join(problems)
    assert "sdg" in joined and "inLanguage" in joined and "'colour'" in joined
    assert "name: missing" in joined and "license: missing" in joined


def test_unknown_and_refused_licences():
    with pytest.raises(UnknownLicense):
        normalize_record({"name": "x", "license": "info:eu-repo/semantics/openAccess"})
    with pytest.raises(InvalidResource, match="license"):
        normalize_record({"name": "x", "license": "Copyright 2024 all rights reserved"})
    open_only = licenses.LicensePolicy("open-only")
    with pytest.raises(LicenseRejected):
        normalize_record({"name": "x", "license": "CC BY-NC 4.0"}, policy=open_only)
    assert normalize_record({"name": "x", "license": "CC BY-NC 4.0"})["license"].endswith("/by-nc/4.0/")


@pytest.mark.parametrize(
    "record, fragment",
    [
        ({"name": 42.5, "license": "CC0", "keywords": {"a": 1}}, "keyword"),
        ({"name": "x", "license": "CC0", "id": "has spaces in it"}, "id"),
        ({"name": "x", "license": "CC0", "url": "not a url"}, "url"),
        ({"name": "x", "license": "CC0", "datePublished": "last tuesday"}, "datePublished"),
        ({"name": "x", "license": "CC0", "creator": [{"name": "A", "id": "0000-0002-1825-0098"}]}, "check digit"),
        ({"name": "x", "license": "CC0", "encoding": [{"contentUrl": "https://a.example/x", "contentSize": "2 MB"}]}, "contentSize"),
        ({"name": "x", "license": "CC0", "typicalAgeRange": "teenagers"}, "typicalAgeRange"),
        ({"name": "", "license": "CC0"}, "name"),
        ({"name": "x" * 200_000, "license": "CC0"}, "characters long"),
    ],
)
def test_wrong_values_are_refused_with_the_property_named(record, fragment):
    with pytest.raises(InvalidResource) as err:
        normalize_record(record)
    assert fragment in str(err.value)


def test_a_record_must_be_an_object():
    with pytest.raises(InvalidResource, match="JSON object"):
        normalize_record(["not", "a", "record"], where="file.json record 3")


def test_stored_form_is_stable_under_renormalisation():
    once = normalize_record(
        {"name": {"de": "Wasserqualität"}, "inLanguage": "de", "license": "cc-by-sa", "sdg": "6", "keywords": "Wasser; Fluss"}
    )
    assert normalize_record(once) == once
    validate_record({"id": "x", **once})


def test_validate_record_names_the_path():
    with pytest.raises(InvalidResource, match="sdg/0"):
        validate_record({"id": "a", "type": ["LearningResource"], "name": {"en": "a"},
                         "license": "https://creativecommons.org/publicdomain/zero/1.0/",
                         "sdg": ["http://metadata.un.org/sdg/99"]})
