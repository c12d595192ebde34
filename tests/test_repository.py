"""The Repository facade: adding, importing (all or nothing), listing, licences and the samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oerrepo import ImportReport, Repository, Resource
from oerrepo.errors import ImportFailed, InvalidResource, LicenseRejected, ResourceNotFound, StoreError

RECORDS = Path(__file__).parent / "data" / "records"


def test_repository_is_lazy(tmp_path):
    folder = tmp_path / "lazy"
    repo = Repository(folder)
    assert not folder.exists()
    repo.count()
    assert (folder / "repo.db").exists()


def test_a_missing_folder_is_an_error_when_not_creating(tmp_path):
    with pytest.raises(StoreError, match="oerrepo init"):
        Repository(tmp_path / "nowhere", create=False).count()
    assert not (tmp_path / "nowhere").exists()


def test_add_assigns_a_stable_id_and_keeps_given_ones(data_dir):
    repo = Repository(data_dir)
    given = repo.add({"id": "https://oshub.example.org/blueprints/7", "name": "Kit", "license": "CC0"})
    assert given.id == "https://oshub.example.org/blueprints/7"
    assigned = repo.add({"name": "Educação para a sustentabilidade", "license": "CC BY 4.0", "inLanguage": "pt"})
    assert assigned.id.startswith("educacao-para-a-sustentabilidade-")
    assert repo.get(assigned.id).data == assigned.data
    assert isinstance(repo.get(assigned.id), Resource)


def test_update_cannot_change_the_id(data_dir):
    repo = Repository(data_dir)
    repo.add({"id": "a", "name": "A", "license": "CC0"})
    with pytest.raises(InvalidResource, match="ids cannot be changed"):
        repo.update("a", {"id": "b", "name": "B", "license": "CC0"})
    with pytest.raises(ResourceNotFound):
        repo.update("nope", {"name": "B", "license": "CC0"})


def test_import_typed_forms_and_files_of_every_format(data_dir):
    repo = Repository(data_dir)
    for name in ("typed_forms.json", "records.jsonl", "plain.csv", "spreadsheet_utf8_bom.csv", "spreadsheet_cp1252.csv"):
        report = repo.import_records(RECORDS / name)
        assert report.added and not report.skipped, (name, report)
    # Windows-1252 spreadsheets keep their accents, euro signs and curly quotes.
    fr = repo.get("spreadsheet_cp1252-eco-delegues")
    assert fr.name.startswith("Éco-délégués")
    assert "€" in fr.text("description") and "«" in fr.text("description")
    assert fr.data["creator"][0]["name"] == "Cécile Lefèvre"  # cp1250 would read "Lefčvre"
    de = repo.get("spreadsheet_cp1252-muell-trennen")
    assert "Müll" in de.name and "„Was passiert" in de.text("description")
    # A BOM does not end up in the first column's name, and Greek survives.
    assert repo.get("spreadsheet_utf8_bom-seismografos").data["inLanguage"] == ["el"]
    # Multi-valued CSV cells become lists of concept URIs.
    horta = repo.get("spreadsheet_utf8_bom-horta-pedagogica")
    assert horta.data["sdg"] == ["http://metadata.un.org/sdg/2", "http://metadata.un.org/sdg/12", "http://metadata.un.org/sdg/15"]


def test_import_is_all_or_nothing(data_dir, tmp_path):
    repo = Repository(data_dir)
    repo.add({"id": "kept", "name": "Kept", "license": "CC0"})
    bad = tmp_path / "mixed.jsonl"
    bad.write_text(
        '{"id": "ok-1", "name": "Fine", "license": "CC-BY-4.0"}\n'
        '{"id": "bad-1", "name": "No licence"}\n'
        '{"id": "bad-2", "name": "Odd type", "license": "CC0", "learningResourceType": "lesson"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as err:
        repo.import_records(bad)
    message = str(err.value)
    assert "mixed.jsonl line 2" in message and "license: missing" in message
    assert "mixed.jsonl line 3" in message and "'lesson'" in message
    assert [r.id for r in repo] == ["kept"]
    assert repo.store.last_seq() == 1


def test_skip_invalid_stores_the_rest_and_reports_each(data_dir, tmp_path):
    repo = Repository(data_dir)
    bad = tmp_path / "mixed.csv"
    bad.write_text(
        "id,name,license,sdg\n"
        "good-1,Fine,CC-BY-4.0,13\n"
        "bad-1,No licence,,\n"
        "bad-2,Too many,CC0,1,extra\n"
        "good-2,Also fine,CC0,\n",
        encoding="utf-8",
    )
    report = repo.import_records(bad, skip_invalid=True)
    assert report.added == ["good-1", "good-2"]
    skipped = dict(report.skipped)
    assert set(skipped) == {"mixed.csv row 3", "mixed.csv row 4"}
    assert "license" in skipped["mixed.csv row 3"]
    assert "cells" in skipped["mixed.csv row 4"]


def test_upsert_updates_and_reports_unchanged(data_dir, tmp_path):
    repo = Repository(data_dir)
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"id": "a", "name": "A", "license": "CC0"}]), encoding="utf-8")
    repo.import_records(path)
    with pytest.raises(ImportFailed, match="--upsert"):
        repo.import_records(path)
    assert repo.import_records(path, upsert=True).unchanged == ["a"]
    path.write_text(json.dumps([{"id": "a", "name": "A2", "license": "CC0"}]), encoding="utf-8")
    assert repo.import_records(path, upsert=True).updated == ["a"]
    assert repo.get("a").name == "A2"


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("broken.json", b'[{"name": "x", "license": "CC0"},', "invalid JSON at line 1"),
        ("broken.jsonl", b'{"name": "x", "license": "CC0"}\n{"name": \n', "broken.jsonl line 2"),
        ("scalar.json", b"42", "expected a JSON object or an array"),
        ("nocol.csv", b"id,name\nx,Y\n", "missing column(s) 'license'"),
        ("oddcol.csv", b"id,name,license,colour\nx,Y,CC0,red\n", "unknown column(s) 'colour'"),
        ("empty.csv", b"", "empty"),
        ("dup.json", b'[{"id":"d","name":"x","license":"CC0"},{"id":"d","name":"y","license":"CC0"}]', "appears again"),
        ("notobj.json", b'["just a string"]', "JSON object"),
        ("deep.json", b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        ("binary.json", bytes(range(256)) * 50, "save it as UTF-8"),
    ],
)
def test_bad_files_get_a_clear_error_and_store_nothing(data_dir, tmp_path, name, content, fragment):
    repo = Repository(data_dir)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises((ImportFailed, InvalidResource)) as err:
        repo.import_records(path)
    assert fragment in str(err.value)
    assert repo.count() == 0


@pytest.mark.parametrize(
    "name, content, first, again",
    [
        ("my list.csv", "id,name,license\na,A,CC0\nb,B,CC0\nc,C,CC0\nb,B again,CC0\n", "my list.csv row 3",
         "my list.csv row 5"),
        ("l.jsonl", '{"id":"b","name":"B","license":"CC0"}\n\n{"id":"c","name":"C","license":"CC0"}\n'
         '{"id":"b","name":"B2","license":"CC0"}\n', "l.jsonl line 1", "l.jsonl line 4"),
        ("a.json", json.dumps([{"id": i, "name": i, "license": "CC0"} for i in "xybzb"]), "a.json record 3",
         "a.json record 5"),
    ],
)
def test_a_repeated_id_names_where_it_came_first(data_dir, tmp_path, name, content, first, again):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailed) as err:
        Repository(data_dir).import_records(path)
    assert f"{again}: id 'b' appears again (first at {first})" in str(err.value)
    report = Repository(data_dir).import_records(path, skip_invalid=True)
    assert report.skipped == [(again, f"id 'b' appears again (first at {first})")]


def test_a_repeated_id_in_records_given_as_a_list_names_the_first(data_dir):
    records = [{"id": "a", "name": "A", "license": "CC0"}, {"id": "a", "name": "B", "license": "CC0"}]
    report = Repository(data_dir).import_records(records, skip_invalid=True)
    assert report.added == ["a"]
    assert report.skipped == [("record 2", "id 'a' appears again (first at record 1)")]


def test_validate_file_checks_without_storing(data_dir, tmp_path):
    repo = Repository(data_dir)
    path = tmp_path / "v.json"
    path.write_text(json.dumps([{"name": "ok", "license": "CC0"}, {"name": "bad", "license": "nope"}]), encoding="utf-8")
    report = repo.validate_file(path)
    assert len(report.added) == 1 and report.skipped[0][0] == "v.json record 2"
    assert not data_dir.exists()


def test_open_only_policy_refuses_restricted_licences(data_dir):
    repo = Repository(data_dir)
    repo.set_setting("license_policy", "open-only")
    with pytest.raises(LicenseRejected, match="open-only"):
        repo.add({"name": "x", "license": "CC BY-NC-SA 4.0"})
    assert repo.add({"name": "x", "license": "CC BY-SA 4.0"}).license.endswith("/by-sa/4.0/")
    with pytest.raises(Exception, match="policy"):
        repo.set_setting("license_policy", "anything-goes")


def test_filters_take_short_forms(data_dir):
    repo = Repository(data_dir)
    repo.add({"id": "a", "name": "A", "license": "CC BY 4.0", "sdg": 13, "inLanguage": "pt-BR", "audience": "teacher"})
    repo.add({"id": "b", "name": "B", "license": "CC0", "sdg": [6, 14], "inLanguage": "en"})
    assert [r.id for r in repo.iter(sdg="13")] == ["a"]
    assert [r.id for r in repo.iter(language="pt")] == ["a"]
    assert [r.id for r in repo.iter(license="cc0-1.0")] == ["b"]
    assert [r.id for r in repo.iter(audience="teacher")] == ["a"]
    assert repo.count(license="https://creativecommons.org/licenses/by/4.0/") == 1
    assert [r.id for r in repo.list(limit=1, offset=1)] == ["b"]


def test_attribution_of_a_stored_resource(data_dir):
    repo = Repository(data_dir)
    repo.add({"id": "a", "name": "Bee <hotels>", "license": "CC BY 4.0", "creator": ["Ana Sousa"],
              "url": "https://oshub.example.org/a"})
    text = repo.attribution("a")
    assert "Bee <hotels>" in text and "Ana Sousa" in text and "CC BY 4.0" in text
    html = repo.attribution("a", "html")
    assert "Bee &lt;hotels&gt;" in html and "https://creativecommons.org/licenses/by/4.0/" in html


def test_the_samples_load_and_count(data_dir):
    repo = Repository(data_dir)
    report = repo.load_samples()
    assert len(report.added) >= 40 and not report.skipped
    figures = repo.stats()
    assert figures["resources"] == len(report.added)
    assert len(figures["languages"]) >= 6
    assert {"CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0"} <= set(figures["licenses"])
    assert figures["openness"]["open"] > 0 and figures["openness"]["restricted"] > 0
    # Loading again changes nothing.
    again = repo.load_samples()
    assert not again.added and not again.updated and len(again.unchanged) == len(report.added)


def test_import_report_is_plain_data():
    report = ImportReport(added=["a"], skipped=[("f row 2", "bad")], notes=[("f row 3", "read as")])
    assert json.loads(json.dumps(report.to_dict())) == {
        "added": ["a"], "updated": [], "unchanged": [], "skipped": [{"where": "f row 2", "error": "bad"}],
        "notes": [{"where": "f row 3", "note": "read as"}],
    }
