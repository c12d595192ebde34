"""Who this repository is on the network: its OAI identifier namespace and public base URL.

Both come from the repository's settings, never from a request: a harvester reaching a
hub under two names must see one catalogue, and ``Host: evil.example`` must not
become anybody's identifier. The namespace (``oai:<namespace>:<id>``) is kept in the
``oai_identifier`` setting from the first time it is needed: the host of ``base_url``
when that is a domain name, otherwise a made-up unique one (``hub-<random>.oerrepo.local``),
so that two hubs served on ``localhost`` or an IP address never share identifiers. Once
kept, it no longer follows ``base_url``; changing it on a published catalogue is the
deliberate step :func:`change_namespace`.
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import urlsplit

from .errors import InvalidSetting
from .settings import NAMESPACE_RE

__all__ = ["DEFAULT_BASE_URL", "MINTED_SUFFIX", "derived_namespace", "mint_namespace", "namespace",
           "is_minted", "change_namespace", "CHANGE_CONSEQUENCES"]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # where 'oerrepo serve' listens by default
MINTED_SUFFIX = ".oerrepo.local"

CHANGE_CONSEQUENCES = (
    "every record's OAI identifier changes from oai:{old}:<id> to oai:{new}:<id>. Harvesters "
    "that already hold this catalogue keep the old identifiers until they harvest it completely "
    "again ('oerrepo harvest <source> --full' drops what is no longer listed); until then they may "
    "show each resource twice, and provenance published by other hubs keeps naming the old identifiers"
)


def derived_namespace(base_url: str | None) -> str | None:
    """The host of ``base_url`` when it is a domain name (None for an IP address, ``localhost``, nothing)."""
    host = urlsplit(base_url).hostname if base_url else None
    return host if host and NAMESPACE_RE.match(host) else None


def mint_namespace() -> str:
    """A new namespace no other installation has, for a hub whose address gives no domain name."""
    alphabet = string.ascii_lowercase + string.digits
    return "hub-" + "".join(secrets.choice(alphabet) for _ in range(10)) + MINTED_SUFFIX


def is_minted(value: str | None) -> bool:
    """True for a namespace :func:`mint_namespace` made (not one taken from a domain name)."""
    return bool(value) and value.startswith("hub-") and value.endswith(MINTED_SUFFIX)


def namespace(store) -> str:
    """The repository's namespace, kept in the store the first time it is asked for (atomically)."""
    stored = store.get_setting("oai_identifier")
    if stored and NAMESPACE_RE.match(stored):
        return stored
    return store.setdefault_setting("oai_identifier", derived_namespace(store.get_setting("base_url"))
                                    or mint_namespace())


def check_change(store, new: str) -> None:
    """Refuse to change a kept namespace on a catalogue that has records, unless done deliberately."""
    old = store.get_setting("oai_identifier")
    if not old or old == new or store.count(include_deleted=True) == 0:
        return
    raise InvalidSetting(
        f"oai_identifier is already {old!r} and this catalogue has records: changing it to {new!r} means "
        + CHANGE_CONSEQUENCES.format(old=old, new=new)
        + f". If that is what you want, run 'oerrepo identity --oai-identifier {new} --yes' "
        "(Repository.change_oai_identifier(new, confirm=True))"
    )


def change_namespace(store, new: str, *, confirm: bool) -> str:
    """Store a new namespace (``confirm`` must be True when records exist); returns the old one."""
    from .settings import check_setting

    new = check_setting("oai_identifier", new)
    if not confirm:
        check_change(store, new)
    old = store.get_setting("oai_identifier") or ""
    store.set_setting("oai_identifier", new)
    return old
