"""Reading records from files people bring: JSON, JSON Lines and spreadsheet CSV.

Each record comes with where it was found ("line 3", "row 4", "record 2") so every error
can point at it. CSV from spreadsheets arrives as UTF-8 (with or without a BOM) or in a
Windows code page; the encoding is detected, never guessed silently.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import charset_normalizer

from .errors import ImportFailed
from .json_stream import JSONStreamError, array_items, is_utf8_file, json_lines

__all__ = ["SourceRecord", "FirstPlaces", "read_records", "detect_format", "decode_text", "decode_with_note", "CSV_MULTI_SEPARATOR"]

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


class FirstPlaces:
    """Where each record id of an import was first read, to name it when the id comes again.

    The places of one file differ only in their number ("data.csv row 12"): each id keeps
    that number, not a string of its own (~70 bytes a record, held to the import's end).
    """

    def __init__(self) -> None:
        self._first: dict[str, int | str] = {}
        self._prefix: str | None = None  # "data.csv row": what the numbers kept are places in

    def get(self, record_id: str) -> str | None:
        """Where ``record_id`` was first read, or None."""
        place = self._first.get(record_id)
        return f"{self._prefix} {place}" if isinstance(place, int) else place

    def add(self, record_id: str, where: str) -> None:
        """Note that ``record_id`` was read at ``where`` (a place from :func:`read_records`)."""
        prefix, _, number = where.rpartition(" ")
        if number.isdigit() and number.isascii() and prefix and self._prefix in (None, prefix):
            self._prefix = prefix
            self._first[record_id] = int(number)
        else:
            self._first[record_id] = where


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


# Windows code page of each language's legacy text files (the primary subtag is enough).
_CODE_PAGE = {
    **dict.fromkeys("en de fr es it pt nl ca da sv no nb nn fi is ga eu gl lb oc af sq ms id sw la rm fo".split(), "cp1252"),
    **dict.fromkeys("pl cs sk sl hr hu ro bs".split(), "cp1250"),
    **dict.fromkeys("ru uk bg be mk sr".split(), "cp1251"),
    "el": "cp1253", "tr": "cp1254", "he": "cp1255", "ar": "cp1256",
    **dict.fromkeys("lt lv et".split(), "cp1257"),
    "vi": "cp1258",
}
_ENCODING_NAMES = {
    "cp1252": "Windows-1252 (Western European)", "latin_1": "Latin-1 (ISO 8859-1)",
    "cp1250": "Windows-1250 (Central European)", "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)", "cp1254": "Windows-1254 (Turkish)", "cp1255": "Windows-1255 (Hebrew)",
    "cp1256": "Windows-1256 (Arabic)", "cp1257": "Windows-1257 (Baltic)", "cp1258": "Windows-1258 (Vietnamese)",
}
# Characters Western European text uses beyond ASCII: letters of its languages, quotes,
# dashes, currency and a few signs. Text read in the wrong code page shows others (¹, ³, ¾).
_WESTERN_EXTRA = set(
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœšžÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŸŒŠŽðþÐÞ"
    "€£¥¢“”‘’„‚«»‹›–—…•·°ºª¿¡©®™§¶×÷±µ½¼\u00a0\u00ad"
)


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def _western(raw: bytes) -> tuple[str, str]:
    """Windows-1252, else Latin-1: the two agree on every letter; 1252 adds € and curly quotes."""
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin_1"), "latin_1"


def _reads_as_western(text: str) -> bool:
    """True when every non-ASCII character is one Western European text uses, and they are few.

    Greek or Cyrillic read as Windows-1252 also gives letters (Óåéóìüò), but nearly all of
    them; Portuguese or German has a few in many words.
    """
    letters = outside = run = longest = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
        if ord(ch) > 127:
            if ch not in _WESTERN_EXTRA:
                return False
            outside += ch.isalpha()
            run = run + 1 if ch.isalpha() else 0
            longest = max(longest, run)
        else:
            run = 0
    # Western words hold at most a few accented letters in a row ("ções", "déçà"); Greek or
    # Cyrillic read in the wrong code page is nothing but such letters
    return longest <= 3 or letters == 0 or outside / letters < 0.3


def _name(encoding: str) -> str:
    return _ENCODING_NAMES.get(encoding, encoding)


def decode_text(raw: bytes, where: str, languages: Iterable[str] = ()) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM allowed), else as the code page of the text. Returns (text, encoding)."""
    text, encoding, _ = decode_with_note(raw, where, languages)
    return text, encoding


def decode_with_note(
    raw: bytes, where: str, languages: Iterable[str] | Callable[[], Iterable[str]] = ()
) -> tuple[str, str, str | None]:
    """Like :func:`decode_text`, plus a note saying what was assumed (None for UTF-8).

    Text that is not UTF-8 is read in the code page of its ``languages`` when they share
    one; otherwise, when uncertain, as Western European (Windows-1252, which reads Latin-1
    exactly), unless the bytes only make sense in another code page. ``languages`` may be
    a function, called only when the text is not UTF-8.
    """
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):  # "Unicode text" from a spreadsheet
            try:
                return raw.decode(codec), codec, None
            except UnicodeDecodeError as exc:
                raise ImportFailed(f"{where}: the file starts like {codec.upper()} but is not ({exc}); "
                                   "save it as UTF-8") from exc
    try:
        return raw.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError:
        pass
    control = _CONTROL_BYTES.search(raw[:1_000_000])
    if control:  # text in any code page has none of these; a binary file has many
        raise ImportFailed(
            f"{where}: the file is neither UTF-8 nor text in a Windows or Latin-1 code page (it holds the control "
            f"byte 0x{control.group()[0]:02x}); save it as UTF-8"
        )
    if callable(languages):
        languages = languages()
    tags = sorted({lang.strip().split("-")[0].split("_")[0].lower() for lang in languages if lang.strip()})
    pages = {_CODE_PAGE.get(tag) for tag in tags}
    if len(pages) == 1 and None not in pages:
        page = pages.pop()
        try:
            text = raw.decode(page)
        except UnicodeDecodeError:
            pass
        else:
            if page != "cp1252":
                return text, page, (f"the file is not UTF-8: read as {_name(page)}, the code page of its "
                                    f"languages ({', '.join(tags)}); save it as UTF-8 to be certain")
            text, page = _western(raw)
            return text, page, (f"the file is not UTF-8: read as {_name(page)}, the code page of its languages "
                                f"({', '.join(tags)}); save it as UTF-8 to be certain")
    text, encoding = _western(raw)
    if _reads_as_western(text):
        return text, encoding, (f"the file is not UTF-8: read as {_name(encoding)}, the usual code page of "
                                "spreadsheets in Western Europe; save it as UTF-8 to be certain")
    best = charset_normalizer.from_bytes(raw[:1_000_000]).best()
    # spreadsheets write single-byte code pages; a multi-byte guess (big5, shift_jis) for a
    # short non-UTF-8 file is the detector reading too much into a few bytes
    if best is not None and best.encoding and best.encoding.startswith(("cp12", "iso8859", "koi8", "mac_", "cp8")):
        try:
            return raw.decode(best.encoding), best.encoding, (
                f"the file is not UTF-8 and does not read as Western European text: read as "
                f"{_name(best.encoding)}, as detected; save it as UTF-8 to be certain")
        except (UnicodeDecodeError, LookupError):
            pass
    return text, encoding, (f"the file is not UTF-8 and its encoding could not be told: read as {_name(encoding)}; "
                            "check accented letters, or save it as UTF-8")


def read_records(path: str | Path, fmt: str | None = None) -> Iterator[SourceRecord]:
    """Yield the raw records of a JSON array / object, JSON Lines or CSV file.

    A JSON array or JSON Lines file in UTF-8 is read a piece at a time (see
    :mod:`.json_stream`); other files are read whole, their encoding detected.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise ImportFailed(f"{path} is a folder; give a JSON, JSON Lines or CSV file")
        if path.stat().st_size > _MAX_FILE:
            raise ImportFailed(f"{path} is larger than 2 GiB; split it into JSON Lines files")
        with path.open("rb") as f:
            head = f.read(4096)
        fmt = fmt or detect_format(path, head)
        streamed = fmt in ("json", "jsonl") and is_utf8_file(path)
        raw = b"" if streamed else path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed(f"no such file: {path}") from None
    except PermissionError:
        raise ImportFailed(f"cannot read {path}: permission denied") from None
    name = path.name
    if streamed:
        yield from _streamed(path, fmt, name)
    elif fmt == "jsonl":
        yield from _jsonl(raw, name)
    elif fmt == "json":
        yield from _json(raw, name)
    elif fmt == "csv":
        yield from _csv(raw, name, delimiter="\t" if path.suffix.lower() == ".tsv" else None)
    else:
        raise ImportFailed(f"unknown format {fmt!r}; use json, jsonl or csv")


def _streamed(path: Path, fmt: str, name: str) -> Iterator[SourceRecord]:
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        if fmt == "jsonl":
            for number, line in json_lines(f):
                if line.strip():
                    yield SourceRecord(f"{name} line {number}", _json_line(line, name, number))
            return
        first = f.read(64)
        if not first.lstrip(" \t\n\r").startswith("["):  # one object, or JSON-LD with @graph: read whole
            f.seek(0)
            yield from _json(f.read().encode("utf-8"), name)
            return
        f.seek(0)
        try:
            for number, item in enumerate(array_items(f), 1):
                yield SourceRecord(f"{name} record {number}", item)
        except JSONStreamError as exc:
            raise ImportFailed(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise ImportFailed(f"{name}: the JSON is nested too deeply to be a record") from None


def _json_line(line: str, name: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{name} line {number}: invalid JSON at column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ImportFailed(f"{name} line {number}: the JSON is nested too deeply to be a record") from None


_SPACE = re.compile(r"[ \t\n\r]*")


def _json(raw: bytes, name: str) -> Iterator[SourceRecord]:
    text, _, note = decode_with_note(raw, name)
    if note:
        yield SourceRecord(name, _Note(note))
    start = _SPACE.match(text).end()
    if text.startswith("[", start):
        yield from _json_array(text, start + 1, name)
        return
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


def _json_array(text: str, pos: int, name: str) -> Iterator[SourceRecord]:
    """The items of a JSON array one at a time (the whole list of a large file is never in memory),
    with json.loads' messages for the same mistakes."""
    decoder = json.JSONDecoder()
    number = 0
    pos = _SPACE.match(text, pos).end()
    try:
        if text.startswith("]", pos):
            pos += 1
        else:
            while True:
                item, pos = decoder.raw_decode(text, pos)
                number += 1
                yield SourceRecord(f"{name} record {number}", item)
                pos = _SPACE.match(text, pos).end()
                if text.startswith(",", pos):
                    pos = _SPACE.match(text, pos + 1).end()
                    continue
                if text.startswith("]", pos):
                    pos += 1
                    break
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        pos = _SPACE.match(text, pos).end()
        if pos != len(text):
            raise json.JSONDecodeError("Extra data", text, pos)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ImportFailed(f"{name}: the JSON is nested too deeply to be a record") from None


def _jsonl(raw: bytes, name: str) -> Iterator[SourceRecord]:
    text, _, note = decode_with_note(raw, name)
    if note:
        yield SourceRecord(name, _Note(note))
    # Only "\n" ends a JSON Lines record: str.splitlines() would also cut at U+2028, NEL
    # (U+0085) and form feeds, which JSON strings may hold unescaped.
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if line.strip():
            yield SourceRecord(f"{name} line {number}", _json_line(line, name, number))


# The headers people write in spreadsheets, in the languages of our partners, for each
# property (compared without case, accents, spaces, '-' or '_'). A property's own name
# is always accepted; "type" written as such keeps its meaning (schema.org types), while
# "Type" or "Resource type" means the kind of material, as people use it.
_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("title", "titel", "titre", "titulo", "titolo", "resource title", "resource name"),
    "description": ("description", "beschreibung", "descripcion", "descricao", "descrizione", "abstract",
                    "summary", "resume", "zusammenfassung"),
    "license": ("licence", "license", "lizenz", "licencia", "licenca", "licenza", "licentie", "rights",
                "licence url", "license url", "copyright licence", "copyright license"),
    "creator": ("author", "authors", "creator", "creators", "autor", "autoren", "autores", "auteur", "auteurs",
                "autore", "autori"),
    "url": ("url", "link", "web address", "website", "web", "address", "adresse", "enlace", "lien", "resource url"),
    "inLanguage": ("language", "languages", "lang", "sprache", "sprachen", "idioma", "idiomas", "langue",
                   "langues", "lingua", "lingue"),
    "keywords": ("keywords", "keyword", "tags", "tag", "schlagworter", "schlagworte", "stichworter",
                 "palabras clave", "mots cles", "mots clefs", "parole chiave", "palavras chave", "trefwoorden"),
    "sdg": ("sdg", "sdgs", "sustainable development goal", "sustainable development goals", "goal", "goals",
            "un goal", "un sdg", "ods", "odd", "nachhaltigkeitsziel", "nachhaltigkeitsziele"),
    "learningResourceType": ("type", "types", "resource type", "learning resource type", "material type",
                             "kind", "format type", "typ", "tipo", "ressourcentyp", "materialtyp"),
    "educationalLevel": ("level", "levels", "educational level", "education level", "isced", "isced level",
                         "school level", "stufe", "bildungsstufe", "nivel", "niveau", "livello"),
    "audience": ("audience", "target audience", "zielgruppe", "publico", "public", "pubblico"),
    "typicalAgeRange": ("age", "ages", "age range", "alter", "altersgruppe", "edad", "age group"),
    "publisher": ("publisher", "verlag", "editorial", "editeur", "editore", "editora"),
    "contributor": ("contributor", "contributors", "mitwirkende"),
    "about": ("subject", "subjects", "topic", "topics", "discipline", "fach", "facher", "materia", "matiere"),
    "datePublished": ("date", "published", "publication date", "date published", "datum", "fecha"),
    "identifier": ("doi",),
    "sets": ("set", "collection", "collections", "sammlung"),
}


def _header_key(text: str) -> str:
    """'Licence (SPDX)', 'Título*', 'Author(s)' -> 'licence', 'titulo', 'author'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", plain)  # "(en)", "(SPDX)", "[separate with |]"
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def read_header(header: list[str], where: str) -> tuple[list[str | None], str | None]:
    """The property each column holds, and a note saying how columns were read (None when as named).

    Raises ImportFailed naming every column that is not understood, with the nearest header
    we know, and columns that would fill the same property twice.
    """
    from .model import PROPERTIES  # local: model imports nothing from here

    by_key = {_header_key(p): p for p in PROPERTIES if p != "type"}
    for prop, names in _HEADERS.items():
        for synonym in names:
            by_key.setdefault(_header_key(synonym), prop)
    columns: list[str | None] = []
    unknown: list[str] = []
    for text in header:
        if not text:
            columns.append(None)
        elif text in PROPERTIES:
            columns.append(text)
        elif _header_key(text) in by_key:
            columns.append(by_key[_header_key(text)])
        else:
            columns.append(None)
            near = difflib.get_close_matches(_header_key(text), list(by_key), n=1, cutoff=0.75)
            unknown.append(f"{text!r}" + (f" (did you mean {by_key[near[0]]!r}?)" if near else ""))
    if unknown:
        raise ImportFailed(
            f"{where} row 1: unknown column(s) {', '.join(unknown)}; the header may name the "
            f"properties {', '.join(PROPERTIES)}, or write Title, Description, Licence, Author, URL, Language, "
            "Keywords, SDG, Type, Level, Audience, Age, Subject or Date"
        )
    seen: dict[str, str] = {}
    for text, prop in zip(header, columns):
        if prop is None:
            continue
        if prop in seen:
            raise ImportFailed(f"{where} row 1: columns {seen[prop]!r} and {text!r} both give {prop}; keep one")
        seen[prop] = text
    missing = [c for c in ("name", "license") if c not in seen]
    if missing:
        raise ImportFailed(
            f"{where} row 1: missing column(s) {', '.join(map(repr, missing))}; every record needs a name "
            "(a Title column) and a license (a Licence column)"
        )
    if all(text == prop for text, prop in zip(header, columns) if prop):
        return columns, None  # every column named by its property: nothing to explain
    read = [f"{text!r} as {prop}" for text, prop in zip(header, columns) if prop]
    return columns, "columns read: " + ", ".join(read)


def _csv(raw: bytes, name: str, delimiter: str | None) -> Iterator[SourceRecord]:
    text, _, encoding_note = decode_with_note(raw, name, lambda: _csv_languages(raw, delimiter))
    if not text.strip():
        raise ImportFailed(f"{name}: the file is empty; a CSV needs a header row and one row per record")
    if encoding_note:
        yield SourceRecord(name, _Note(encoding_note))
    delimiter = delimiter or _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFailed(f"{name}: the file is empty") from None
    columns, columns_note = read_header(header, name)
    if columns_note:
        yield SourceRecord(f"{name} row 1", _Note(columns_note))
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
            for column, cell in zip(columns, row):
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


def _sniff(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _csv_languages(raw: bytes, delimiter: str | None) -> list[str]:
    """The language codes in a CSV's language column, read before its encoding is known.

    Language codes are ASCII, so Latin-1 (which decodes any bytes) finds them in every
    single-byte code page.
    """
    text = raw[:1_000_000].decode("latin_1")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _sniff(text))
    try:
        header = [h.strip() for h in next(reader)]
        columns, _ = read_header(header, "")
    except (StopIteration, ImportFailed, csv.Error):
        return []
    if "inLanguage" not in columns:
        return []
    index = columns.index("inLanguage")
    found: list[str] = []
    try:
        for row in reader:
            if len(row) > index:
                found.extend(re.split(r"[|,;\s]+", row[index]))
    except csv.Error:
        pass
    return [code for code in found if code.isascii() and code.strip()]


@dataclass(frozen=True)
class _Note:
    """How the file was read (its encoding, its columns); the importer reports it."""

    note: str


@dataclass(frozen=True)
class _BadRow:
    """A CSV row that cannot become a record; the importer reports it with its row number."""

    problem: str
