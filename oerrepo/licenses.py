"""Recognise, describe and combine open licences.

Every licence value oerrepo reads, harvested or typed, goes through :func:`normalize`.
It maps SPDX ids, Creative Commons deed and legal-code URLs, licence titles in common
EU languages and everyday shorthand to one :class:`License`::

    >>> normalize("http://www.creativecommons.org/licenses/by-sa/4.0/deed.de").id
    'CC-BY-SA-4.0'
    >>> normalize("CC BY-NC").notes
    ('no version given: read as version 4.0',)

Decisions every caller can rely on:

* ``License.id`` is always an id from the SPDX licence list (3.27). The Public Domain
  Mark is ``CC-PDM-1.0``; SPDX lists it, so no private id is needed.
* ``License.url`` is one canonical URL per licence. Creative Commons tools use
  ``https://creativecommons.org/...`` with no ``www.``, a trailing slash and no
  ``legalcode``/``deed`` part; every other licence uses
  ``https://spdx.org/licenses/<id>.html``.
* A Creative Commons licence without a version is read as version 4.0, a bare
  "public domain" as the Public Domain Mark 1.0 (a statement about a work's status,
  not a waiver by its rights holder, which CC0 would be), a GNU licence without
  "only" or "or later" as the ``-only`` variant (as SPDX reads its deprecated
  ``GPL-3.0``), and a jurisdiction port without an SPDX id as the generic licence
  of the same version. Each such reading is recorded in ``License.notes``.
* Access statements ("info:eu-repo/semantics/openAccess") and copyright notices
  ("All rights reserved") are not licences: :func:`normalize` raises
  :class:`~oerrepo.errors.UnknownLicense` and :func:`try_normalize` returns None.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from .errors import InvalidResource, LicenseRejected, UnknownLicense

__all__ = [
    "MAX_LENGTH",
    "Compatibility",
    "License",
    "LicensePolicy",
    "attribution",
    "combine",
    "known",
    "normalize",
    "try_normalize",
]

#: Longest licence value :func:`normalize` reads; longer text is rejected unread.
MAX_LENGTH = 2000


class _Terms(NamedTuple):
    attribution: bool
    share_alike: bool
    adaptations: bool
    commercial: bool
    public_domain: bool
    cc: tuple[str, ...] | None = None  # licence elements, e.g. ("by", "sa"), for CC licences
    version: str | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True)
class License:
    """One licence, identified by its SPDX id, with one canonical URL.

    ``notes`` say how an unusual value was read (e.g. a missing version); they do
    not take part in comparisons, so ``normalize("CC BY") == normalize("CC-BY-4.0")``.
    """

    id: str
    url: str
    title: str
    short: str
    status: str  # "open" (Open Definition conformant) or "restricted" (NC, ND)
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return self.short

    @property
    def _terms(self) -> _Terms:
        terms = _TERMS.get(self.id)
        if terms is None:  # built by hand, outside the table: assume the usual BY-like terms
            terms = _Terms(True, False, self.is_open, self.is_open, False)
        return terms

    @property
    def is_open(self) -> bool:
        """True for licences that conform to the Open Definition (no NC, no ND)."""
        return self.status == "open"

    @property
    def allows_adaptations(self) -> bool:
        """False for NoDerivatives (ND) licences."""
        return self._terms.adaptations

    @property
    def allows_commercial(self) -> bool:
        """False for NonCommercial (NC) licences."""
        return self._terms.commercial

    @property
    def share_alike(self) -> bool:
        """True when adaptations must be shared under the same (or a compatible) licence."""
        return self._terms.share_alike

    @property
    def requires_attribution(self) -> bool:
        """True unless the work is dedicated to or marked as in the public domain."""
        return self._terms.attribution


@dataclass(frozen=True)
class Compatibility:
    """The answer of :func:`combine`: may an adaptation be shared, and under which licences."""

    allowed: bool
    adaptation_licenses: tuple[License, ...]
    reason: str


# --------------------------------------------------------------------------- the table

_TABLE: dict[str, License] = {}  # id -> License, in the order known() lists them
_TERMS: dict[str, _Terms] = {}
_BY_LOWER_ID: dict[str, str] = {}  # lower-case SPDX id -> id


def _add(lic: License, terms: _Terms) -> None:
    _TABLE[lic.id] = lic
    _TERMS[lic.id] = terms
    _BY_LOWER_ID[lic.id.lower()] = lic.id


_CC = "https://creativecommons.org/"
_CC_VERSIONS = ("4.0", "3.0", "2.5", "2.0", "1.0")
_CC_SUFFIX = {"1.0": "Generic", "2.0": "Generic", "2.5": "Generic", "3.0": "Unported", "4.0": "International"}
_CC_ORDER = ("by", "nc", "nd", "sa")
# The chart's order, least restrictive first; it also orders combine()'s answers.
_CC_COMBOS = (("by",), ("by", "sa"), ("by", "nc"), ("by", "nc", "sa"), ("by", "nd"), ("by", "nc", "nd"))
# The jurisdiction ports SPDX lists (licence list 3.27); other ports read as generic.
_CC_PORTS = {
    ("by",): {"2.5": ("au",), "3.0": ("at", "au", "de", "igo", "nl", "us")},
    ("by", "sa"): {"2.0": ("uk",), "2.1": ("jp",), "3.0": ("at", "de", "igo")},
    ("by", "nd"): {"3.0": ("de",)},
    ("by", "nc"): {"3.0": ("de",)},
    ("by", "nc", "sa"): {"2.0": ("de", "fr", "uk"), "3.0": ("de", "igo")},
    ("by", "nc", "nd"): {"3.0": ("de", "igo")},
}
_JURISDICTION_NAMES = {
    "at": "Austria", "au": "Australia", "de": "Germany", "fr": "France", "igo": "IGO",
    "jp": "Japan", "nl": "Netherlands", "uk": "England and Wales", "us": "United States",
}


def _cc_id(elements: tuple[str, ...], version: str, jurisdiction: str | None = None) -> str:
    parts = ["CC", *(e.upper() for e in elements), version]
    if jurisdiction:
        parts.append(jurisdiction.upper())
    return "-".join(parts)


def _add_cc(elements: tuple[str, ...], version: str, jurisdiction: str | None = None) -> None:
    names = {"by": "Attribution", "nc": "NonCommercial", "sa": "ShareAlike",
             "nd": "NoDerivatives" if version == "4.0" else "NoDerivs"}
    code = "-".join(elements)
    if version == "1.0" and elements == ("by", "nc", "nd"):
        code = "by-nd-nc"  # the 1.0 URL kept the elements in the order they were written
    place = _JURISDICTION_NAMES[jurisdiction] if jurisdiction else _CC_SUFFIX[version]
    url = f"{_CC}licenses/{code}/{version}/" + (f"{jurisdiction}/" if jurisdiction else "")
    restricted = "nc" in elements or "nd" in elements
    abbreviation = "-".join(e.upper() for e in elements)
    _add(
        License(
            id=_cc_id(elements, version, jurisdiction),
            url=url,
            title=f"Creative Commons {'-'.join(names[e] for e in elements)} {version} {place}",
            short=f"CC {abbreviation} {version}" + (f" {jurisdiction.upper()}" if jurisdiction else ""),
            status="restricted" if restricted else "open",
        ),
        _Terms("by" in elements, "sa" in elements, "nd" not in elements, "nc" not in elements,
               False, elements, version, jurisdiction),
    )


def _build_cc() -> None:
    _add(License("CC0-1.0", f"{_CC}publicdomain/zero/1.0/", "CC0 1.0 Universal", "CC0 1.0", "open"),
         _Terms(False, False, True, True, True, (), "1.0"))
    _add(License("CC-PDM-1.0", f"{_CC}publicdomain/mark/1.0/", "Public Domain Mark 1.0", "PDM 1.0", "open"),
         _Terms(False, False, True, True, True, (), "1.0"))
    for version in _CC_VERSIONS:
        for elements in _CC_COMBOS:
            _add_cc(elements, version)
    for elements, ports in _CC_PORTS.items():
        for version, jurisdictions in ports.items():
            for jurisdiction in jurisdictions:
                _add_cc(elements, version, jurisdiction)
    _add_cc(("sa",), "1.0")  # 1.0 also came without BY; SPDX lists only this one
    _add(License("CC-PDDC", f"{_CC}licenses/publicdomain/",
                 "Creative Commons Public Domain Dedication and Certification", "CC PDDC", "open"),
         _Terms(False, False, True, True, True, ()))


_PERMISSIVE = _Terms(True, False, True, True, False)
_COPYLEFT = _Terms(True, True, True, True, False)
_PUBLIC_DOMAIN = _Terms(False, False, True, True, True)

# id, title, terms, other names people write
_OTHER = (
    ("MIT", "MIT License", _PERMISSIVE, ("MIT License", "The MIT License", "Expat", "MIT/Expat")),
    ("Apache-2.0", "Apache License 2.0", _PERMISSIVE,
     ("Apache 2", "Apache 2.0", "Apache License 2.0", "Apache License, Version 2.0", "Apache2",
      "Apache Software License 2.0", "ASL 2.0", "ALv2")),
    ("BSD-2-Clause", 'BSD 2-Clause "Simplified" License', _PERMISSIVE,
     ("BSD 2-Clause", "BSD 2-Clause License", "Simplified BSD", "Simplified BSD License", "FreeBSD License")),
    ("BSD-3-Clause", 'BSD 3-Clause "New" or "Revised" License', _PERMISSIVE,
     ("BSD 3-Clause", "BSD 3-Clause License", "New BSD", "New BSD License", "Modified BSD License",
      "Revised BSD License")),
    ("BSD-3-Clause-Clear", "BSD 3-Clause Clear License", _PERMISSIVE, ("BSD 3-Clause Clear",)),
    ("ISC", "ISC License", _PERMISSIVE, ("ISC License",)),
    ("MPL-2.0", "Mozilla Public License 2.0", _COPYLEFT, ("MPL 2.0", "Mozilla Public License, Version 2.0")),
    ("EUPL-1.1", "European Union Public License 1.1", _COPYLEFT,
     ("EUPL 1.1", "EUPL v1.1", "European Union Public Licence 1.1", "European Union Public Licence v. 1.1")),
    ("EUPL-1.2", "European Union Public License 1.2", _COPYLEFT,
     ("EUPL 1.2", "EUPL v1.2", "European Union Public Licence 1.2", "European Union Public Licence v. 1.2")),
    ("ODbL-1.0", "Open Data Commons Open Database License v1.0", _COPYLEFT,
     ("ODbL", "ODbL 1.0", "Open Database License", "Open Database License 1.0", "Open Database License (ODbL) v1.0",
      "ODC Open Database License", "Open Data Commons Open Database License")),
    ("ODC-By-1.0", "Open Data Commons Attribution License v1.0", _PERMISSIVE,
     ("ODC-By", "ODC-BY 1.0", "Open Data Commons Attribution License", "ODC Attribution License")),
    ("PDDL-1.0", "Open Data Commons Public Domain Dedication & License 1.0", _PUBLIC_DOMAIN,
     ("PDDL", "ODC-PDDL", "ODC PDDL 1.0", "Open Data Commons Public Domain Dedication and License",
      "Open Data Commons Public Domain Dedication and Licence")),
    ("Unlicense", "The Unlicense", _PUBLIC_DOMAIN, ("The Unlicense",)),
)
# family, title, versions; ids are <family>-<version>-only / -or-later
_GNU = (
    ("GPL", "GNU General Public License", ("2.0", "3.0")),
    ("LGPL", "GNU Lesser General Public License", ("2.1", "3.0")),
    ("AGPL", "GNU Affero General Public License", ("3.0",)),
    ("GFDL", "GNU Free Documentation License", ("1.2", "1.3")),
)
_DEPRECATED: dict[str, str] = {}  # lower-case deprecated SPDX id -> current id
_SOFTWARE_KEYS: dict[str, tuple[str, str | None]] = {}  # software key -> (id, note)


def _build_other() -> None:
    for spdx_id, title, terms, names in _OTHER:
        _add(License(spdx_id, f"https://spdx.org/licenses/{spdx_id}.html", title, spdx_id, "open"), terms)
        for name in (spdx_id, title, *names):
            _SOFTWARE_KEYS.setdefault(_software_key(name), (spdx_id, None))
    for family, title, versions in _GNU:
        for version in versions:
            only, later = f"{family}-{version}-only", f"{family}-{version}-or-later"
            for spdx_id, words in ((only, "only"), (later, "or later")):
                _add(License(spdx_id, f"https://spdx.org/licenses/{spdx_id}.html",
                             f"{title} v{version} {words}", spdx_id, "open"), _COPYLEFT)
            _DEPRECATED[f"{family}-{version}".lower()] = only
            _DEPRECATED[f"{family}-{version}+".lower()] = later
            majors = {version, version.removesuffix(".0")}
            for name in (family, title):
                for v in majors:
                    _SOFTWARE_KEYS.setdefault(_software_key(f"{name} {v}"), (only, _gnu_note(family, version)))
                    _SOFTWARE_KEYS.setdefault(_software_key(f"{name} {v} only"), (only, None))
                    _SOFTWARE_KEYS.setdefault(_software_key(f"{name} {v} or later"), (later, None))
                    _SOFTWARE_KEYS.setdefault(_software_key(f"{name} {v}+"), (later, None))


def _gnu_note(family: str, version: str) -> str:
    return f"no 'only' or 'or later' given: read as {family}-{version}-only"


# --------------------------------------------------------------------------- text

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
        notes.append("no version given: read as version 4.0")
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
                return _Reading(_TABLE[spdx_id])
        if versions:
            return None
        return _Reading(_TABLE["CC-PDM-1.0"], ("'public domain' names no tool: read as the Public Domain Mark 1.0",))
    if not elements or not (marked or spelled or len(elements) >= 2):
        return None
    return _cc_reading(elements, version, jurisdiction)


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


# --------------------------------------------------------------------------- URLs

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


# --------------------------------------------------------------------------- ids and words


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


def _from_embedded_url(text: str) -> _Reading | None:
    """A licence URL inside prose ("Licensed under <https://...>."), if there is exactly one."""
    found: dict[str, _Reading] = {}
    for word in text.split():
        word = word.strip("<>()[]{}\"',;.")
        if _looks_like_url(word):
            reading = _from_url(word)
            if reading is not None:
                found.setdefault(reading.license.id, reading)
    if len(found) != 1:
        return None
    reading = next(iter(found.values()))
    return _Reading(reading.license, (*reading.notes, "licence read from the URL in the text"))


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


def known() -> list[License]:
    """Every licence the table knows: CC tools first (4.0 before older versions), then others."""
    return list(_TABLE.values())


# --------------------------------------------------------------------------- combine


def _names(licenses: Sequence[License]) -> str:
    shorts = [lic.short for lic in licenses]
    return shorts[0] if len(shorts) == 1 else f"{', '.join(shorts[:-1])} and {shorts[-1]}"


def _cc_rank(lic: License) -> tuple[int, float, str]:
    terms = lic._terms
    return (_CC_COMBOS.index(terms.cc) if terms.cc in _CC_COMBOS else len(_CC_COMBOS),
            float(terms.version or 0), lic.id)


def _permits(source: License, target: License) -> bool:
    """May an adaptation of material under ``source`` be shared under ``target``?"""
    s, t = source._terms, target._terms
    if s.share_alike:
        if s.version == "1.0":
            return source.id == target.id  # 1.0 ShareAlike allows only the very same licence
        # 2.0 and later allow the same elements at the same or a later version, or a port of it
        return t.cc == s.cc and float(t.version or 0) >= float(s.version or 0)
    if not s.commercial:
        return not t.commercial
    return True


def combine(*licenses: License | str) -> Compatibility:
    """Say whether material under these licences may be remixed and the adaptation shared.

    Follows the Creative Commons compatibility chart: public-domain material combines
    with anything, ND forbids sharing adaptations, ShareAlike needs the same licence
    (or a later version), and NC material cannot join BY-SA material. Mixtures with
    other licences are allowed only when all licences are identical or permissive, or
    for CC BY(-SA) 4.0 with GPL-3.0, to which CC declared BY-SA 4.0 one-way compatible.

    Example::

        >>> [lic.id for lic in combine("CC-BY-4.0", "CC BY-SA 4.0").adaptation_licenses]
        ['CC-BY-SA-4.0']
    """
    if not licenses:
        raise UnknownLicense("no licence given; pass the licences of the works combined, "
                             "e.g. combine('CC-BY-4.0', 'CC-BY-SA-4.0')")
    unique: list[License] = []
    for value in licenses:
        lic = normalize(value)
        if lic not in unique:
            unique.append(lic)
    for lic in unique:
        if not lic.allows_adaptations:
            return Compatibility(False, (), f"{lic.short} forbids sharing adaptations (ND: NoDerivatives), "
                                            "so the combination cannot be shared")
    conditioned = [lic for lic in unique if not lic._terms.public_domain]
    if not conditioned:
        choices = tuple(_TABLE[i] for i in ("CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0",
                                           "CC-BY-NC-SA-4.0"))
        return Compatibility(True, choices, "public-domain material carries no conditions: "
                                            "the adaptation may be shared under any licence")
    if all(lic._terms.cc is not None for lic in conditioned):
        return _combine_cc(conditioned)
    return _combine_other(conditioned)


def _combine_cc(conditioned: list[License]) -> Compatibility:
    candidates = [_TABLE[_cc_id(combo, "4.0")] for combo in _CC_COMBOS if "nd" not in combo]
    candidates += [lic for lic in conditioned if lic.share_alike and lic not in candidates]
    allowed = sorted((c for c in candidates if all(_permits(s, c) for s in conditioned)), key=_cc_rank)
    if allowed:
        return Compatibility(True, tuple(allowed), f"an adaptation of material under {_names(conditioned)} "
                                                   f"may be shared under {_names(allowed)}")
    share_alike = [lic for lic in conditioned if lic.share_alike]
    for a in share_alike:
        for b in share_alike:
            if a._terms.cc != b._terms.cc:
                return Compatibility(False, (), f"{a.short} and {b.short} each require adaptations to be "
                                                "shared under their own licence (ShareAlike), so they "
                                                "cannot be combined")
            if a._terms.version == "1.0" and a != b:
                return Compatibility(False, (), f"{a.short} allows adaptations only under the very same "
                                                f"licence, so it cannot be combined with {b.short}")
    noncommercial = [lic for lic in conditioned if not lic.allows_commercial]
    for a in share_alike:
        if a.allows_commercial and noncommercial:
            return Compatibility(False, (), f"{a.short} requires adaptations to be shared under the same "
                                            f"licence, which allows commercial use, but "
                                            f"{noncommercial[0].short} forbids commercial use (NC)")
    return Compatibility(False, (), f"no licence meets the conditions of {_names(conditioned)}")


_GPL3 = ("GPL-3.0-only", "GPL-3.0-or-later")


def _combine_other(conditioned: list[License]) -> Compatibility:
    if len(conditioned) == 1:
        lic = conditioned[0]
        return Compatibility(True, (lic,), f"all material that carries conditions is under {lic.short}")
    if all(not lic.share_alike and lic.allows_commercial for lic in conditioned):
        return Compatibility(True, tuple(conditioned),
                             f"{_names(conditioned)} are all permissive: keep every notice and "
                             "attribution; the adaptation may be shared under any of them")
    gpl = [lic for lic in conditioned if lic.id in _GPL3]
    rest = [lic for lic in conditioned if lic.id not in _GPL3]
    if gpl and all(lic.id in ("CC-BY-4.0", "CC-BY-SA-4.0") for lic in rest):
        target = _TABLE["GPL-3.0-only" if any(lic.id == "GPL-3.0-only" for lic in gpl) else "GPL-3.0-or-later"]
        return Compatibility(True, (target,), f"Creative Commons declared {_names(rest)} one-way compatible "
                                              f"with GPL-3.0: the adaptation may be shared under {target.short}")
    return Compatibility(False, (), f"combination of {_names(conditioned)} is not covered by the CC chart; "
                                    "check the licences")


# --------------------------------------------------------------------------- attribution

_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#!|~&")


def _markdown_text(text: str) -> str:
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def _link_target(url: str) -> str:
    # spaces, quotes, angle brackets and parentheses would end an HTML attribute or a
    # Markdown link destination early; percent-encoding keeps the address the same
    return quote(url, safe="/:?#[]@!$&*+,;=%")


def attribution(title: str, license: License | str, *, authors: Sequence[str] = (),
                source_url: str | None = None, fmt: str = "text") -> str:
    """A TASL attribution line (Title, Author, Source, Licence) in text, HTML or Markdown.

    HTML and Markdown escape every user-supplied string; ``source_url`` must be an
    http(s) URL and links the title.

    Example::

        >>> attribution("Photosynthesis", "CC-BY-4.0", authors=["Ada Lovelace"])
        '"Photosynthesis" by Ada Lovelace is licensed under CC BY 4.0. To view a copy of this license, visit https://creativecommons.org/licenses/by/4.0/'
    """
    if fmt not in ("text", "html", "markdown"):
        raise InvalidResource(f"attribution format {fmt!r} is not supported; use 'text', 'html' or 'markdown'")
    if not isinstance(title, str) or not title.strip():
        raise InvalidResource(f"attribution needs the title of the work, got {title!r}")
    if isinstance(authors, str):
        authors = [authors]
    lic = normalize(license)
    if source_url is not None and urlsplit(source_url.strip()).scheme.lower() not in ("http", "https"):
        # a javascript: or data: link in an attribution would run in the reader's browser
        raise InvalidResource(f"source URL {source_url!r} is not an http(s) URL; give the web address of the work")
    title = " ".join(title.split())
    names = [" ".join(a.split()) for a in authors if a and a.strip()]
    source = source_url.strip() if source_url else None
    if lic.id == "CC0-1.0":
        verb, shown, after, view = "is marked with", lic.short, ", dedicated to the public domain", "this dedication"
    elif lic.id == "CC-PDM-1.0":
        verb, shown, after, view = "is marked with", lic.title, ", free of known copyright restrictions", "this mark"
    else:
        verb, shown, after, view = "is licensed under", lic.short, "", "this license"
    if fmt == "text":
        work = f'"{title}"' + (f" ({source})" if source else "")
        by = f" by {', '.join(names)}" if names else ""
        return f"{work}{by} {verb} {shown}{after}. To view a copy of {view}, visit {lic.url}"
    if fmt == "html":
        esc = html.escape
        work = f'"{esc(title)}"'
        if source:
            work = f'<a href="{esc(_link_target(source))}">{work}</a>'
        by = f" by {esc(', '.join(names))}" if names else ""
        return f'{work}{by} {verb} <a href="{esc(lic.url)}" rel="license">{esc(shown)}</a>{after}.'
    work = f'"{_markdown_text(title)}"'
    if source:
        work = f"[{work}]({_link_target(source)})"
    by = f" by {_markdown_text(', '.join(names))}" if names else ""
    return f"{work}{by} {verb} [{shown}]({lic.url}){after}."


# --------------------------------------------------------------------------- policy


class LicensePolicy:
    """Which recognised licences a repository accepts: ``"any"`` or ``"open-only"``.

    Example::

        >>> LicensePolicy("open-only").check("CC BY-NC 4.0")
        Traceback (most recent call last):
        oerrepo.errors.LicenseRejected: licence CC BY-NC 4.0 (CC-BY-NC-4.0) is not accepted: ...
    """

    NAMES = ("any", "open-only")

    def __init__(self, name: str = "any"):
        if name not in self.NAMES:
            raise InvalidResource(f"licence policy {name!r} is not known; use 'any' or 'open-only'")
        self.name = name

    def __repr__(self) -> str:
        return f"LicensePolicy({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LicensePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def accepts(self, license: License) -> bool:
        """True when the policy accepts this recognised licence."""
        return self.name == "any" or license.is_open

    def accepted(self) -> list[License]:
        """The known licences this policy accepts, for help texts."""
        return [lic for lic in known() if self.accepts(lic)]

    def check(self, value: License | str | None) -> License:
        """Return the licence ``value`` names if the policy accepts it.

        Raises :class:`~oerrepo.errors.UnknownLicense` for a missing or unrecognised
        value and :class:`~oerrepo.errors.LicenseRejected` for a licence the policy refuses.
        """
        lic = normalize(value)  # type: ignore[arg-type]  # None raises UnknownLicense there
        if not self.accepts(lic):
            raise LicenseRejected(
                f"licence {lic.short} ({lic.id}) is not accepted: "
                f"the {self.name!r} policy accepts only open licences (no NonCommercial or NoDerivatives "
                "terms), such as CC0 1.0, PDM 1.0, CC BY 4.0, CC BY-SA 4.0, MIT or Apache-2.0"
            )
        return lic


_build_cc()
_build_other()
