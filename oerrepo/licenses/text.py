"""Cleaning and tokenising licence values: dashes, quotes, accents, versions and GNU names."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_QUOTES = "\"'`\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb"


def _clean(text: str) -> str:
    """Trim, unify dashes and strip the brackets and quotes people put around a value."""
    text = unicodedata.normalize("NFKC", text)
    for dash in _DASHES:
        text = text.replace(dash, "-")
    text = " ".join(text.split())
    for _ in range(3):  # "<https://...>", "[CC BY]", "'MIT'"; bounded, each pass shrinks the text
        if len(text) >= 2 and (text[0], text[-1]) in (("<", ">"), ("(", ")"), ("[", "]")):
            text = text[1:-1].strip()
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
            text = text[1:-1].strip()
    return text


def _fold(text: str) -> str:
    """Lower-case and drop accents, so "Atribución" and "atribucion" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tokens(text: str) -> list[str]:
    """Words, version numbers and '+' of a licence value; every other character separates."""
    spaced = "".join(ch if ch.isalnum() or ch == "." else (" + " if ch == "+" else " ") for ch in _fold(text))
    return [token for token in (word.strip(".") for word in spaced.split()) if token]


def _is_version(token: str) -> bool:
    return token.replace(".", "", 1).isdigit() and not token.startswith(".")


def _version_of(token: str) -> str | None:
    """'4' -> '4.0', 'v3.0' -> '3.0'; None for a token that is no version."""
    if token.startswith("v") and _is_version(token[1:]):
        token = token[1:]
    if not _is_version(token):
        return None
    return token if "." in token else f"{token}.0"


def _replace_phrases(tokens: list[str], phrases: Sequence[tuple[str, str]]) -> list[str]:
    joined = f" {' '.join(tokens)} "
    for phrase, token in phrases:
        joined = joined.replace(f" {phrase} ", f" {token} ")
        joined = joined.replace(f" {phrase} ", f" {token} ")  # once more for overlapping neighbours
    return joined.split()


_GNU_PHRASES: tuple[tuple[str, str], ...] = (
    ("licence", "license"),
    ("gnu lesser general public license", "lgpl"), ("lesser general public license", "lgpl"),
    ("gnu library general public license", "lgpl"),
    ("gnu affero general public license", "agpl"), ("affero general public license", "agpl"),
    ("gnu general public license", "gpl"), ("general public license", "gpl"),
    ("gnu free documentation license", "gfdl"), ("free documentation license", "gfdl"),
    ("gnu fdl", "gfdl"), ("fdl", "gfdl"), ("gnu gpl", "gpl"), ("gnu lgpl", "lgpl"), ("gnu agpl", "agpl"),
    ("or any later version", "+"), ("or any later", "+"), ("or later", "+"), ("or newer", "+"),
    ("and later", "+"), ("later", "+"),
)
_SOFTWARE_FILLER = frozenset("license the version v gnu".split())


def _software_key(text: str) -> str:
    """One spelling for software licence names: 'GNU GPL v3+' and 'gpl-3.0-or-later' meet."""
    tokens: list[str] = []
    for token in _tokens(text):
        for family in ("lgpl", "agpl", "gfdl", "gpl"):  # "gplv3", "lgpl2.1"
            rest = token[len(family):].lstrip("v")
            if token.startswith(family) and rest and _is_version(rest):
                tokens.extend((family, rest))
                break
        else:
            tokens.append(token)
    tokens = _replace_phrases(tokens, _GNU_PHRASES)
    out = []
    for token in tokens:
        if token in _SOFTWARE_FILLER:
            continue
        version = _version_of(token)
        out.append(version if version is not None else token)
    return " ".join(out)
