"""May material under these licences be remixed, and under which licences may the result be shared?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UnknownLicense
from .reading import normalize
from .table import _CC_COMBOS, _TABLE, License, _cc_id


@dataclass(frozen=True)
class Compatibility:
    """The answer of :func:`combine`: may an adaptation be shared, and under which licences."""

    allowed: bool
    adaptation_licenses: tuple[License, ...]
    reason: str


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
