"""Controlled vocabularies: concept URIs, their labels and the short forms people type.

The vocabularies ship inside the package as JSON (``oerrepo/schemas/vocabularies``,
built by ``tools/build_vocabularies.py`` from the published SKOS files) and are read
on first use only.

>>> resolve("learningResourceType", "Lesson plan")
'https://w3id.org/kim/hcrt/lesson_plan'
>>> resolve("sdg", 13)
'http://metadata.un.org/sdg/13'
>>> label("educationalLevel", "https://w3id.org/kim/isced-2011/level2", "de")
'Sekundarbereich I'
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from .errors import InvalidResource

__all__ = ["VOCABULARIES", "Concept", "resolve", "label", "labels", "concepts", "short_form"]

VOCABULARIES: tuple[str, ...] = ("learningResourceType", "educationalLevel", "audience", "conditionsOfAccess", "sdg")


@dataclass(frozen=True)
class Concept:
    """One concept of a vocabulary: its URI, notation, labels by language and matches."""

    uri: str
    notation: str
    labels: dict[str, str] = field(default_factory=dict, hash=False)
    alt_labels: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    exact_match: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Vocabulary:
    name: str
    concepts: tuple[Concept, ...]
    by_uri: dict[str, Concept]
    by_key: dict[str, str]


def concepts(vocabulary: str) -> list[Concept]:
    """All concepts of a vocabulary, in the order of its scheme."""
    return list(_load(vocabulary).concepts)


def resolve(vocabulary: str, value: str | int) -> str:
    """The concept URI for a URI or a short form: slug, notation, number or label in any language.

    Case, accents, spaces, '-' and '_' do not matter; http/https and a trailing slash
    in a URI do not either.

    >>> resolve("educationalLevel", "ISCED-2")
    'https://w3id.org/kim/isced-2011/level2'
    >>> resolve("audience", "general public")
    'http://purl.org/dcx/lrmi-vocabs/educationalAudienceRole/generalPublic'
    """
    vocab = _load(vocabulary)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidResource(f"{vocabulary} value {value!r} is not text or a number; {_accepted(vocab)}")
    text = str(value).strip()
    uri = vocab.by_key.get(_uri_key(text)) if _looks_like_uri(text) else vocab.by_key.get(_key(text))
    if uri is None and not _looks_like_uri(text):
        uri = _common_form(vocab, text)
    if uri is None:
        raise InvalidResource(f"unknown {vocabulary} {value!r}: {_suggestion(vocab, text)}{_accepted(vocab)}")
    return uri


# "Goal 13: Climate Action", "13 Climate action", "SDG 4 - Quality Education", "ODS 6"
_NUMBERED_GOAL = re.compile(r"^\s*(?:(?:un\s+)?(?:sdg|goal|ods|odd|ziel|obiettivo|objetivo|objectif)\s*)?"
                            r"(\d{1,2})\b\s*[:.)\-–—]?\s*(.*)$", re.I)


def _common_form(vocab: _Vocabulary, text: str) -> str | None:
    """Forms people write that are not labels: a goal's number with its title, a plural."""
    if vocab.name == "sdg":
        m = _NUMBERED_GOAL.match(text)
        if m:
            uri = vocab.by_key.get(_key(m.group(1)))
            title = _key(m.group(2))
            concept = vocab.by_uri.get(uri) if uri else None
            # the words after the number must name the same goal, or be absent
            if concept and (not title or any(title in _key(lb) or _key(lb) in title
                                             for lb in concept.labels.values())):
                return uri
        return None
    key = _key(text)
    for singular in (key[:-1] if key.endswith("s") else None, key[:-2] if key.endswith("es") else None):
        if singular and singular in vocab.by_key:  # "worksheets", "lesson plans"
            return vocab.by_key[singular]
    if vocab.name == "educationalLevel":  # "Primary", "Lower secondary school": ISCED's labels end in "education"
        for form in (key + "education", key.removesuffix("school") + "education", key.removesuffix("level")):
            if form in vocab.by_key:
                return vocab.by_key[form]
    return None


def _suggestion(vocab: _Vocabulary, text: str) -> str:
    key = _key(text)
    near = difflib.get_close_matches(key, list(vocab.by_key), n=1, cutoff=0.8)
    found = [vocab.by_uri[vocab.by_key[near[0]]]] if near else []
    if not found and len(key) >= 4:  # "Secondary": the concepts whose label holds the word
        found = [c for c in vocab.concepts if any(key in _key(label) for label in c.labels.values())][:3]
    if not found:
        return ""
    shown = " or ".join(f"{_short(vocab.name, c)!r} ({c.labels.get('en') or c.uri})" for c in found)
    return f"did you mean {shown}? "


def label(vocabulary: str, uri: str, lang: str = "en") -> str:
    """The concept's label in ``lang``, else in English, else in any language, else the URI."""
    found = labels(vocabulary, uri)
    primary = lang.split("-")[0].lower()
    for candidate in (lang, primary, "en"):
        if candidate in found:
            return found[candidate]
    return next(iter(found.values()), uri)


def labels(vocabulary: str, uri: str) -> dict[str, str]:
    """The concept's preferred labels by language; empty when the URI is not a concept."""
    concept = _concept(_load(vocabulary), uri)
    return dict(concept.labels) if concept else {}


def short_form(vocabulary: str, uri: str) -> str:
    """The short form people write for a concept: 'lesson_plan', 'ISCED-2', 'teacher', '13', 'no_login'."""
    vocab = _load(vocabulary)
    concept = _concept(vocab, uri)
    if concept is None:
        raise InvalidResource(f"{uri!r} is not a concept of {vocabulary}: {_accepted(vocab)}")
    return _short(vocab.name, concept)


def _short(vocabulary: str, concept: Concept) -> str:
    if vocabulary == "educationalLevel":
        return "ISCED-" + concept.notation.rsplit(":", 1)[-1]
    return concept.notation


def _concept(vocab: _Vocabulary, uri: str) -> Concept | None:
    if uri in vocab.by_uri:
        return vocab.by_uri[uri]
    resolved = vocab.by_key.get(_uri_key(uri)) if isinstance(uri, str) else None
    return vocab.by_uri.get(resolved) if resolved else None


def _accepted(vocab: _Vocabulary) -> str:
    return "use a concept URI or one of: " + ", ".join(_short(vocab.name, c) for c in vocab.concepts)


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _looks_like_uri(text: str) -> bool:
    return bool(_URI.match(text))


def _uri_key(uri: str) -> str:
    # Partners write w3id and UN URIs with either scheme and often a trailing slash.
    return "uri:" + _URI.sub("", uri.strip()).rstrip("/").lower()


def _key(text: str) -> str:
    """Compare short forms without case, accents, spaces or punctuation: 'Lesson-plan' == 'lesson_plan'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _short_keys(vocabulary: str, concept: Concept) -> list[str]:
    """Extra short forms beyond notation and labels, by vocabulary."""
    tail = concept.uri.rstrip("/").rsplit("/", 1)[-1]
    keys = [tail, concept.notation]
    if vocabulary == "educationalLevel":
        n = concept.notation.rsplit(":", 1)[-1]
        keys += [n, f"ISCED-{n}", f"ISCED {n}", f"level{n}", f"level_{n}"]
    elif vocabulary == "sdg":
        n = concept.notation
        keys += [f"SDG {n}", f"Goal {n}", f"SDG-{n}"]
    elif vocabulary == "audience":
        # camelCase notation such as generalPublic also written as general_public
        keys.append(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", concept.notation))
    return keys


@cache
def _load(vocabulary: str) -> _Vocabulary:
    if vocabulary not in VOCABULARIES:
        raise InvalidResource(f"unknown vocabulary {vocabulary!r}: use one of {', '.join(VOCABULARIES)}")
    resource = files("oerrepo") / "schemas" / "vocabularies" / f"{vocabulary}.json"
    data = json.loads(resource.read_text(encoding="utf-8"))
    loaded = tuple(
        Concept(
            uri=c["uri"],
            notation=c["notation"],
            labels=dict(c.get("labels", {})),
            alt_labels={lang: tuple(values) for lang, values in c.get("altLabels", {}).items()},
            exact_match=tuple(c.get("exactMatch", ())),
            aliases=tuple(c.get("aliases", ())),
        )
        for c in data["concepts"]
    )
    # Tiers in order of strength: URIs, short forms, preferred labels, alternative labels.
    # A weaker form never overrides a stronger one; two concepts sharing a form within a
    # tier (a label used in two languages) leave it to neither.
    tiers = [
        [(_uri_key(u), c.uri) for c in loaded for u in (c.uri, *c.aliases, *c.exact_match)],
        [(_key(t), c.uri) for c in loaded for t in _short_keys(vocabulary, c)],
        [(_key(t), c.uri) for c in loaded for t in c.labels.values()],
        [(_key(t), c.uri) for c in loaded for values in c.alt_labels.values() for t in values],
    ]
    by_key: dict[str, str] = {}
    for tier in tiers:
        found: dict[str, set[str]] = {}
        for key, uri in tier:
            if key and key not in by_key:
                found.setdefault(key, set()).add(uri)
        by_key.update({key: uris.pop() for key, uris in found.items() if len(uris) == 1})
    return _Vocabulary(vocabulary, loaded, {c.uri: c for c in loaded}, by_key)
