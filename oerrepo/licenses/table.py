"""The licences oerrepo knows: SPDX ids, canonical URLs, titles and the terms of each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .text import _software_key

#: How every note on a licence read without its version begins.
NO_VERSION = "no version given"


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

    def restrictions(self) -> list[str]:
        """What keeps a restricted licence from being open, in words: "non-commercial", "no adaptations"."""
        found = [] if self.allows_commercial else ["non-commercial"]
        return found + ([] if self.allows_adaptations else ["no adaptations"])



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
        if family == "GFDL":
            # Documents name the GFDL without a version: read as the latest, as a CC licence
            # without one is read as 4.0, and said so. A bare "GPL" stays unrecognised: for
            # software, v2 and v3 do not combine, so guessing would mislead.
            latest = f"{family}-{versions[-1]}-only"
            for name in (family, title):
                _SOFTWARE_KEYS.setdefault(_software_key(name), (latest, f"{NO_VERSION}: read as {latest}"))


def _gnu_note(family: str, version: str) -> str:
    return f"no 'only' or 'or later' given: read as {family}-{version}-only"


def known() -> list[License]:
    """Every licence the table knows: CC tools first (4.0 before older versions), then others."""
    return list(_TABLE.values())


def versions_of(lic: License) -> list[License]:
    """Every version and port of ``lic``'s licence that the table knows, each once.

    >>> [v.id for v in versions_of(_TABLE["CC-BY-NC-4.0"])][:3]
    ['CC-BY-NC-4.0', 'CC-BY-NC-3.0', 'CC-BY-NC-2.5']
    """
    family = re.sub(r"-\d+(\.\d+)*(-.*)?$", "", lic.id)
    same = re.compile(rf"{re.escape(family)}-\d+(\.\d+)*(-[A-Za-z]+)?")
    found = {other.url: other for other in _TABLE.values() if same.fullmatch(other.id)}
    return list(found.values()) or [lic]


_build_cc()
_build_other()
