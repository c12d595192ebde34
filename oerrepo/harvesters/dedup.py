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
from collections.abc import Mapping
from functools import lru_cache

from url_normalize.generic_url_cleanup import generic_url_cleanup
from url_normalize.normalize_fragment import normalize_fragment
from url_normalize.normalize_host import normalize_host
from url_normalize.normalize_path import normalize_path
from url_normalize.normalize_port import normalize_port
from url_normalize.normalize_query import normalize_query
from url_normalize.normalize_scheme import DEFAULT_SCHEME, normalize_scheme
from url_normalize.normalize_userinfo import normalize_userinfo
from url_normalize.provide_url_scheme import provide_url_scheme
from url_normalize.tools import cleanup_url_input, deconstruct_url, reconstruct_url

__all__ = ["match_keys", "describe_key", "fold", "normalized_url"]

_DOI = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\..+)$", re.I)


def fold(text: str) -> str:
    """Text reduced for comparison: case, accents and punctuation ignored."""
    folded = text.casefold()
    if not folded.isascii():  # ASCII has nothing to decompose and no combining marks
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", folded))


# A harvest sees thousands of URLs on a few hosts: the host's IDNA step is most of
# url_normalize's cost, so it runs once per host.
_host = lru_cache(maxsize=4096)(normalize_host)


def _url_normalize(url: str) -> str | None:
    """``url_normalize(url)`` step by step with the host step cached (tests/test_harvest_dedup.py
    checks the two agree)."""
    url = cleanup_url_input(url)
    if not url:
        return url
    url = generic_url_cleanup(provide_url_scheme(url, DEFAULT_SCHEME))
    parts = deconstruct_url(url)
    parts = parts._replace(host=_host(parts.host))
    parts = parts._replace(
        scheme=normalize_scheme(parts.scheme),
        userinfo=normalize_userinfo(parts.userinfo),
        query=normalize_query(parts.query, host=parts.host, filter_params=False, param_allowlist=None),
        fragment=normalize_fragment(parts.fragment),
    )
    parts = parts._replace(port=normalize_port(parts.port, parts.scheme), path=normalize_path(parts.path, parts.scheme))
    return reconstruct_url(parts)


# Most harvested URLs are already in normal form (lower-case host, default port, a path of
# unreserved characters, no dot segments, no query): url_normalize would return them as
# they are, so they skip it (tests/test_harvest_dedup.py checks the two agree).
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_URL = re.compile(rf"^https?://{_LABEL}(?:\.{_LABEL})+(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?$")


def normalized_url(url: str) -> str | None:
    """A URL reduced to what identifies the page (None when it is not an http(s) URL)."""
    url = url.strip()
    try:
        norm = url if _PLAIN_URL.match(url) else _url_normalize(url)
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
    creators = sorted({" ".join(sorted(fold(c.get("name", "")).split())) for c in record.get("creator", [])} - {""})
    if creators:
        for title in (record.get("name") or {}).values():
            folded = fold(title)
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
