"""Reading a large JSON array or JSON Lines file a piece at a time.

An import of 100,000 records is a file of ~150 MB; read whole, its bytes and its text
(up to four bytes a character once one character is not Latin-1) cost several times
that in memory before the first record is checked. These readers keep about a megabyte
of text at a time and report mistakes with the line and column in the whole file, as
``json.loads`` would for the whole text.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["is_utf8_file", "array_items", "json_lines", "JSONStreamError"]

_CHUNK = 1 << 20
# No record is this large; an item still open after this much text is a mistake, not a
# piece of text still to come (and memory stays bounded whatever the file holds).
_MAX_ITEM = 64 << 20
_SPACE = re.compile(r"[ \t\n\r]*")
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


class JSONStreamError(ValueError):
    """A mistake in the JSON text, at ``lineno``/``colno`` of the whole file."""

    def __init__(self, msg: str, lineno: int, colno: int):
        super().__init__(f"{msg}: line {lineno} column {colno}")
        self.msg, self.lineno, self.colno = msg, lineno, colno


def is_utf8_file(path: Path) -> bool:
    """True when the whole file decodes as UTF-8 (a UTF-8 byte order mark allowed), read a
    megabyte at a time; files in other encodings are read whole and detected."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(_OTHER_BOMS):
            return False
        try:
            decoder.decode(head)
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


class _Text:
    """A window on a text file: ``buf[pos:]`` is what is not read yet; the text before the
    window is counted in lines and columns so positions are those of the whole file."""

    def __init__(self, f: IO[str]):
        self.f = f
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.lines = 0  # newlines before the window
        self.col = 0  # characters since the last of them, before the window

    def more(self) -> bool:
        if self.eof:
            return False
        data = self.f.read(_CHUNK)
        if not data:
            self.eof = True
            return False
        if self.pos:
            gone = self.buf[: self.pos]
            newlines = gone.count("\n")
            self.col = len(gone) - gone.rfind("\n") - 1 if newlines else self.col + len(gone)
            self.lines += newlines
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += data
        return True

    def next_char(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def decode(self, decoder: json.JSONDecoder) -> Any:
        while True:
            try:
                item, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated string")
                if cut and len(self.buf) - self.pos < _MAX_ITEM and self.more():
                    continue  # the item goes on in the next piece of the file
                raise self.error(exc.msg, exc.pos) from None
            if end >= len(self.buf) and self.more():
                continue  # a number may go on in the next piece
            self.pos = end
            return item

    def error(self, msg: str, pos: int) -> JSONStreamError:
        before = self.buf[:pos]
        newlines = before.count("\n")
        if newlines:
            return JSONStreamError(msg, self.lines + newlines + 1, pos - before.rfind("\n"))
        return JSONStreamError(msg, self.lines + 1, self.col + pos + 1)


def array_items(f: IO[str]) -> Iterator[Any]:
    """The items of the JSON array that is the whole text of ``f``, one at a time.

    Raises :class:`JSONStreamError` (json.loads' message, whole-file line and column) and
    RecursionError as json.loads does. ``f`` must start at the array's ``[``.
    """
    text = _Text(f)
    decoder = json.JSONDecoder()
    if text.next_char() != "[":
        raise text.error("Expecting '['", text.pos)
    text.pos += 1
    if text.next_char() == "]":
        text.pos += 1
    else:
        while True:
            if text.next_char() == "":
                raise text.error("Expecting value", text.pos)
            yield text.decode(decoder)
            following = text.next_char()
            if following == ",":
                text.pos += 1
                continue
            if following == "]":
                text.pos += 1
                break
            raise text.error("Expecting ',' delimiter", text.pos)
    if text.next_char() != "":
        raise text.error("Extra data", text.pos)


def json_lines(f: IO[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text file, cut only at line feeds (JSON strings may hold
    U+2028 or form feeds unescaped), a carriage return before the line feed removed."""
    number = 0
    rest = ""
    while True:
        data = f.read(_CHUNK)
        if not data:
            break
        lines = (rest + data).split("\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            yield number, line.removesuffix("\r")
    if rest:
        yield number + 1, rest.removesuffix("\r")
