"""Which recognised licences a repository accepts."""

from __future__ import annotations

from ..errors import InvalidResource, LicenseRejected
from .reading import normalize
from .table import License, known


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
