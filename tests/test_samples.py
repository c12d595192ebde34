"""The embedded sample blueprints: valid stored records, varied enough to exercise every feature."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib.resources import files

import idutils
import pytest
from jsonschema import Draft202012Validator

from oerrepo import vocabularies

CC = "https://creativecommons.org/"


@pytest.fixture(scope="module")
def samples() -> list[dict]:
    return json.loads((files("oerrepo.samples") / "blueprints.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads((files("oerrepo") / "schemas" / "resource.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_at_least_48_samples(samples):
    assert isinstance(samples, list)
    assert len(samples) >= 48


def test_every_sample_is_valid_against_the_resource_schema(samples, validator):
    problems = [f"{record.get('id')}: {error.json_path}: {error.message}"
                for record in samples for error in validator.iter_errors(record)]
    assert problems == []


def test_ids_are_unique_mostly_slugs_and_a_few_uris(samples):
    ids = [record["id"] for record in samples]
    assert len(ids) == len(set(ids))
    uris = [i for i in ids if i.startswith("https://")]
    assert 2 <= len(uris) < len(ids) / 4
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids if i not in uris)


def test_at_least_eight_languages_with_three_records_each(samples):
    counts = Counter(lang for record in samples for lang in record["inLanguage"])
    assert {"en", "de", "fr", "es", "it", "pt", "nl", "el"} <= {lang for lang, n in counts.items() if n >= 3}
    for record in samples:
        # name and description are written in exactly the record's languages
        assert set(record["name"]) == set(record["inLanguage"]), record["id"]
        assert set(record["description"]) == set(record["inLanguage"]), record["id"]
    assert sum(len(record["inLanguage"]) > 1 for record in samples) >= 3


def _text(samples, lang):
    return " ".join(record["name"].get(lang, "") + " " + record["description"].get(lang, "") + " "
                    + " ".join(record["keywords"]) for record in samples if lang in record["inLanguage"])


def test_texts_are_written_in_their_own_script_and_spelling(samples):
    assert re.search(r"[α-ωά-ώ]{4,}", _text(samples, "el"))
    portuguese = _text(samples, "pt")
    assert all(ch in portuguese for ch in "çãõ")
    assert "educação" in portuguese.lower()
    spanish = _text(samples, "es")
    assert "ñ" in spanish and re.search(r"[áéíóú]", spanish)
    assert "Energía" in spanish
    assert "Wasserqualität" in _text(samples, "de")
    assert re.search(r"[éèàç]", _text(samples, "fr"))


def test_at_least_twelve_sdgs(samples):
    goals = {uri for record in samples for uri in record.get("sdg", [])}
    assert len(goals) >= 12


def test_licence_mix(samples):
    licenses = Counter(record["license"] for record in samples)
    for required in ("publicdomain/zero/1.0/", "licenses/by/4.0/", "licenses/by-sa/4.0/", "licenses/by-nc/4.0/",
                     "licenses/by-nc-sa/4.0/", "licenses/by-nd/4.0/", "licenses/by-sa/3.0/de/",
                     "publicdomain/mark/1.0/"):
        assert licenses[CC + required] >= 1, required
    assert sum(n for url, n in licenses.items() if re.search(r"/3\.0/$", url)) >= 2
    assert all(re.fullmatch(r"https://creativecommons\.org/(licenses/[a-z-]+|publicdomain/(zero|mark))/\d\.\d/([a-z]{2}/)?", url)
               for url in licenses)


def test_every_relation_target_is_a_sample(samples):
    known = {record["id"]: record["id"] for record in samples}
    known.update({record["url"]: record["id"] for record in samples if "url" in record})
    relations = 0
    for record in samples:
        for key in ("isBasedOn", "isPartOf", "hasPart"):
            for relation in record.get(key, []):
                relations += 1
                assert relation["id"] in known, (record["id"], key, relation["id"])
                assert known[relation["id"]] != record["id"]
    assert relations >= 15


def test_has_part_and_is_part_of_agree(samples):
    by_ref = {record["id"]: record for record in samples} | {record["url"]: record for record in samples}

    def ref(record):
        return record["id"] if ":" in record["id"] else record["url"]

    for record in samples:
        for part in record.get("hasPart", []):
            assert ref(record) in {r["id"] for r in by_ref[part["id"]].get("isPartOf", [])}
        for whole in record.get("isPartOf", []):
            assert ref(record) in {r["id"] for r in by_ref[whole["id"]].get("hasPart", [])}


@pytest.mark.parametrize("vocabulary", ["learningResourceType", "educationalLevel", "audience", "sdg"])
def test_controlled_values_are_known_concepts(samples, vocabulary):
    for record in samples:
        for uri in record.get(vocabulary, []):
            assert vocabularies.resolve(vocabulary, uri) == uri, (record["id"], uri)


def test_conditions_of_access_are_known_concepts(samples):
    given = [record["conditionsOfAccess"] for record in samples if "conditionsOfAccess" in record]
    assert len(given) >= 3
    for uri in given:
        assert vocabularies.resolve("conditionsOfAccess", uri) == uri


def test_every_sample_uses_the_controlled_fields(samples):
    for record in samples:
        for key in ("learningResourceType", "educationalLevel", "audience", "sdg", "keywords", "about"):
            assert record.get(key), (record["id"], key)
    assert sum(record.get("isAccessibleForFree") is True for record in samples) > len(samples) * 0.9


def _orcid_ok(uri: str) -> bool:
    digits = uri.removeprefix("https://orcid.org/").replace("-", "")
    total = 0
    for d in digits[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def _ror_ok(uri: str) -> bool:
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    code = uri.removeprefix("https://ror.org/")
    number = 0
    for ch in code[1:7]:
        number = number * 32 + alphabet.index(ch)
    return code[0] == "0" and code[7:] == f"{98 - number * 100 % 97:02d}"


def _agents(record):
    for key in ("creator", "contributor", "publisher", "funder"):
        for agent in record.get(key, []):
            yield agent
            if "affiliation" in agent:
                yield agent["affiliation"]


def test_people_and_organisations_carry_well_formed_orcid_and_ror_ids(samples):
    orcids = {a["id"] for r in samples for a in _agents(r) if a.get("id", "").startswith("https://orcid.org/")}
    rors = {a["id"] for r in samples for a in _agents(r) if a.get("id", "").startswith("https://ror.org/")}
    assert len(orcids) >= 5 and len(rors) >= 5
    assert all(re.fullmatch(r"https://orcid\.org/0000-000\d-\d{4}-\d{3}[\dX]", o) and _orcid_ok(o) for o in orcids)
    # ORCID assigns ids only from 0000-0001-5000-0007 to 0000-0003-5000-0001 in this block
    assert all("000000015000000" <= o[18:].replace("-", "")[:15] <= "000000035000000" for o in orcids)
    assert all(idutils.is_orcid(o.removeprefix("https://orcid.org/")) for o in orcids)
    assert all(re.fullmatch(r"https://ror\.org/0[0-9a-hjkmnp-tv-z]{6}\d\d", r) and _ror_ok(r) for r in rors)
    assert any(a["name"] == "European Commission" for r in samples for a in r.get("funder", []))
    assert any(r.get("funding") for r in samples)


def test_links_use_reserved_example_domains(samples):
    text = json.dumps(samples)
    known_hosts = {"w3id.org", "purl.org", "metadata.un.org", "www.wikidata.org", "orcid.org", "ror.org",
                   "creativecommons.org", "doi.org"}
    for host in set(re.findall(r"https?://([^/\"]+)", text)) - known_hosts:
        assert host.endswith(".example.org") or host.endswith(".example"), host
    dois = [i for r in samples for i in r.get("identifier", [])]
    assert dois and all(re.fullmatch(r"https://doi\.org/10\.5281/zenodo\.\d{7,8}", d) for d in dois)


def test_dates_run_in_order_within_2019_to_2026(samples):
    for record in samples:
        dates = [record[k] for k in ("dateCreated", "datePublished", "dateModified") if k in record]
        assert dates == sorted(dates), record["id"]
        assert all("2019" <= d[:4] <= "2026" for d in dates), record["id"]


def test_sets_types_and_encodings_vary(samples):
    sets = {s for record in samples for s in record.get("sets", [])}
    assert {"toolkits", "lesson-plans", "museums", "oshub:portugal", "podcasts", "games"} <= sets
    types = {t for record in samples for t in record["type"]}
    assert {"LearningResource", "Course", "Report"} <= types
    assert "CreativeWork" not in types  # not among the types AMB lists
    formats = {e["encodingFormat"] for record in samples for e in record.get("encoding", [])}
    assert {"application/pdf", "audio/mpeg", "application/zip"} <= formats
    assert any("id" in subject for record in samples for subject in record["about"])
    assert any("id" not in subject for record in samples for subject in record["about"])
