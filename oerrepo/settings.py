"""The repository's settings: which there are, what each is for, and which values it takes.

A setting is checked when it is set, so a typo in a name or a value that the feed or the
exports cannot use is refused with a message, instead of breaking every later request.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import licenses
from .errors import InvalidSetting, OerRepoError

__all__ = ["EMAIL_RE", "NAMESPACE_RE", "SETTINGS", "Setting", "check_setting", "read_bool", "read_int"]

EMAIL_RE = re.compile(r"^[^\s@]+@([^\s@.]+\.)+[^\s@.]+$")
NAMESPACE_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")  # OAI repositoryIdentifier
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class Setting:
    """One setting: its name, what it is for, the check that turns a value into the stored one,
    and what applies while it is not set (as shown to people)."""

    key: str
    help: str
    check: Callable[[Any], Any]
    default: str = ""


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = " ".join(str(value).split())
        if not text:
            raise ValueError("it is empty")
        if len(text) > limit:
            raise ValueError(f"it is {len(text)} characters long; at most {limit} are accepted")
        return text

    return check


def _email(value: Any) -> str:
    text = str(value).strip()
    if not EMAIL_RE.match(text):
        raise ValueError("it is not an e-mail address such as oer@school.example.org")
    return text


def _base_url(value: Any) -> str:
    text = str(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("it is not the service's public http(s) address, such as https://oer.example.org")
    return text


def _namespace(value: Any) -> str:
    text = str(value).strip()
    if not NAMESPACE_RE.match(text):
        raise ValueError("it is not a domain name such as oer.example.org (letters first, at least one dot)")
    return text


def _policy(value: Any) -> str:
    return licenses.LicensePolicy(str(value).strip()).name


def _license_url(value: Any) -> str:
    return licenses.normalize(str(value)).url


def _secret(value: Any) -> str:
    text = str(value).strip()
    if len(text) < 16:
        raise ValueError("a secret needs at least 16 characters")
    return text


def read_bool(value: Any) -> bool:
    """A yes/no value as typed (true/false, yes/no, on/off, 1/0) or stored (a JSON boolean)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("it is neither true nor false")


def read_int(value: Any, low: int, high: int) -> int:
    """A whole number within [low, high], as typed or stored."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError("it is not a whole number") from None
    if not low <= number <= high:
        raise ValueError(f"it must be between {low} and {high}")
    return number


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("repository_name", "the repository's name (OAI-PMH Identify, DCAT, web pages)", _text(200),
                "oerrepo OER repository"),
        Setting("repository_description", "a sentence on the catalogue (DCAT)", _text(2000),
                "a sentence made from the name"),
        Setting("publisher_name", "who publishes the catalogue (DCAT; the name by default)", _text(200),
                "the repository's name"),
        Setting("admin_email", "the administrator's e-mail (Identify, the harvester's User-Agent)", _email,
                "none: Identify names admin@<namespace>, partners see no contact"),
        Setting("base_url", "the service's public address; the feed is <base_url>/oai", _base_url,
                "the address 'oerrepo serve' listens on"),
        Setting("license_policy", "which licences records may have: any | open-only", _policy, "any"),
        Setting("metadata_license", "the licence of the catalogue's metadata (DCAT; CC0 1.0 by default)",
                _license_url, "https://creativecommons.org/publicdomain/zero/1.0/"),
        Setting("oai_identifier", "the namespace of OAI identifiers, oai:<namespace>:<id>", _namespace,
                "kept at the first use: the host of base_url, or a unique hub-….oerrepo.local"),
        Setting("oai_page_size", "records per OAI-PMH list page (1-1000, default 100)",
                lambda v: read_int(v, 1, 1000), "100"),
        Setting("oai_token_lifetime", "seconds a resumption token stays valid (60-2592000, default 86400)",
                lambda v: read_int(v, 60, 30 * 24 * 3600), "86400"),
        Setting("oai_sets", "whether the feed offers sets: true | false", read_bool, "true"),
        Setting("oai_friends", "whether Identify lists the partner feeds harvested here: true | false", read_bool,
                "true"),
        Setting("oai_read_ahead", "whether the feed renders a list's next page ahead: true | false", read_bool,
                "true"),
        Setting("oai_secret", "signs resumption tokens (made once; a new one ends every running harvest)", _secret,
                "made at the first OAI-PMH request"),
    )
}


def check_setting(key: str, value: Any) -> Any:
    """The value to store for ``key``; raises InvalidSetting naming what is wrong and what is accepted."""
    setting = SETTINGS.get(key)
    if setting is None:
        near = difflib.get_close_matches(key, SETTINGS, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise InvalidSetting(f"there is no setting {key!r}; {hint}the settings are {', '.join(SETTINGS)}")
    if value is None:
        raise InvalidSetting(f"{key} needs a value ({key}: {setting.help})")
    try:
        return setting.check(value)
    except (ValueError, OerRepoError) as exc:
        raise InvalidSetting(f"{key} cannot be {str(value)[:100]!r}: {exc} ({key}: {setting.help})") from None
