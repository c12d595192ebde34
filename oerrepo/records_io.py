"""Reading records from files people bring: JSON, JSON Lines and spreadsheet CSV.

Each record comes with where it was found ("line 3", "row 4", "record 2") so every error
can point at it. CSV from spreadsheets arrives as UTF-8 (with or without a BOM) or in a
Windows code page; the encoding is detected, never guessed silently.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer

from .errors import ImportFailed

__all__ = ["SourceRecord", "read_records", "detect_format", "decode_text", "CSV_MULTI_SEPARATOR"]

CSV_MULTI_SEPARATOR = "|"
# CSV columns that hold several values, separated by CSV_MULTI_SEPARATOR.
_MULTI = {
    "type", "inLanguage", "keywords", "about", "sdg", "learningResourceType", "educationalLevel", "audience",
    "creator", "contributor", "publisher", "funder", "funding", "identifier", "isBasedOn", "isPartOf", "hasPart",
    "sameAs", "encoding", "sets",
}
_MAX_FILE = 2 * 1024**3


@dataclass(frozen=True)
class SourceRecord:
    """One raw record read from a file, with its place in that file."""

    where: str
    data: Any


def detect_format(path: Path, head: bytes) -> str:
    """Return "json", "jsonl" or "csv" from the file name, else from the first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".json", ".jsonld"):
        return "json"
    if suffix in (".csv", ".tsv"):
        return "csv"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        first_line = stripped.split(b"\n", 1)[0].strip()
        return "jsonl" if first_line.endswith(b"}") and b"\n{" in stripped else "json"
    return "csv"


def decode_text(raw: bytes, where: str) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM allowed), else as the detected code page. Returns (text, encoding)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    results = charset_normalizer.from_bytes(raw[:1_000_000])
    best = results.best()
    encoding = (best.encoding if best else None) or "cp1252"
    # Spreadsheets on Western European Windows write cp1252. The detector often ranks
    # cp1250/cp1257 or latin-1 level with it for the same bytes (they differ only in a few
    # letters such as è/č), so on a tie take cp1252, the far more common code page.
    if best is not None and encoding != "cp1252":
        for match in results:
            if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos and match.coherence >= best.coherence:
                encoding = "cp1252"
                break
    try:
        return raw.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise ImportFailed(
                f"{where}: the file is neither UTF-8 nor a Windows/Latin-1 text file ({exc}); save it as UTF-8"
            ) from exc


def read_records(path: str | Path, fmt: str | None = None) -> Iterator[SourceRecord]:
    """Yield the raw records of a JSON array / object, JSON Lines or CSV file."""
    path = Path(path)
    try:
        if path.is_dir():
            raise ImportFailed(f"{path} is a folder; give a JSON, JSON Lines or CSV file")
        if path.stat().st_size > _MAX_FILE:
            raise ImportFailed(f"{path} is larger than 2 GiB; split it into JSON Lines files")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed(f"no such file: {path}") from None
    except PermissionError:
        raise ImportFailed(f"cannot read {path}: permission denied") from None
    fmt = fmt or detect_format(path, raw[:4096])
    name = path.name
    if fmt == "jsonl":
        yield from _jsonl(raw, name)
    elif fmt == "json":
        yield from _json(raw, name)
    elif fmt == "csv":
        yield from _csv(raw, name, delimiter="\t" if path.suffix.lower() == ".tsv" else None)
    else:
        raise ImportFailed(f"unknown format {fmt!r}; use json, jsonl or csv")


def _json(raw: bytes, name: str) -> Iterator[SourceRecord]:
    text, _ = decode_text(raw, name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ImportFailed(f"{name}: the JSON is nested too deeply to be a record") from None
    if isinstance(data, dict):
        # A single record, or a JSON-LD document holding several in @graph.
        items = data["@graph"] if isinstance(data.get("@graph"), list) else [data]
        context = data.get("@context") if "@graph" in data else None
        for i, item in enumerate(items, 1):
            if context is not None and isinstance(item, dict) and "@context" not in item:
                item = {"@context": context, **item}
            yield SourceRecord(f"{name} record {i}", item)
    elif isinstance(data, list):
        for i, item in enumerate(data, 1):
            yield SourceRecord(f"{name} record {i}", item)
    else:
        raise ImportFailed(f"{name}: expected a JSON object or an array of objects, got {type(data).__name__}")


def _jsonl(raw: bytes, name: str) -> Iterator[SourceRecord]:
    text, _ = decode_text(raw, name)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield SourceRecord(f"{name} line {number}", json.loads(line))
        except json.JSONDecodeError as exc:
            raise ImportFailed(f"{name} line {number}: invalid JSON at column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise ImportFailed(f"{name} line {number}: the JSON is nested too deeply to be a record") from None


def _csv(raw: bytes, name: str, delimiter: str | None) -> Iterator[SourceRecord]:
    text, _ = decode_text(raw, name)
    if not text.strip():
        raise ImportFailed(f"{name}: the file is empty; a CSV needs a header row and one row per record")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFailed(f"{name}: the file is empty") from None
    from .model import PROPERTIES  # local: model imports nothing from here

    unknown = [h for h in header if h and h not in PROPERTIES]
    if unknown:
        raise ImportFailed(
            f"{name} row 1: unknown column(s) {', '.join(map(repr, unknown))}; the header may name: "
            + ", ".join(PROPERTIES)
        )
    missing = [c for c in ("name", "license") if c not in header]
    if missing:
        raise ImportFailed(
            f"{name} row 1: missing column(s) {', '.join(map(repr, missing))}; every record needs a name and a license"
        )
    if len(set(header)) != len(header):
        raise ImportFailed(f"{name} row 1: a column name appears twice in the header")
    try:
        for number, row in enumerate(reader, 2):
            if not any(cell.strip() for cell in row):
                continue
            where = f"{name} row {number}"
            if len(row) != len(header):
                yield SourceRecord(
                    where,
                    _BadRow(f"has {len(row)} cells but the header has {len(header)} columns; check quoting and separators"),
                )
                continue
            record: dict[str, Any] = {}
            for column, cell in zip(header, row):
                cell = cell.strip()
                if not column or not cell:
                    continue
                if column in _MULTI:
                    record[column] = [v.strip() for v in cell.split(CSV_MULTI_SEPARATOR) if v.strip()]
                else:
                    record[column] = cell
            yield SourceRecord(where, record)
    except csv.Error as exc:
        raise ImportFailed(f"{name} row {reader.line_num}: {exc}") from None


@dataclass(frozen=True)
class _Note:
    """How the file was read (its encoding, its columns); the importer reports it."""

    note: str


@dataclass(frozen=True)
class _BadRow:
    """A CSV row that cannot become a record; the importer reports it with its row number."""

    problem: str
