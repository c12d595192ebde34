"""What every crosswalk shares: the result type, tolerant XML reading and value clean-up.

A crosswalk turns one ``<metadata>`` payload into our record's *input* form (the form
:func:`oerrepo.model.normalize_record` accepts), the licence candidates it found, and
notes on what it could not carry. Crosswalks read elements by local name, so a partner
that uses another namespace version (LOMv1p0, DataCite kernel-3) is still understood.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .. import vocabularies
from ..errors import InvalidResource
from ..model import normalize_language

__all__ = ["Crosswalked", "Reader", "local", "children", "child", "descendants", "text_of", "clean_text",
           "language", "concept", "lang_of", "MAX_TEXT"]

# Longer fields are cut (and the cut reported) rather than losing the record.
MAX_TEXT = 100_000
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass
class Crosswalked:
    """A partner record in our input form, its licence candidates and notes on what was not carried."""

    record: dict[str, Any] = field(default_factory=dict)
    rights: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, prop: str, value: Any) -> None:
        """Append a value to a list property, skipping empties and repeats."""
        if value in (None, "", {}, []):
            return
        items = self.record.setdefault(prop, [])
        if value not in items:
            items.append(value)

    def add_text(self, prop: str, lang: str, text: str) -> None:
        """Add a text in a language to a language-map property (several texts are joined)."""
        text = self.cut(prop, clean_text(text))
        if not text:
            return
        texts = self.record.setdefault(prop, {})
        if lang in texts:
            if text not in texts[lang]:
                texts[lang] = self.cut(prop, texts[lang] + "\n\n" + text)
        else:
            texts[lang] = text

    def cut(self, prop: str, text: str) -> str:
        if len(text) > MAX_TEXT:
            self.notes.append(f"{prop} cut from {len(text)} to {MAX_TEXT} characters")
            return text[: MAX_TEXT - 1] + "…"
        return text


Reader = Callable[[etree._Element], Crosswalked]


def local(node: Any) -> str:
    """The local name of an element (no namespace); '' for comments and PIs."""
    tag = node.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(node: etree._Element | None, *names: str) -> Iterator[etree._Element]:
    """Child elements with one of these local names (any namespace)."""
    if node is None:
        return
    for c in node:
        if local(c) in names:
            yield c


def child(node: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element down a path of local names, or None."""
    for name in path:
        node = next(children(node, name), None)
        if node is None:
            return None
    return node


def descendants(node: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if node is None:
        return
    for el in node.iter():
        if local(el) == name:
            yield el


def text_of(node: etree._Element | None) -> str:
    """All text inside an element, whitespace collapsed."""
    if node is None:
        return ""
    return " ".join("".join(node.itertext()).split())


# HTML markup partners put in descriptions: only HTML's own element names, so that text
# such as "<corners>" or "a < b > c" in a title is kept as written.
_TAG = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|caption|center|cite|code|dd|del|div|dl|dt|em|font|h[1-6]|hr|i|img|ins|"
    r"kbd|li|mark|ol|p|pre|q|s|small|span|strike|strong|sub|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul)"
    r"(?:\s[^<>]{0,200})?/?>",
    re.I,
)


def clean_text(value: str) -> str:
    """Plain text from what partners send: HTML (even double-escaped) becomes text; blank lines kept."""
    if not value:
        return ""
    text = value
    for _ in range(2):  # Zenodo double-escapes HTML in dc:description
        if "&" in text and re.search(r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);", text, re.I):
            text = html.unescape(text)
    if "<" in text and _TAG.search(text):
        text = re.sub(r"(?i)<\s*(?:br|/p|/div|/li|/h\d)\s*/?>", "\n", text)
        text = _TAG.sub("", text)
        text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def lang_of(node: etree._Element, attribute: str | None = None) -> str | None:
    """The language of an element: xml:lang, or a named attribute (LOM's ``language``)."""
    value = node.get(XML_LANG) or (node.get(attribute) if attribute else None)
    return language(value) if value else None


def language(value: str | None, notes: list[str] | None = None) -> str | None:
    """A BCP 47 tag from ISO 639-1/2/3 codes and names; None (and a note) when unknown."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.lower() in ("und", "x-none", "none", "zxx", "mul"):
        return None
    if text.lower() in _NAMES:
        return _NAMES[text.lower()]
    try:
        return normalize_language(text)
    except (InvalidResource, ImportError, LookupError, ValueError):
        # ImportError: names ('German') need langcodes' optional language_data package.
        if notes is not None:
            notes.append(f"language {text!r} not recognised; left out")
        return None


# English and native names partners write in dc:language, for when langcodes' optional
# name data is not installed.
_NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "français": "fr", "francais": "fr",
    "spanish": "es", "español": "es", "espanol": "es", "italian": "it", "italiano": "it", "portuguese": "pt",
    "português": "pt", "portugues": "pt", "dutch": "nl", "nederlands": "nl", "greek": "el", "polish": "pl",
    "polski": "pl", "finnish": "fi", "suomi": "fi", "swedish": "sv", "svenska": "sv", "danish": "da",
    "norwegian": "no", "czech": "cs", "slovak": "sk", "slovenian": "sl", "hungarian": "hu", "romanian": "ro",
    "bulgarian": "bg", "croatian": "hr", "serbian": "sr", "estonian": "et", "latvian": "lv", "lithuanian": "lt",
    "irish": "ga", "maltese": "mt", "catalan": "ca", "basque": "eu", "galician": "gl", "turkish": "tr",
    "ukrainian": "uk", "russian": "ru", "arabic": "ar", "chinese": "zh", "japanese": "ja", "latin": "la",
}


def concept(vocab: str, value: str | None, aliases: dict[str, str] | None = None) -> str | None:
    """The concept URI a partner's value names (label, code, URI or a known alias), or None."""
    if not value:
        return None
    text = value.strip()
    key = re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
    if aliases and key in aliases:
        target = aliases[key]
        return vocabularies.resolve(vocab, target) if target else None
    try:
        return vocabularies.resolve(vocab, text)
    except InvalidResource:
        return None


_SDG = re.compile(r"(?:metadata\.un\.org/sdg/|\bSDG[\s_-]*|\bGoal\s+|sustainable development goal\s*)(\d{1,2})\b", re.I)


def sdg_of(value: str | None) -> str | None:
    """The SDG concept a subject names ('SDG 13', 'Goal 4', http://metadata.un.org/sdg/13)."""
    if not value:
        return None
    m = _SDG.search(value)
    if m and 1 <= int(m.group(1)) <= 17:
        return vocabularies.resolve("sdg", m.group(1))
    return None


def identifier_value(text: str) -> tuple[str, str] | None:
    """Sort an identifier a partner gives: ('doi'|'url'|'id', value), None for OAI ids."""
    text = text.strip()
    if not text or text.lower().startswith("oai:"):
        return None
    lower = text.lower()
    if lower.startswith("10.") and "/" in text:
        return "doi", text
    if lower.startswith(("doi:", "https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "https://dx.doi.org/")):
        return "doi", text
    if lower.startswith(("http://hdl.handle.net/", "https://hdl.handle.net/", "hdl:", "urn:")):
        return "id", text
    if lower.startswith(("http://", "https://")):
        return "url", text
    return None


def put_identifier(out: Crosswalked, text: str) -> None:
    """File an identifier under ``identifier`` (DOI, handle, URN) or ``url`` (the first web address)."""
    kind = identifier_value(text)
    if kind is None:
        return
    what, value = kind
    if what in ("doi", "id"):
        out.add("identifier", value)
    elif "url" not in out.record:
        out.record["url"] = value
    elif value != out.record["url"]:
        out.add("sameAs", value)


def agent(name: str, kind: str = "Person", ident: str | None = None, affiliation: str | None = None) -> dict | None:
    name = " ".join((name or "").split())
    if not name:
        return None
    out: dict[str, Any] = {"type": kind, "name": name}
    if ident:
        out["id"] = ident
    if affiliation:
        out["affiliation"] = {"type": "Organization", "name": affiliation}
    return out
