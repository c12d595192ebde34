"""Reading licence values, typed or harvested: ids, URLs, titles and shorthand in EU languages."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from ..errors import UnknownLicense
from .table import (
    _BY_LOWER_ID,
    _CC_COMBOS,
    _CC_ORDER,
    _CC_VERSIONS,
    _DEPRECATED,
    _SOFTWARE_KEYS,
    _TABLE,
    _TERMS,
    NO_VERSION,
    License,
    _cc_id,
    versions_of,
)
from .text import _clean, _is_version, _replace_phrases, _software_key, _tokens, _version_of

#: Longest licence value :func:`normalize` reads; longer text is rejected unread.
MAX_LENGTH = 2000

# Titles of the CC licence elements in common EU languages, accents dropped; "@by" marks
# an element written out, which alone is enough to read a value as a CC licence.
_CC_PHRASES: tuple[tuple[str, str], ...] = (
    ("creative commons", "cc"), ("cc zero", "cc0"), ("zero", "cc0"),
    ("public domain dedication and certification", "pddc"),
    ("public domain mark", "pdm"), ("marque du domaine public", "pdm"), ("public domain dedication", "cc0"),
    ("public domain", "pd"), ("gemeinfrei", "pd"), ("domaine public", "pd"), ("dominio publico", "pd"),
    ("pubblico dominio", "pd"), ("publiek domein", "pd"), ("domena publiczna", "pd"),
    ("public license", ""), ("public licence", ""),
    ("attribution", "@by"), ("namensnennung", "@by"), ("paternite", "@by"), ("reconocimiento", "@by"),
    ("atribucion", "@by"), ("attribuzione", "@by"), ("naamsvermelding", "@by"), ("atribuicao", "@by"),
    ("uznanie autorstwa", "@by"), ("nimea", "@by"), ("erkannande", "@by"), ("kreditering", "@by"),
    ("noncommercial", "@nc"), ("non commercial", "@nc"), ("nicht kommerziell", "@nc"),
    ("pas d utilisation commerciale", "@nc"), ("no comercial", "@nc"), ("nocomercial", "@nc"),
    ("non commerciale", "@nc"), ("niet commercieel", "@nc"), ("nietcommercieel", "@nc"),
    ("nao comercial", "@nc"), ("naocomercial", "@nc"), ("uzycie niekomercyjne", "@nc"),
    ("eikaupallinen", "@nc"), ("ickekommersiell", "@nc"), ("ikkekommerciel", "@nc"),
    ("noderivatives", "@nd"), ("no derivatives", "@nd"), ("noderivs", "@nd"), ("no derivs", "@nd"),
    ("no derivative works", "@nd"), ("keine bearbeitungen", "@nd"), ("keine bearbeitung", "@nd"),
    ("pas de modification", "@nd"), ("sin obra derivada", "@nd"), ("sinobraderivada", "@nd"),
    ("sin derivadas", "@nd"), ("sinderivadas", "@nd"), ("non opere derivate", "@nd"),
    ("geen afgeleide werken", "@nd"), ("geenafgeleidewerken", "@nd"), ("sem derivacoes", "@nd"),
    ("semderivacoes", "@nd"), ("sem derivados", "@nd"), ("semderivados", "@nd"),
    ("bez utworow zaleznych", "@nd"), ("eimuutoksia", "@nd"), ("ingabearbetningar", "@nd"),
    ("ingenbearbejdelser", "@nd"),
    ("sharealike", "@sa"), ("share alike", "@sa"), ("weitergabe unter gleichen bedingungen", "@sa"),
    ("partage dans les memes conditions", "@sa"), ("compartir igual", "@sa"), ("compartirigual", "@sa"),
    ("condividi allo stesso modo", "@sa"), ("gelijk delen", "@sa"), ("gelijkdelen", "@sa"),
    ("compartilha igual", "@sa"), ("compartilhaigual", "@sa"), ("na tych samych warunkach", "@sa"),
    ("jaasamoin", "@sa"), ("delalika", "@sa"), ("del pa samme vilkar", "@sa"), ("delpasammevilkar", "@sa"),
    ("england and wales", "#uk"), ("england wales", "#uk"), ("united states", "#us"),
    ("germany", "#de"), ("deutschland", "#de"), ("austria", "#at"), ("osterreich", "#at"),
    ("netherlands", "#nl"), ("nederland", "#nl"), ("france", "#fr"), ("japan", "#jp"), ("australia", "#au"),
    ("switzerland", "#ch"), ("schweiz", "#ch"), ("suisse", "#ch"), ("spain", "#es"), ("espana", "#es"),
    ("italy", "#it"), ("italia", "#it"), ("poland", "#pl"), ("polska", "#pl"), ("scotland", "#scotland"),
)
_CC_FILLER = frozenset(
    "license licence licensed licenses under the this work is a an deed legal legalcode code tool v "
    "international unported generic universal version lizenz internationale internacional "
    "internazionale internationaal internationell kansainvalinen miedzynarodowa miedzynarodowe "
    "licencia licenza licentie licencja licenca licens lisenssi unportiert".split()
)
_CC_SA_ONLY = ("sa",)


class _Reading(NamedTuple):
    license: License
    notes: tuple[str, ...] = ()


def _cc_reading(elements: frozenset[str] | set[str], version: str | None,
                jurisdiction: str | None) -> _Reading | None:
    """The CC licence with these elements, version and port, or None if there is none."""
    combo = tuple(e for e in _CC_ORDER if e in elements)
    notes: list[str] = []
    if version is None:
        if jurisdiction:
            return None
        version = "4.0"
        notes.append(f"{NO_VERSION}: read as version 4.0")
    if combo == _CC_SA_ONLY and version == "1.0" and not jurisdiction:
        return _Reading(_TABLE["CC-SA-1.0"])
    if combo not in _CC_COMBOS or version not in (*_CC_VERSIONS, "2.1"):
        return None
    if jurisdiction:
        if version == "4.0":
            return None  # 4.0 has no ports
        port_id = _cc_id(combo, version, jurisdiction)
        if port_id in _TABLE:
            return _Reading(_TABLE[port_id], tuple(notes))
        generic = "2.0" if version == "2.1" else version  # 2.1 exists only as ports
        lic = _TABLE[_cc_id(combo, generic)]
        notes.append(f"jurisdiction port {version}/{jurisdiction} has no SPDX id: read as {lic.title}")
        return _Reading(lic, tuple(notes))
    if version == "2.1":
        return None
    return _Reading(_TABLE[_cc_id(combo, version)], tuple(notes))


def _from_cc_words(text: str) -> _Reading | None:
    """Read CC shorthand and titles: 'CC BY-SA', 'Namensnennung 4.0 International', 'CC0'."""
    tokens = _replace_phrases(_tokens(text), _CC_PHRASES)
    elements: set[str] = set()
    tools: set[str] = set()
    versions: set[str] = set()
    jurisdictions: set[str] = set()
    marked = spelled = False
    after_version = False
    for token in tokens:
        version = _version_of(token)
        if version is not None:
            versions.add(version)
            after_version = True
            continue
        if token in _CC_ORDER:
            elements.add(token)
        elif token.startswith("@"):
            elements.add(token[1:])
            spelled = True
        elif token == "cc":
            marked = True
        elif token in ("cc0", "pdm", "pd", "pddc"):
            tools.add(token)
        elif token.startswith("#"):
            jurisdictions.add(token[1:])
        elif after_version and len(token) == 2 and token.isalpha():
            jurisdictions.add(token)  # "CC BY-SA 3.0 DE"
        elif token not in _CC_FILLER:
            return None
        after_version = False
    if len(jurisdictions) > 1 or len(versions) > 1:
        return None
    version = next(iter(versions), None)
    jurisdiction = next(iter(jurisdictions), None)
    if tools:
        if elements or jurisdiction:
            return None
        if "pddc" in tools:
            return _Reading(_TABLE["CC-PDDC"]) if tools == {"pddc"} and not versions else None
        for tool, spdx_id in (("cc0", "CC0-1.0"), ("pdm", "CC-PDM-1.0")):
            if tool in tools:
                if tools - {tool, "pd"} or versions - {"1.0"}:
                    return None
                if not versions:
                    return _Reading(_TABLE[spdx_id], (f"{NO_VERSION}: read as {_TABLE[spdx_id].short}",))
                return _Reading(_TABLE[spdx_id])
        if versions:
            return None
        return _Reading(_TABLE["CC-PDM-1.0"], ("'public domain' names no tool: read as the Public Domain Mark 1.0",))
    if not elements or not (marked or spelled or len(elements) >= 2):
        return None
    return _cc_reading(elements, version, jurisdiction)


_URL_HOSTS = ("creativecommons.org", "opensource.org", "spdx.org", "gnu.org", "apache.org",
              "mozilla.org", "opendatacommons.org", "choosealicense.com", "joinup.ec.europa.eu")


def _looks_like_url(text: str) -> bool:
    lower = text.lower()
    return "://" in lower or lower.startswith(("//", "www.")) or lower.startswith(_URL_HOSTS)


def _from_url(text: str) -> _Reading | None:
    if text.startswith("//"):
        text = "https:" + text
    elif "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    host = host.removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    lower = [p.lower() for p in path]
    if host == "creativecommons.org" or host.endswith(".creativecommons.org"):
        return _from_cc_path(lower)
    reading = _from_other_path(host, path, lower)
    if reading is None and parts.fragment and not _looks_like_url(parts.fragment):
        # MyCoRe repositories point at their own licence classification and name the
        # licence in the fragment: ".../classifications/mir_licenses#cc_by-sa_4.0".
        reading = _from_words(parts.fragment)
    return reading


def _from_cc_path(path: list[str]) -> _Reading | None:
    if len(path) >= 3 and path[0] == "publicdomain" and path[2] == "1.0":
        spdx_id = {"zero": "CC0-1.0", "mark": "CC-PDM-1.0"}.get(path[1])
        return _Reading(_TABLE[spdx_id]) if spdx_id else None
    if len(path) >= 2 and path[:2] == ["licenses", "publicdomain"]:
        return _Reading(_TABLE["CC-PDDC"])
    if len(path) < 2 or path[0] != "licenses":
        return None
    elements = path[1].split("-")
    if len(set(elements)) != len(elements) or not set(elements) <= set(_CC_ORDER):
        return None
    version = path[2] if len(path) > 2 else None
    if version is not None and not _is_version(version):
        if version.startswith(("deed", "legalcode")):
            version = None
        else:
            return None
    jurisdiction = None
    if len(path) > 3 and not path[3].startswith(("deed", "legalcode", "rdf", "index")):
        if not (path[3].isalpha() and 2 <= len(path[3]) <= 10):
            return None
        jurisdiction = path[3]
    return _cc_reading(set(elements), version, jurisdiction)


_GNU_SLUGS = {"gpl": "GPL", "lgpl": "LGPL", "agpl": "AGPL", "fdl": "GFDL"}


def _from_other_path(host: str, path: list[str], lower: list[str]) -> _Reading | None:
    if not path:
        return None
    last = lower[-1]
    for ending in (".en.html", "-standalone.html", ".html", ".php", ".json", ".txt", ".md"):
        last = last.removesuffix(ending)
    if host == "spdx.org" and lower[0] == "licenses":
        return _from_spdx_id(last)
    if host == "opensource.org" and lower[0] in ("licenses", "license"):
        if last in ("mit-license", "mit"):
            return _Reading(_TABLE["MIT"])
        # new OSI slugs write versions with a hyphen: /license/apache-2-0
        slug = "".join("." if ch == "-" and 0 < i < len(last) - 1 and last[i - 1].isdigit()
                       and last[i + 1].isdigit() else ch for i, ch in enumerate(last))
        return _from_spdx_id(slug) or _from_software_words(slug)
    if host == "gnu.org" and lower[0] == "licenses":
        family, _, version = last.partition("-")
        if family in _GNU_SLUGS and version:
            return _from_software_words(f"{_GNU_SLUGS[family]} {version}")
        return None
    if host == "apache.org" and lower[0] == "licenses" and last == "license-2.0":
        return _Reading(_TABLE["Apache-2.0"])
    if host == "mozilla.org" and "mpl" in lower and "2.0" in lower:
        return _Reading(_TABLE["MPL-2.0"])
    if host == "opendatacommons.org" and lower[0] == "licenses" and len(lower) > 1:
        spdx_id = {"odbl": "ODbL-1.0", "by": "ODC-By-1.0", "pddl": "PDDL-1.0"}.get(lower[1])
        return _Reading(_TABLE[spdx_id]) if spdx_id else None
    if host == "joinup.ec.europa.eu" and any("eupl" in p for p in lower):
        if last.endswith(("12", "1.2")):
            return _Reading(_TABLE["EUPL-1.2"])
        if last.endswith(("11", "1.1")):
            return _Reading(_TABLE["EUPL-1.1"])
        return None
    if host == "choosealicense.com" and lower[0] == "licenses":
        return _from_spdx_id(last) or _from_software_words(last)
    return None


def _from_spdx_id(text: str) -> _Reading | None:
    lower = text.lower()
    if lower in _BY_LOWER_ID:
        return _Reading(_TABLE[_BY_LOWER_ID[lower]])
    if lower in _DEPRECATED:
        current = _DEPRECATED[lower]
        return _Reading(_TABLE[current], (f"deprecated SPDX id {text!r}: read as {current}",))
    return None


def _from_software_words(text: str) -> _Reading | None:
    found = _SOFTWARE_KEYS.get(_software_key(text))
    if found is None:
        return None
    spdx_id, note = found
    return _Reading(_TABLE[spdx_id], (note,) if note else ())


def _from_words(text: str) -> _Reading | None:
    return _from_spdx_id(text) or _from_cc_words(text) or _from_software_words(text)


def split_embedded(text: str) -> tuple[list[str], str]:
    """The URL-like words of a value and the text around them: ("CC BY-NC see <https://...>")."""
    urls: list[str] = []
    rest: list[str] = []
    for word in text.split():
        bare = word.strip("<>()[]{}\"',;.")
        (urls if _looks_like_url(bare) else rest).append(bare if _looks_like_url(bare) else word)
    return urls, " ".join(rest).strip(" -:;,/()[]")


def _from_embedded_url(text: str) -> _Reading | None:
    """A licence URL inside prose ("Licensed under <https://...>."), if there is exactly one.

    When the words around it name a licence with other conditions ("CC BY-NC
    https://creativecommons.org/licenses/by/4.0/"), the value contradicts itself: it is
    refused rather than read as the wider URL.
    """
    found: dict[str, _Reading] = {}
    urls, rest = split_embedded(text)
    for word in urls:
        reading = _from_url(word)
        if reading is not None:
            found.setdefault(reading.license.id, reading)
    if len(found) != 1:
        return None
    reading = next(iter(found.values()))
    words = _from_words(rest) if rest else None
    if words is not None and _conditions(words.license) != _conditions(reading.license):
        raise UnknownLicense(
            f"licence {text!r} names two licences that disagree: {words.license.short} in its words and "
            f"{reading.license.short} in its URL; give the one licence that applies"
        )
    return _Reading(reading.license, (*reading.notes, "licence read from the URL in the text"))


def _conditions(lic: License) -> tuple[bool, bool, bool, bool]:
    return (lic.allows_adaptations, lic.allows_commercial, lic.share_alike, lic.requires_attribution)


def _accepted_forms() -> str:
    main = [lic.id for lic in _TABLE.values()
            if _TERMS[lic.id].cc in (None, ()) or _TERMS[lic.id].version == "4.0"]
    return ("use an SPDX id such as 'CC-BY-4.0', a licence URL such as "
            "'https://creativecommons.org/licenses/by-sa/4.0/' or a name such as 'CC BY-SA 4.0'; "
            f"known licences: {', '.join(main)} (and Creative Commons versions 1.0 to 3.0 with "
            "their SPDX jurisdiction ports)")


def _unknown(value: object, hint: str = "") -> UnknownLicense:
    shown = repr(value) if not isinstance(value, str) or len(value) <= 120 else repr(value[:120] + "...")
    return UnknownLicense(f"licence {shown} is not recognised{hint}; {_accepted_forms()}")


def filter_urls(value: str | License) -> list[str]:
    """The licence URLs a filter value stands for: the licence it names, or, when it names
    no version ("CC BY-NC"), each version and port of that licence. A record's "CC BY-NC"
    is read as 4.0 (with a note), but a filter's means whichever version a record has.

    >>> len(filter_urls("CC BY-NC")) > 1, filter_urls("CC BY-NC 3.0")
    (True, ['https://creativecommons.org/licenses/by-nc/3.0/'])
    """
    lic = normalize(value)
    if any(note.startswith(NO_VERSION) for note in lic.notes):
        return [version.url for version in versions_of(lic)]
    return [lic.url]


def normalize(text: str) -> License:
    """Read a licence value, as typed or harvested, and return the licence it names.

    Accepts SPDX ids in any case (also deprecated ones such as ``GPL-3.0``), Creative
    Commons deed and legal-code URLs of every version and port, licence URLs at
    spdx.org, opensource.org, gnu.org and a few more, and titles or shorthand such as
    ``"Attribution-ShareAlike 4.0 International"``, ``"cc-by-nc"`` or
    ``"Namensnennung 4.0 International"``. A :class:`License` passes through.

    Raises :class:`~oerrepo.errors.UnknownLicense` for anything else, including access
    statements such as ``info:eu-repo/semantics/openAccess`` and values longer than
    :data:`MAX_LENGTH` characters.

    Example::

        >>> normalize("<https://creativecommons.org/licenses/by/3.0/de/legalcode>").id
        'CC-BY-3.0-DE'
    """
    if isinstance(text, License):
        return text
    if text is None or (isinstance(text, str) and not text.strip()):
        raise UnknownLicense(f"no licence given ({text!r}); {_accepted_forms()}")
    if not isinstance(text, str):
        raise UnknownLicense(f"licence {text!r} is not text; {_accepted_forms()}")
    if len(text) > MAX_LENGTH:
        raise UnknownLicense(
            f"licence value of {len(text)} characters is too long to be a licence (at most "
            f"{MAX_LENGTH}); give just the licence: {_accepted_forms()}"
        )
    return _read(text)


# A harvest or an import meets the same few licence values thousands of times: each
# distinct value is read once (licences are immutable; unknown values are not kept).
@lru_cache(maxsize=4096)
def _read(text: str) -> License:
    value = _clean(text)
    reading = None
    if _looks_like_url(value) and " " not in value:
        reading = _from_url(value)
    elif value:
        reading = _from_words(value) or _from_embedded_url(value)
    if reading is None:
        raise _unknown(text, _hint(value))
    if not reading.notes:
        return reading.license
    lic = reading.license
    return License(lic.id, lic.url, lic.title, lic.short, lic.status, reading.notes)


def _hint(value: str) -> str:
    lower = value.lower()
    if lower.startswith("info:eu-repo/semantics/"):
        return " (it states access rights, not a licence)"
    if "all rights reserved" in lower or "copyright" in lower or "\u00a9" in lower:
        return " (a copyright notice is not an open licence)"
    return ""


def try_normalize(text: str | None) -> License | None:
    """Like :func:`normalize`, but return None for a missing or unrecognised value."""
    if text is None:
        return None
    try:
        return normalize(text)
    except UnknownLicense:
        return None
