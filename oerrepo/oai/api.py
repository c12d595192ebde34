"""The OAI-PMH feed and web service, as methods of :class:`oerrepo.Repository`."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import OAIError
from ..settings import read_bool, read_int
from . import identity
from .protocol import DEFAULT_BASE_URL, PAGE_SIZE, Feed, FeedSettings
from .readahead import ReadAhead
from .tokens import TOKEN_LIFETIME, TokenCodec

SETTINGS_TTL = 1.0  # seconds a web process may serve settings another process changed

__all__ = ["FeedMixin"]

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


class FeedMixin:
    """The OAI-PMH feed and web service methods of the Repository facade.

    Settings used: ``repository_name``, ``admin_email``, ``base_url`` (the service's public
    address; the OAI-PMH endpoint is ``<base_url>/oai``) and ``oai_identifier`` (the
    namespace of OAI identifiers, ``oai:<namespace>:<id>``; by default the host of
    ``base_url``, or ``oerrepo.local`` when that is an IP address or ``localhost``).
    Tuning: ``oai_page_size`` (records per list response, default 100),
    ``oai_token_lifetime`` (seconds a resumption token stays valid, default one day),
    ``oai_sets`` (false turns sets off), ``oai_read_ahead`` (false stops rendering the next
    page of a list while the harvester reads the current one).
    """


    def _feed_secret(self) -> str:
        # Signs resumption tokens; kept in the store so tokens outlive a restart and every
        # web worker on the same store honours the others' tokens (set once, atomically).
        return self.setting("oai_secret") or self.store.setdefault_setting("oai_secret", secrets.token_urlsafe(32))

    def _feed_settings(self) -> dict:
        # Read per request, the settings would cost a database round trip on every page;
        # this process's own changes drop the copy at once, other processes' within a second.
        now = time.monotonic()
        cached = self.__dict__.get("_feed_settings_copy")
        if cached is None or now - cached[0] > SETTINGS_TTL:
            cached = self.__dict__["_feed_settings_copy"] = (now, self.settings())
        return cached[1]

    def _feature_settings_changed(self) -> None:
        self.__dict__.pop("_feed_settings_copy", None)

    def _feature_close(self) -> None:
        for value in self.__dict__.pop("_feed_cache", {}).values():
            if isinstance(value, tuple) and isinstance(value[-1], ReadAhead):
                value[-1].close()  # stops the read-ahead thread

    def _feed(self, base_url: str | None = None) -> Feed:
        settings = self._feed_settings()
        secret = settings.get("oai_secret") or self._feed_secret()
        feed_settings = FeedSettings(
            repository_name=settings.get("repository_name") or "oerrepo OER repository",
            admin_email=settings.get("admin_email"),
            base_url=settings.get("base_url") or base_url or DEFAULT_BASE_URL,
            namespace=settings.get("oai_identifier") or identity.namespace(self.store),
            sets_enabled=_stored(read_bool, settings, "oai_sets", True),
            friends_enabled=_stored(read_bool, settings, "oai_friends", True),
        )
        lifetime = _stored(read_int, settings, "oai_token_lifetime", TOKEN_LIFETIME, 60, 30 * 24 * 3600)
        cache = self.__dict__.setdefault("_feed_cache", {})
        page_size = _stored(read_int, settings, "oai_page_size", PAGE_SIZE, 1, 1000)
        read_ahead = _stored(read_bool, settings, "oai_read_ahead", True)
        return Feed(self.store, feed_settings, TokenCodec(secret, lifetime), page_size=page_size, cache=cache,
                    read_ahead=read_ahead)

    def oai_response(
        self, arguments: Arguments, *, base_url: str | None = None, bad_request: str | OAIError | None = None
    ) -> bytes:
        """The OAI-PMH response (XML bytes) to a request given as its arguments.

        Protocol errors are answered inside the XML, never raised. Arguments may be a
        mapping (a list value means a repeated argument) or (name, value) pairs.
        ``bad_request`` names a fault found before the arguments could be read (an
        undecodable query, a wrong POST body); it is answered as badArgument, or as the
        given OAIError (an oversized token is a badResumptionToken).

        >>> xml = repo.oai_response({"verb": "GetRecord", "identifier": repo.oai_identifier("bee-hotels"),
        ...                          "metadataPrefix": "oai_dc"})   # doctest: +SKIP
        """
        return self._feed(base_url).respond(_pairs(arguments), bad_request=bad_request)

    def oai_identifier(self, resource_id: str) -> str:
        """The OAI identifier of a resource: ``oai:<namespace>:<id>``."""
        return self._feed().oai_identifier(resource_id)

    def oai_metadata(self, resource_id: str, metadata_prefix: str = "oai_dc") -> bytes:
        """One stored resource in a feed format (``oai_dc`` or ``lom``) as a standalone XML document."""
        return self._feed().metadata(self.get(resource_id), metadata_prefix)

    def oai_record_schema(self) -> bytes:
        """The XML Schema of the full-record metadata format (prefix ``oerrepo``)."""
        from ..full_record import schema_bytes

        return schema_bytes()

    def oai_namespace(self) -> str:
        """This repository's OAI identifier namespace (made and kept the first time it is asked for)."""
        return self.setting("oai_identifier") or identity.namespace(self.store)

    def change_oai_identifier(self, new: str, *, confirm: bool = False) -> str:
        """Change the OAI identifier namespace; returns the old one.

        On a catalogue with records this renames every record for every harvester, so it is
        refused (InvalidSetting explaining what follows) unless ``confirm`` is True.
        """
        old = identity.change_namespace(self.store, new, confirm=confirm)
        self._feature_settings_changed()
        return old

    def oai_sets(self) -> list[dict[str, Any]]:
        """Every set the feed offers: collections and derived sets (``sdg:13``, ``license:cc-by-4.0``, ...)."""
        return [{"spec": s, "name": n, "description": d} for s, n, d in self._feed().sets()]

    def wsgi_app(self, *, base_url: str | None = None) -> Callable:
        """The web service as a WSGI application: ``/oai`` (OAI-PMH), ``/``, ``/health``, linked data.

        The ``base_url`` setting, else ``base_url``, else ``http://127.0.0.1:<the port served>``
        is what Identify names as the public address (never the Host a client sends).
        """
        from ..wsgi import WebApp

        self.store  # open (and upgrade) the store before serving threads share it
        self._feed_secret()
        self.__dict__["_serving"] = True  # searches in requests never rebuild the index themselves
        return WebApp(self, base_url=base_url)

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        threads: int = 8,
        announce: Callable[[str], None] | None = print,
    ) -> None:
        """Run the web service with waitress until interrupted (Ctrl-C stops it cleanly).

        ``announce`` receives the lines naming the addresses served (``print`` by default).
        """
        import waitress

        from ..errors import OerRepoError

        app = self.wsgi_app()
        try:
            # The app's own limits (request body size) are given to the server, which then
            # refuses what is too large before buffering it.
            server = waitress.create_server(app, host=host, port=port, threads=threads, ident="oerrepo",
                                            **getattr(app, "server_options", {}))
        except OSError as exc:
            raise OerRepoError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --port or --host"
            ) from exc
        bound_port = server.effective_port if hasattr(server, "effective_port") else port
        shown_host = f"[{host}]" if ":" in host else host
        root = f"http://{shown_host}:{bound_port}"
        # Without a configured base_url the feed names the address it actually listens on.
        app.base_url = None if host in ("0.0.0.0", "::") else root
        if announce:
            announce(f"Serving {self.path if self._db_url is None else self._db_url} at {root}/")
            announce(f"  OAI-PMH:      {root}/oai?verb=Identify")
            if hasattr(self, "negotiate_catalog"):
                announce(f"  linked data:  {root}/catalog")
            announce(f"  health:       {root}/health")
            announce("Press Ctrl-C to stop.")
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            server.task_dispatcher.shutdown(timeout=5)
