"""One licence from the several rights statements a record carries, never a wider one.

Repositories often state a record's licence more than once: DSpace writes a generic text
("Creative Commons Attribution") beside the exact licence URL
(``http://creativecommons.org/licenses/by-nc/3.0/``), DataCite gives an SPDX id, a URI
and a title, MODS repeats ``accessCondition``. :func:`read_rights` reads them together:

* a specific form (a versioned URL or id) wins over a generic text;
* statements that disagree in conditions (NonCommercial, NoDerivatives, ShareAlike,
  attribution) make a licence *problem*, and the most restrictive reading is kept;
* "All rights reserved" beside a licence contradicts it: a problem, and no licence kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .reading import split_embedded, try_normalize
from .table import _CC_COMBOS, _TABLE, NO_VERSION, License, _cc_id

__all__ = ["RightsReading", "read_rights"]

# Notes that mark a reading made without the licence's version or tool: a generic text.
_GENERIC_NOTES = (NO_VERSION, "'public domain' names no tool", "no 'only' or 'or later' given")
_RESERVED = re.compile(
    r"all rights reserved|alle rechte vorbehalten|tous droits r[ée]serv[ée]s|todos los derechos reservados|"
    r"tutti i diritti riservati|todos os direitos reservados|alle rechten voorbehouden",
    re.I,
)


@dataclass(frozen=True)
class RightsReading:
    """What a record's rights statements say together.

    ``license`` is the licence to keep (None when none is recognised or the statements
    forbid keeping one); ``problem`` says why the record needs a person's look (statements
    that disagree); ``notes`` say how values were read; ``unrecognised`` lists the
    statements that name no licence we know.
    """

    license: License | None
    problem: str | None = None
    notes: tuple[str, ...] = ()
    unrecognised: tuple[str, ...] = ()


def is_generic(lic: License) -> bool:
    """True when ``lic`` was read from a value without a version (or tool): "CC BY", "GFDL"."""
    return any(note.startswith(_GENERIC_NOTES) for note in lic.notes)


def _conditions(lic: License) -> tuple[bool, bool, bool, bool]:
    """(NoDerivatives, NonCommercial, ShareAlike, attribution): what a reuser must respect."""
    return (not lic.allows_adaptations, not lic.allows_commercial, lic.share_alike, lic.requires_attribution)


def _condition_names(lic: License) -> str:
    nd, nc, sa, by = _conditions(lic)
    names = [name for flag, name in ((by, "BY"), (nc, "NC"), (nd, "ND"), (sa, "SA")) if flag]
    return "-".join(names) or "no conditions"


def read_rights(values: Iterable[str | None]) -> RightsReading:
    """Read every rights statement of one record and return the one licence to keep.

    Access statements (``info:eu-repo/semantics/openAccess``) are skipped.

    Example::

        >>> r = read_rights(["Creative Commons Attribution", "http://creativecommons.org/licenses/by-nc/3.0/"])
        >>> r.license.id, r.problem is not None
        ('CC-BY-NC-3.0', True)
    """
    readings: list[tuple[str, License]] = []
    unrecognised: list[str] = []
    reserved: list[str] = []
    for value in values:
        text = (value or "").strip()
        if not text or text.lower().startswith("info:eu-repo/semantics/"):
            continue  # access rights, not a licence
        lic = try_normalize(text)
        if lic is None:
            parts = _parts(text)
            if len(parts) > 1:  # "CC BY-NC <https://.../by/4.0/>": its words and its URL, each a statement
                readings.extend(parts)
                continue
            if text not in unrecognised:
                unrecognised.append(text)
            if _RESERVED.search(text):
                reserved.append(text)
            continue
        readings.append((text, lic))
    if not readings:
        return RightsReading(None, unrecognised=tuple(unrecognised))
    distinct: dict[str, tuple[str, License]] = {}
    for text, lic in readings:
        seen = distinct.get(lic.id)
        if seen is None or (is_generic(seen[1]) and not is_generic(lic)):
            distinct[lic.id] = (text, lic)  # the specific form of the same licence carries no note
    shown = "; ".join(f"{text!r} ({lic.short})" for text, lic in distinct.values())
    if reserved:
        return RightsReading(
            None,
            problem=f"the statement {reserved[0]!r} contradicts the licence given beside it ({shown}); "
                    "no licence kept",
            unrecognised=tuple(unrecognised),
        )
    ordered = sorted(distinct.values(), key=lambda item: is_generic(item[1]))  # specific first, stable
    text, chosen = ordered[0]
    notes: list[str] = []
    conditions = {_conditions(lic) for _, lic in ordered}
    if len(conditions) == 1:
        if len(ordered) > 1:
            others = ", ".join(lic.short for _, lic in ordered[1:])
            reason = "the specific form" if is_generic(ordered[-1][1]) and not is_generic(chosen) else "the first"
            notes.append(f"rights statements name {chosen.short} and {others}: kept {reason}, {chosen.short}")
        notes.extend(chosen.notes)
        return RightsReading(chosen, notes=tuple(notes), unrecognised=tuple(unrecognised))
    chosen = _most_restrictive([lic for _, lic in ordered])
    problem = (f"rights statements disagree in their conditions: {shown}; kept the most restrictive "
               f"reading, {chosen.short} ({_condition_names(chosen)})")
    notes.extend(chosen.notes)
    return RightsReading(chosen, problem=problem, notes=tuple(notes), unrecognised=tuple(unrecognised))


def _parts(text: str) -> list[tuple[str, License]]:
    """The licences named by the URLs in a value and by the words around them."""
    urls, rest = split_embedded(text)
    if not urls:
        return []
    found = [(part, try_normalize(part)) for part in (*urls, rest) if part]
    return [(part, lic) for part, lic in found if lic is not None]


def _most_restrictive(found: list[License]) -> License:
    """The licence that keeps every condition any of ``found`` sets (specific readings first)."""
    nd = any(not lic.allows_adaptations for lic in found)
    nc = any(not lic.allows_commercial for lic in found)
    sa = any(lic.share_alike for lic in found) and not nd  # no adaptations: ShareAlike has nothing to bind
    by = any(lic.requires_attribution for lic in found)
    wanted = (nd, nc, sa, by)
    for lic in found:
        if _conditions(lic) == wanted and not is_generic(lic):
            return lic
    cc = [lic for lic in found if lic._terms.cc is not None]
    if len(cc) == len(found) and by:
        combo = tuple(e for e, flag in (("by", True), ("nc", nc), ("nd", nd), ("sa", sa)) if flag)
        versions = [lic._terms.version for lic in found if lic._terms.cc and not is_generic(lic)]
        version = versions[0] if versions else "4.0"
        for candidate in (version, "4.0"):
            if combo in _CC_COMBOS and _cc_id(combo, candidate) in _TABLE:
                lic = _TABLE[_cc_id(combo, candidate)]
                note = f"{NO_VERSION}: read as version 4.0" if not versions else None
                return License(lic.id, lic.url, lic.title, lic.short, lic.status, (note,) if note else ())
    for lic in found:
        if _conditions(lic) == wanted:
            return lic
    # Licences of different families: keep the one that forbids most (ND, then NC, then SA).
    return max(found, key=_conditions)
