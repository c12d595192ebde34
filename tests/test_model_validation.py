"""The fast schema check and the published schema's own validator give the same verdict.

``validate_record`` answers from the published schema compiled to code (fastjsonschema)
and falls back to jsonschema only for its messages; a record one accepts and the other
refuses would let invalid data into the store, or refuse good data.
"""

from __future__ import annotations

import copy
import json
import re
from importlib.resources import files

import jsonschema
import pytest

from oerrepo.errors import InvalidResource
from oerrepo.model import _fast_check, normalize_record, resource_schema, validate_record


def _samples() -> list[dict]:
    raw = json.loads((files("oerrepo.samples") / "blueprints.json").read_text(encoding="utf-8"))
    return [normalize_record(item) for item in raw]


SAMPLES = _samples()
BASE = {
    "id": "blueprint-1",
    "inLanguage": ["en"],
    "type": ["LearningResource"],
    "name": {"en": "Bee hotels"},
    "license": "https://creativecommons.org/licenses/by/4.0/",
    "creator": [{"type": "Person", "name": "Ana Silva", "id": "https://orcid.org/0000-0002-1825-0097"}],
    "about": [{"prefLabel": {"en": "biology"}}],
    "isBasedOn": [{"id": "https://example.org/a"}],
    "encoding": [{"contentUrl": "https://example.org/a.pdf", "encodingFormat": "application/pdf", "contentSize": "10"}],
}

# (what is wrong, the change to BASE)
INVALID = [
    ("name missing", {"name": None}),
    ("license missing", {"license": None}),
    ("id missing", {"id": None}),
    ("empty language map", {"name": {}}),
    ("language tag with a space", {"name": {"e n": "x"}}),
    ("empty title text", {"name": {"en": ""}}),
    ("title not text", {"name": {"en": 3}}),
    ("type without LearningResource", {"type": ["Course"]}),
    ("repeated type", {"type": ["LearningResource", "LearningResource"]}),
    ("type not a list", {"type": "LearningResource"}),
    ("unknown property", {"colour": "red"}),
    ("SDG 18", {"sdg": ["http://metadata.un.org/sdg/18"]}),
    ("repeated language", {"inLanguage": ["en", "en"]}),
    ("licence not a URI", {"license": "CC BY"}),
    ("id with a space", {"id": "a b"}),
    ("id too long", {"id": "a" * 513}),
    ("creator without name", {"creator": [{"type": "Person"}]}),
    ("creator of another type", {"creator": [{"type": "Robot", "name": "R2"}]}),
    ("creator with an unknown field", {"creator": [{"type": "Person", "name": "A", "email": "a@b.c"}]}),
    ("affiliation that is a person", {"creator": [{"type": "Person", "name": "A",
                                                    "affiliation": {"type": "Person", "name": "B"}}]}),
    ("subject with neither id nor label", {"about": [{}]}),
    ("relation without id", {"isBasedOn": [{"name": "x"}]}),
    ("size not digits", {"encoding": [{"contentUrl": "https://example.org/a", "contentSize": "10 kB"}]}),
    ("format not a media type", {"encoding": [{"contentUrl": "https://example.org/a", "encodingFormat": "pdf"}]}),
    ("date not ISO", {"datePublished": "01/02/2024"}),
    ("free access not a boolean", {"isAccessibleForFree": "yes"}),
    ("age range words", {"typicalAgeRange": "ten to twelve"}),
    ("set spec with a space", {"sets": ["a b"]}),
    ("repeated level", {"educationalLevel": ["https://w3id.org/kim/isced-2011/level2"] * 2}),
    ("record not an object", None),
]


def _record(change: dict | None) -> object:
    if change is None:
        return ["not", "an", "object"]
    out = copy.deepcopy(BASE)
    for key, value in change.items():
        if value is None:
            out.pop(key)
        else:
            out[key] = value
    return out


def _fast_verdict(record: object, require_id: bool = True, require_license: bool = True) -> bool:
    try:
        _fast_check(require_id, require_license)(record)
        return True
    except Exception:  # fastjsonschema's JsonSchemaException
        return False


def _schema_verdict(record: object) -> bool:
    return jsonschema.Draft202012Validator(resource_schema()).is_valid(record)


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_both_accept_every_sample_blueprint(index):
    record = {"id": f"sample-{index}", **SAMPLES[index]}
    assert _schema_verdict(record)
    assert _fast_verdict(record)
    validate_record(record)


@pytest.mark.parametrize("problem,change", INVALID, ids=[p for p, _ in INVALID])
def test_both_refuse_invalid_records(problem, change):
    record = _record(change)
    assert not _schema_verdict(record), problem
    assert not _fast_verdict(record), problem


def test_the_base_record_is_valid_for_both():
    assert _schema_verdict(BASE) and _fast_verdict(BASE)


def test_optional_id_and_license_are_dropped_only_where_asked():
    bare = {k: v for k, v in BASE.items() if k not in ("id", "license")}
    assert not _fast_verdict(bare)
    assert not _fast_verdict(bare, require_id=False)
    assert not _fast_verdict(bare, require_license=False)
    assert _fast_verdict(bare, require_id=False, require_license=False)
    validate_record(bare, require_id=False, require_license=False)
    with pytest.raises(InvalidResource, match="license"):
        validate_record(bare, require_id=False)


def test_a_refused_record_gets_the_published_schemas_message():
    with pytest.raises(InvalidResource) as caught:
        validate_record(_record({"sdg": ["http://metadata.un.org/sdg/18"], "name": {"e n": "x"}}))
    problems = caught.value.problems
    assert any(p.startswith("sdg/0:") for p in problems)
    assert any(p.startswith("name:") for p in problems)


def test_the_fast_check_never_changes_the_record():
    record = copy.deepcopy(BASE)
    validate_record(record)
    assert record == BASE


@pytest.mark.parametrize("prop, value", [
    ("name", 42), ("name", {"en": 42}), ("description", 3.5), ("keywords", [2030]), ("name", True),
    ("creator", [{"type": "Person", "name": 7}]), ("typicalAgeRange", 12),
])
def test_input_the_published_schema_refuses_is_refused_naming_the_field(prop, value):
    from oerrepo.errors import InvalidResource
    from oerrepo.model import normalize_record

    record = {"name": "Bee hotels", "license": "CC-BY-4.0", "inLanguage": "en", prop: value}
    with pytest.raises(InvalidResource, match=rf"{prop}: expected text") as info:
        normalize_record(record)
    assert "missing" not in str(info.value)


@pytest.mark.parametrize("text, code", [("Broken \ud83d emoji", "U+D83D"), ("Nul\x00byte", "U+0000")])
def test_text_that_cannot_be_stored_is_refused_naming_the_field(tmp_path, text, code):
    from oerrepo import Repository
    from oerrepo.errors import InvalidResource

    with Repository(tmp_path / "d") as repo:
        with pytest.raises(InvalidResource, match=re.escape(f"description: description holds the character {code}")):
            repo.add({"name": "Bees", "description": text, "license": "CC0-1.0"})
        assert len(repo) == 0
