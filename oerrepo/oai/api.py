"""The OAI-PMH feed of a store as XML bytes: the feed part of :class:`oerrepo.Repository`.

It knows nothing of HTTP: the web layer (``oerrepo.wsgi``) turns requests into arguments
and these bytes into responses.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import identity
from ..errors import OAIError
from ..settings import read_bool, read_int
from .protocol import DEFAULT_BASE_URL, PAGE_SIZE, Feed, FeedSettings
from .readahead import ReadAhead
from .tokens import TOKEN_LIFETIME, TokenCodec

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Resource
    from ..store import Store

SETTINGS_TTL = 1.0  # seconds a web process may serve settings another process changed

__all__ = ["FeedService"]

Arguments = Mapping[str, "str | Sequence[str]"] | Iterable[tuple[str, str]]


def _stored(read: Callable[..., Any], settings: Mapping[str, Any], key: str, default: Any, *bounds: int) -> Any:
    """A stored setting read as the feed needs it; the default where it is missing or (set by an
    older version that did not check it) unusable, so one bad value never stops the feed."""
    value = settings.get(key)
    if value is None or value == "":
        return default
    try:
        return read(value, *bounds)
    except ValueError:
        return default


def _pairs(arguments: Arguments) -> list[tuple[str, str]]:
    if isinstance(arguments, Mapping):
        out: list[tuple[str, str]] = []
        for key, value in arguments.items():
            if isinstance(value, (list, tuple)):
                out.extend((key, str(v)) for v in value)
            else:
                out.append((key, str(value)))
        return out
    return [(str(k), str(v)) for k, v in arguments]


class FeedService:
    """The OAI-PMH feed of one store: responses, identifiers, single records and sets as XML.

    Settings used (read from the store): ``repository_name``, ``admin_email``, ``base_url``
    (the service's public address; the OAI-PMH endpoint is ``<base_url>/oai``) and
    ``oai_identifier`` (the namespace of OAI identifiers, ``oai:<namespace>:<id>``; by default
    the host of ``base_url``, or ``oerrepo.local`` when that is an IP address or ``localhost``).
    Tuning: ``oai_page_size`` (records per list response, default 100),
    ``oai_token_lifetime`` (seconds a resumption token stays valid, default one day),
    ``oai_sets`` (false turns sets off), ``oai_read_ahead`` (false stops rendering the next
    page of a list while the harvester reads the current one).
    """

    def __init__(self, store: Store):
        self.store = store
        self.cache: dict = {}  # lists read ahead and set counts, shared by this process's requests
        self._settings_copy: tuple[float, dict] | None = None

    def secret(self) -> str:
        """The key resumption tokens are signed with (made once, kept in the store)."""
        # Kept in the store so tokens outlive a restart and every web worker on the same
        # store honours the others' tokens (set once, atomically).
        return self.store.get_setting("oai_secret") or self.store.setdefault_setting(
            "oai_secret", secrets.token_urlsafe(32)
        )

    def _settings(self) -> dict:
        # Read per request, the settings would cost a database round trip on every page;
        # this process's own changes drop the copy at once, other processes' within a second.
        now = time.monotonic()
        cached = self._settings_copy
        if cached is None or now - cached[0] > SETTINGS_TTL:
            cached = self._settings_copy = (now, self.store.settings())
        return cached[1]

    def settings_changed(self) -> None:
        """Forget the copy of the settings (this process changed one)."""
        self._settings_copy = None

    def close(self) -> None:
        """Stop the threads rendering pages ahead."""
        cache, self.cache = self.cache, {}
        for value in cache.values():
            if isinstance(value, tuple) and isinstance(value[-1], ReadAhead):
                value[-1].close()  # stops the read-ahead thread

    def _feed(self, base_url: str | None = None) -> Feed:
        settings = self._settings()
        secret = settings.get("oai_secret") or self.secret()
        feed_settings = FeedSettings(
            repository_name=settings.get("repository_name") or "oerrepo OER repository",
            admin_email=settings.get("admin_email"),
            base_url=settings.get("base_url") or base_url or DEFAULT_BASE_URL,
            namespace=settings.get("oai_identifier") or identity.namespace(self.store),
            sets_enabled=_stored(read_bool, settings, "oai_sets", True),
            friends_enabled=_stored(read_bool, settings, "oai_friends", True),
        )
        lifetime = _stored(read_int, settings, "oai_token_lifetime", TOKEN_LIFETIME, 60, 30 * 24 * 3600)
        page_size = _stored(read_int, settings, "oai_page_size", PAGE_SIZE, 1, 1000)
        read_ahead = _stored(read_bool, settings, "oai_read_ahead", True)
        return Feed(self.store, feed_settings, TokenCodec(secret, lifetime), page_size=page_size, cache=self.cache,
                    read_ahead=read_ahead)

    def response(
        self, arguments: Arguments, *, base_url: str | None = None, bad_request: str | OAIError | None = None
    ) -> bytes:
        """The OAI-PMH response (XML bytes) to a request given as its arguments
        (``Repository.oai_response`` says how arguments and ``bad_request`` are read)."""
        return self._feed(base_url).respond(_pairs(arguments), bad_request=bad_request)

    def oai_identifier(self, resource_id: str) -> str:
        """The OAI identifier of a resource: ``oai:<namespace>:<id>``."""
        return self._feed().oai_identifier(resource_id)

    def metadata(self, resource: Resource, metadata_prefix: str = "oai_dc") -> bytes:
        """One resource in a feed format (``oai_dc`` or ``lom``) as a standalone XML document."""
        return self._feed().metadata(resource, metadata_prefix)

    def namespace(self) -> str:
        """This repository's OAI identifier namespace (made and kept the first time it is asked for)."""
        return self.store.get_setting("oai_identifier") or identity.namespace(self.store)

    def change_namespace(self, new: str, *, confirm: bool = False) -> str:
        """Change the OAI identifier namespace; returns the old one.

        On a catalogue with records this renames every record for every harvester, so it is
        refused (InvalidSetting explaining what follows) unless ``confirm`` is True.
        """
        old = identity.change_namespace(self.store, new, confirm=confirm)
        self.settings_changed()
        return old

    def sets(self) -> list[dict[str, Any]]:
        """Every set the feed offers: collections and derived sets (``sdg:13``, ``license:cc-by-4.0``, ...)."""
        return [{"spec": s, "name": n, "description": d} for s, n, d in self._feed().sets()]
