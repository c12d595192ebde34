"""Large JSON files are read a piece at a time, with json.loads' own reading and messages."""

from __future__ import annotations

import json
import re

import pytest

from oerrepo.errors import ImportFailed
from oerrepo.records_io import read_records

# Larger than two of the reader's pieces (1 MB), with characters of 2, 3 and 4 bytes in UTF-8.
RECORDS = [
    {"id": f"r{i}", "name": {"el": f"Ενέργεια {i} — “σχολείο” 🐝", "de": "Straße\u2028Übung"},
     "description": {"fr": "é" * (i % 700)}, "n": i * 1.5, "ok": i % 2 == 0, "none": None}
    for i in range(3_000)
]


def _whole_file_error(text: str) -> str:
    """What json.loads says of the whole text: the message and its line and column."""
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    exc = caught.value
    return f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"


def _read(path):
    return [r.data for r in read_records(path)]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("indent", [None, 2])
def test_a_large_array_reads_as_json_loads_reads_it(tmp_path, bom, indent):
    path = tmp_path / "records.json"
    text = json.dumps(RECORDS, ensure_ascii=False, indent=indent)
    path.write_bytes(bom + text.replace("\n", "\r\n" if indent else "\n").encode("utf-8"))
    assert path.stat().st_size > 2_500_000
    assert _read(path) == json.loads(text)


def _mistakes(text: str) -> dict[str, str]:
    last = text.rindex("}")
    middle = text.rindex("{", 0, text.index('"id": "r2500"'))
    comma = text.rindex(",", 0, middle)
    return {
        "missing comma far into the file": text[:comma] + text[comma + 1 :],
        "bad value far into the file": text[:middle] + text[middle:].replace('"ok": true', '"ok": yes', 1),
        "unterminated string at the end": text[:last - 10],
        "cut in a number": text[: text.index('"n": 3748.5') + 8],
        "trailing text": text + ' {"id": "extra"}',
        "missing bracket": text[:-1],
        "a control character in a string": text.replace("Straße", "Stra\tße", 1),
    }


@pytest.mark.parametrize("indent", [None, 1])
def test_a_mistake_is_reported_where_json_loads_reports_it_in_the_whole_file(tmp_path, indent):
    text = json.dumps(RECORDS, ensure_ascii=False, indent=indent)
    for what, broken in _mistakes(text).items():
        path = tmp_path / "broken.json"
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(ImportFailed) as failed:
            _read(path)
        assert str(failed.value) == f"broken.json: {_whole_file_error(broken)}", what


def test_json_lines_are_cut_only_at_line_feeds(tmp_path):
    lines = [json.dumps(r, ensure_ascii=False) for r in RECORDS]
    path = tmp_path / "records.jsonl"
    path.write_bytes(("\r\n".join(lines[:1_500]) + "\n\n" + "\n".join(lines[1_500:])).encode("utf-8"))
    assert _read(path) == RECORDS
    lines[2_222] = lines[2_222].replace('"ok": true', '"ok": maybe')
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        _read(path)
    column = re.search(r'"ok": maybe', lines[2_222]).start() + 7
    assert str(failed.value) == f"records.jsonl line 2223: invalid JSON at column {column}: Expecting value"


def test_a_file_in_a_western_code_page_is_still_read_and_said(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes(json.dumps([{"id": "a", "name": {"pt": "Educação"}}], ensure_ascii=False).encode("cp1252"))
    read = list(read_records(path))
    assert read[-1].data == {"id": "a", "name": {"pt": "Educação"}}
    assert "not UTF-8" in str(read[0].data)
