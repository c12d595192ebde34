"""Files people bring: CSV in the encodings spreadsheets write, and the headers and values people type."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from oerrepo import Repository
from oerrepo.cli import cli
from oerrepo.errors import ImportFailed, InvalidResource
from oerrepo.records_io import read_records

# Titles and descriptions as teachers write them, one language each.
TEXTS = {
    "pt": ("Educação ambiental: ações para a comunidade", "Atividades sobre água, solo e poluição; não é difícil."),
    "es": ("Niños y la energía solar en el año 2024", "Cómo aprovechar el sol: ¿qué pasa en invierno? ¡Pruébalo!"),
    "fr": ("À la découverte des étoiles", "Où se cachent les planètes ? Une activité à faire dès la 6ᵉ."[:40] + "."),
    "de": ("Größe und Gewässer: Flüsse messen", "Schüler prüfen Wasserqualität an der Mühle; Übungen für draußen."),
    "it": ("Perché la città è più verde?", "Attività all'aperto: cosa può fare la scuola per l'àmbito urbano."),
}
ENCODINGS = ["latin_1", "cp1252", "utf-8", "utf-8-sig"]


def _csv(rows: list[tuple[str, str, str, str]], header: str = "id,name,description,inLanguage,license") -> str:
    lines = [header]
    for rid, name, description, lang in rows:
        lines.append(f'{rid},"{name}","{description}",{lang},CC BY 4.0')
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def repo(tmp_path):
    with Repository(tmp_path / "data") as r:
        yield r


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_each_language_comes_out_exact_in_every_spreadsheet_encoding(repo, tmp_path, encoding, lang):
    name, description = TEXTS[lang]
    path = tmp_path / f"{lang}.csv"
    path.write_bytes(_csv([(f"r-{lang}", name, description, lang)]).encode(encoding))
    report = repo.import_records(path)
    stored = repo.get(f"r-{lang}")
    assert stored.data["name"] == {lang: name}
    assert stored.data["description"] == {lang: description}
    said = [note for _, note in report.notes if "UTF-8" in note]
    if encoding.startswith("utf-8"):
        assert said == []
    else:  # what was assumed is said
        assert len(said) == 1 and ("Windows-1252" in said[0] or "Latin-1" in said[0])


@pytest.mark.parametrize("encoding", ["latin_1", "cp1252"])
def test_short_texts_without_a_language_column_are_read_as_western(repo, tmp_path, encoding):
    # detectors read these bytes as Windows-1250: "Educaçăo", "Ŕ la découverte"
    path = tmp_path / "short.csv"
    path.write_bytes("id,name,license\nedu,Educação,CC0\ndec,À la découverte,CC0\n".encode(encoding))
    report = repo.import_records(path)
    assert repo.get("edu").name == "Educação"
    assert repo.get("dec").name == "À la découverte"
    assert any("not UTF-8" in note and "Western" in note for _, note in report.notes)


def test_a_mixed_western_file_and_windows_only_characters(repo, tmp_path):
    rows = [(f"m-{lang}", *TEXTS[lang], lang) for lang in sorted(TEXTS)]
    rows.append(("m-quotes", "„Müll“ – “smart” quotes cost 5 €", "Œuvres et œufs", "fr"))
    path = tmp_path / "mixed.csv"
    path.write_bytes(_csv(rows).encode("cp1252"))
    repo.import_records(path)
    for rid, name, description, lang in rows:
        assert repo.get(rid).data["name"] == {lang: name}
        assert repo.get(rid).data["description"] == {lang: description}


@pytest.mark.parametrize("lang, encoding, name", [
    ("el", "cp1253", "Σεισμογράφοι στο σχολείο"),
    ("pl", "cp1250", "Zażółć gęślą jaźń: woda i łąki"),
    ("ru", "cp1251", "Экология нашего города"),
])
def test_other_code_pages_follow_the_language_column(repo, tmp_path, lang, encoding, name):
    path = tmp_path / f"{lang}.csv"
    path.write_bytes(f"id,name,inLanguage,license\nx-{lang},{name},{lang},CC0\n".encode(encoding))
    report = repo.import_records(path)
    assert repo.get(f"x-{lang}").name == name
    assert any(lang in note and "not UTF-8" in note for _, note in report.notes)


def test_spreadsheet_headers_in_any_case_and_common_values(repo, tmp_path):
    path = tmp_path / "teachers.csv"
    path.write_text(
        "TITLE,description,Licence,Author,url,LANGUAGE,Keywords,SDG,Type,Level\n"
        "Rain gardens,Build one at school,CC BY-SA 4.0,Ana Silva,https://example.org/rain,en,"
        "water; plants,Goal 13: Climate Action,worksheets,ISCED 2\n"
        "Flood maps,Read a flood map,CC BY 4.0,Rui Costa,https://example.org/flood,pt,maps,"
        "13 Climate action,Lesson plans,Level 3\n",
        encoding="utf-8",
    )
    report = repo.import_records(path)
    assert len(report.added) == 2
    rain = next(r for r in repo if r.name == "Rain gardens").data
    assert rain["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert rain["creator"] == [{"type": "Person", "name": "Ana Silva"}]
    assert rain["url"] == "https://example.org/rain" and rain["inLanguage"] == ["en"]
    assert rain["keywords"] == ["water", "plants"]
    assert rain["sdg"] == ["http://metadata.un.org/sdg/13"]
    assert rain["learningResourceType"] == ["https://w3id.org/kim/hcrt/worksheet"]
    assert rain["educationalLevel"] == ["https://w3id.org/kim/isced-2011/level2"]
    flood = next(r for r in repo if r.name == "Flood maps").data
    assert flood["sdg"] == ["http://metadata.un.org/sdg/13"]
    assert flood["learningResourceType"] == ["https://w3id.org/kim/hcrt/lesson_plan"]
    # how each column was read is said once, for the file
    columns = [note for where, note in report.notes if where == "teachers.csv row 1"]
    assert len(columns) == 1
    for read in ("'TITLE' as name", "'Licence' as license", "'Author' as creator", "'LANGUAGE' as inLanguage",
                 "'SDG' as sdg", "'Type' as learningResourceType", "'Level' as educationalLevel"):
        assert read in columns[0]
    assert "'url'" in columns[0] and "'description'" in columns[0]


def test_headers_with_remarks_in_brackets_and_required_marks(repo, tmp_path):
    from oerrepo.records_io import read_header

    columns, note = read_header(["Título*", "License (SPDX)", "Author(s)", "Keywords [separate with |]"], "f.csv")
    assert columns == ["name", "license", "creator", "keywords"]
    assert note == ("columns read: 'Título*' as name, 'License (SPDX)' as license, 'Author(s)' as creator, "
                    "'Keywords [separate with |]' as keywords")


def test_unknown_headers_and_values_are_refused_with_the_nearest_accepted_one(repo, tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("Titel,Licnse\nA,CC0\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"'Licnse' \(did you mean 'license'\?\)"):
        repo.import_records(path)
    twice = tmp_path / "twice.csv"
    twice.write_text("Title,Licence,License\nA,CC0,CC0\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="columns 'Licence' and 'License' both give license"):
        repo.import_records(twice)
    value = tmp_path / "value.csv"
    value.write_text("Title,Licence,Type\nA,CC0,worksheeet\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="did you mean 'worksheet'"):
        repo.import_records(value)
    with pytest.raises(InvalidResource, match="did you mean '4'"):
        repo.add({"name": "A", "license": "CC0", "sdg": "Goal 13: Quality education"})


def test_import_command_says_how_columns_and_encoding_were_read(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes("Title,Licence,Language\nEducação,CC BY,pt\n".encode("latin_1"))
    result = CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "note sheet.csv: the file is not UTF-8: read as" in result.output
    assert "note sheet.csv row 1: columns read: 'Title' as name, 'Licence' as license" in result.output
    assert "note sheet.csv row 2: license: no version given: read as version 4.0" in result.output
    listed = json.loads(CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "list", "--json"]).output)
    assert listed[0]["name"] == {"pt": "Educação"}


def test_json_lines_keep_line_separators_inside_their_strings(repo, tmp_path):
    # JSON allows U+2028, U+0085 (NEL) and form feeds unescaped inside strings
    description = "Erste Zeile\u2028zweite Zeile\u0085dritte\u000cvierte"
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps({"id": "odd", "name": "Zeilen", "description": description, "license": "CC0-1.0"},
                               ensure_ascii=False) + "\r\n", encoding="utf-8")
    report = repo.import_records(path)
    assert report.added == ["odd"]
    assert repo.get("odd").text("description") == description


@pytest.mark.parametrize("text, encoding", [("Ação", "latin_1"), ("ÉÀÇÕ Œuvre", "cp1252"),
                                            ("Σεισμογράφοι στο σχολείο", "cp1253")])
def test_without_a_language_column_western_wins_unless_the_bytes_are_plainly_another_script(repo, tmp_path,
                                                                                           text, encoding):
    path = tmp_path / "tiny.csv"
    path.write_bytes(f"id,name,license\nt,{text},CC0\n".encode(encoding))
    report = repo.import_records(path)
    assert repo.get("t").name == text
    assert any("not UTF-8" in note for _, note in report.notes)


# A JSON array is read one record at a time, with json's own messages.
ARRAYS = ["[]", " [ {\"a\": 1} , {\"b\": 2} ]\n", "[1,]", "[1 2]", "[1, 2", "[{\"a\": 1}] x", "[\n{\"a\": 1},\n{\"b\":\n}]"]


@pytest.mark.parametrize("text", ARRAYS)
def test_a_json_array_reads_as_json_loads_reads_it(tmp_path, text):
    path = tmp_path / "records.json"
    path.write_text(text, encoding="utf-8")
    try:
        expected = ("records", json.loads(text))
    except json.JSONDecodeError as exc:
        expected = ("error", f"records.json: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    try:
        got = ("records", [item.data for item in read_records(path)])
    except ImportFailed as exc:
        got = ("error", str(exc))
    assert got == expected


def test_a_mistake_after_many_records_stores_none_of_them(tmp_path):
    records = [{"id": f"r{i}", "name": {"en": f"Record {i}"}, "license": "CC-BY-4.0"} for i in range(2500)]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records)[:-1] + ", {]", encoding="utf-8")
    with Repository(tmp_path / "data") as repo:
        with pytest.raises(ImportFailed, match="invalid JSON at line 1"):
            repo.import_records(path, skip_invalid=True)
        assert repo.count() == 0
