"""Keys that recognise the same resource published by two partners.

Three kinds, strongest first: the DOI; the landing-page URL normalised (``url-normalize``,
then scheme, ``www.``, fragment and trailing slash ignored); and the title folded
(case, accents, punctuation) together with the set of creators' names (word order
ignored, so "Textor, Johannes" equals "Johannes Textor"). A record without creators
gets no title key: a title alone is too weak to merge on.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Mapping

from url_normalize import url_normalize

__all__ = ["match_keys", "describe_key"]

_DOI = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\..+)$", re.I)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    words = re.findall(r"\w+", "".join(c for c in decomposed if not unicodedata.combining(c)))
    return " ".join(words)


def normalized_url(url: str) -> str | None:
    """A URL reduced to what identifies the page (None when it is not an http(s) URL)."""
    try:
        norm = url_normalize(url.strip())
    except (ValueError, TypeError, UnicodeError):
        return None
    if not norm:
        return None
    norm = re.sub(r"^https?://(?:www\.)?", "", norm, flags=re.I)
    norm = norm.split("#", 1)[0].rstrip("/")
    return norm or None


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def match_keys(record: Mapping) -> list[str]:
    """The match keys of a stored-form record."""
    keys: list[str] = []
    for ident in record.get("identifier", []):
        m = _DOI.match(ident)
        if m:
            keys.append("doi:" + m.group(1).lower())
    if record.get("url"):
        url = normalized_url(record["url"])
        if url and not _DOI.match(record["url"]):
            keys.append("url:" + (url if len(url) <= 250 else _hash(url)))
    creators = sorted({" ".join(sorted(_fold(c.get("name", "")).split())) for c in record.get("creator", [])} - {""})
    if creators:
        for title in (record.get("name") or {}).values():
            folded = _fold(title)
            if folded:
                keys.append("title:" + _hash(folded + "|" + ";".join(creators)))
    return list(dict.fromkeys(keys))


def describe_key(key: str) -> str:
    """How a match key reads in a report."""
    kind, _, value = key.partition(":")
    if kind == "doi":
        return f"same DOI {value}"
    if kind == "url":
        return f"same URL {value}"
    return "same title and creators"
