"""The feed's sets: the collections, plus sets derived from what a record says.

Derived sets let an aggregator harvest exactly the slice it wants:

- ``sdg`` and ``sdg:N`` — resources serving Sustainable Development Goal N;
- ``license`` and ``license:<spdx id, lower case>`` — e.g. ``license:cc-by-sa-4.0``;
- ``type`` and ``type:<hcrt slug>`` — e.g. ``type:lesson_plan``;
- ``level`` and ``level:isced-N`` — ISCED 2011 level N;
- ``lang`` and ``lang:<BCP 47 tag>`` — ``lang:pt`` also holds ``pt-BR``.

A collection whose spec collides with a derived one wins: collections are the
repository owner's own word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .. import licenses, vocabularies
from ..store.feed import Selection

__all__ = ["SetFilter", "SET_SPEC_RE", "record_set_specs", "derived_set_filter", "PARENTS"]

SET_SPEC_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")

_HCRT = "https://w3id.org/kim/hcrt/"
_ISCED = "https://w3id.org/kim/isced-2011/level"
_SDG = "http://metadata.un.org/sdg/"

PARENTS: dict[str, str] = {
    "sdg": "UN Sustainable Development Goals",
    "license": "By licence",
    "type": "By learning resource type (hcrt)",
    "level": "By educational level (ISCED 2011)",
    "lang": "By language",
}


@dataclass(frozen=True)
class SetFilter:
    """How a setSpec selects records: a SQL pre-selection plus an exact check of the record."""

    selection: Selection = field(default_factory=Selection)
    check: Callable[[dict], bool] | None = None


@lru_cache(maxsize=512)
def _license_spec(url: str | None) -> str | None:
    lic = licenses.try_normalize(url) if url else None
    spec = f"license:{lic.id.lower()}" if lic else None
    return spec if spec and SET_SPEC_RE.match(spec) else None


@lru_cache(maxsize=4096)
def _valid_spec(spec: str) -> bool:
    return bool(SET_SPEC_RE.match(spec))


def record_set_specs(data: dict) -> list[str]:
    """The setSpecs of a record: its collections, then its derived sets (leaves only)."""
    # Written for every record of every list: specs are checked once each (cached), not per record.
    get = data.get
    specs = list(get("sets") or ())
    sdg = get("sdg")
    if sdg:
        specs += ["sdg:" + uri[len(_SDG):] for uri in sdg]
    spec = _license_spec(get("license"))
    if spec:
        specs.append(spec)
    types = get("learningResourceType")
    if types:
        specs += ["type:" + uri[len(_HCRT):] for uri in types if uri.startswith(_HCRT)]
    levels = get("educationalLevel")
    if levels:
        specs += ["level:isced-" + uri[len(_ISCED):] for uri in levels if uri.startswith(_ISCED)]
    langs = get("inLanguage")
    if langs:
        specs += ["lang:" + tag for tag in langs]
    return [s for s in dict.fromkeys(specs) if _valid_spec(s)]


def _quoted(uri: str) -> str:
    return f'"{uri}"'


def derived_set_filter(spec: str, license_urls: Iterable[str] = ()) -> SetFilter | None:
    """The filter of a derived set, or None when ``spec`` names no derived set."""
    head, _, tail = spec.partition(":")
    if head not in PARENTS or ":" in tail:
        return None
    if head == "sdg":
        if not tail:
            return SetFilter(Selection(data_contains=('"sdg":[',)), lambda d: bool(d.get("sdg")))
        if not tail.isdigit() or not 1 <= int(tail) <= 17 or tail != str(int(tail)):
            return None
        uri = _SDG + tail
        return SetFilter(Selection(data_contains=(_quoted(uri),)), lambda d: uri in (d.get("sdg") or ()))
    if head == "license":
        if not tail:
            return SetFilter(Selection(), lambda d: bool(d.get("license")))
        urls = tuple(u for u in license_urls if _license_spec(u) == spec)
        if not urls:
            lic = next((known for known in licenses.known() if known.id.lower() == tail), None)
            if lic is None:
                return None
            urls = (lic.url,)
        return SetFilter(Selection(license_urls=urls))
    if head == "type":
        if not tail:
            return SetFilter(Selection(data_contains=('"learningResourceType":[',)),
                             lambda d: bool(d.get("learningResourceType")))
        uri = _HCRT + tail
        if uri not in {c.uri for c in vocabularies.concepts("learningResourceType")}:
            return None
        return SetFilter(Selection(data_contains=(_quoted(uri),)),
                         lambda d: uri in (d.get("learningResourceType") or ()))
    if head == "level":
        if not tail:
            return SetFilter(Selection(data_contains=('"educationalLevel":[',)),
                             lambda d: bool(d.get("educationalLevel")))
        if not tail.startswith("isced-"):
            return None
        uri = _ISCED + tail[len("isced-"):]
        if uri not in {c.uri for c in vocabularies.concepts("educationalLevel")}:
            return None
        return SetFilter(Selection(data_contains=(_quoted(uri),)),
                         lambda d: uri in (d.get("educationalLevel") or ()))
    # lang
    if not tail:
        return SetFilter(Selection(data_contains=('"inLanguage":[',)), lambda d: bool(d.get("inLanguage")))
    wanted = tail.lower()

    def speaks(d: dict) -> bool:
        return any(t.lower() == wanted or t.lower().startswith(wanted + "-") for t in d.get("inLanguage") or ())

    return SetFilter(Selection(data_contains=(f'"{tail.split("-")[0]}',)), speaks)


def derived_set_names(license_urls: Iterable[str], language_tags: Iterable[str]) -> list[tuple[str, str]]:
    """(spec, name) of every derived set: the vocabularies in full, licences and languages in use."""
    out: list[tuple[str, str]] = [("sdg", PARENTS["sdg"])]
    for c in vocabularies.concepts("sdg"):
        out.append((f"sdg:{c.notation}", f"SDG {c.notation}: {vocabularies.label('sdg', c.uri)}"))
    out.append(("license", PARENTS["license"]))
    seen: set[str] = set()
    for url in license_urls:
        lic = licenses.try_normalize(url)
        if lic and lic.id not in seen:
            seen.add(lic.id)
            out.append((f"license:{lic.id.lower()}", f"Licence: {lic.title}"))
    out.append(("type", PARENTS["type"]))
    for c in vocabularies.concepts("learningResourceType"):
        out.append((f"type:{c.uri[len(_HCRT):]}", f"Type: {vocabularies.label('learningResourceType', c.uri)}"))
    out.append(("level", PARENTS["level"]))
    for c in vocabularies.concepts("educationalLevel"):
        n = c.uri[len(_ISCED):]
        out.append((f"level:isced-{n}", f"ISCED 2011 level {n}: {vocabularies.label('educationalLevel', c.uri)}"))
    out.append(("lang", PARENTS["lang"]))
    for tag in sorted(set(language_tags)):
        out.append((f"lang:{tag}", f"Language: {_language_name(tag)}"))
    return [(s, n) for s, n in out if SET_SPEC_RE.match(s)]


def _language_name(tag: str) -> str:
    import importlib.util

    # langcodes names languages only with its optional language_data package.
    if importlib.util.find_spec("language_data") is None:
        return tag
    try:
        import langcodes

        return langcodes.Language.get(tag).display_name("en")
    except (ValueError, LookupError):
        return tag
