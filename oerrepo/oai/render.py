"""A small, fast XML writer for OAI-PMH responses.

Responses are written as text with careful escaping rather than built as a tree:
a page of a hundred records is rendered in a few milliseconds, and nothing but the
page itself is ever held in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["esc", "attr", "Writer", "OAI_NS", "XSI_NS"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# Characters XML 1.0 cannot carry at all, not even escaped: dropped from any output.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Most text needs no escaping at all: one C-level search decides.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text: object) -> str:
    """Text content: escape &, <, > and drop characters XML cannot carry."""
    s = text if type(text) is str else str(text)
    if _SPECIAL.search(s) is None:
        return s
    if _ILLEGAL.search(s):
        s = _ILLEGAL.sub("", s)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    return s


def attr(text: object) -> str:
    """An attribute value (double-quoted): also escape quotes and keep whitespace literal."""
    s = esc(text)
    return s.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def has_illegal(text: str) -> bool:
    """True when the text holds a character XML cannot carry."""
    return bool(_ILLEGAL.search(text))


class Writer:
    """Collects XML text; ``open``/``close``/``leaf`` write elements with escaped content."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def open(self, tag: str, attrs: Iterable[tuple[str, object]] = ()) -> None:
        self.parts.append(f"<{tag}{_attrs(attrs)}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def leaf(self, tag: str, text: object, attrs: Iterable[tuple[str, object]] = ()) -> None:
        self.parts.append(f"<{tag}{_attrs(attrs)}>{esc(text)}</{tag}>")

    def empty(self, tag: str, attrs: Iterable[tuple[str, object]] = ()) -> None:
        self.parts.append(f"<{tag}{_attrs(attrs)}/>")

    def text(self) -> str:
        return "".join(self.parts)


def _attrs(attrs: Iterable[tuple[str, object]]) -> str:
    return "".join(f' {k}="{attr(v)}"' for k, v in attrs if v is not None)
