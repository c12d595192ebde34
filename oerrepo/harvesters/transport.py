"""HTTP for harvesting: one ``requests.Session`` per partner, polite and patient.

The transport waits ``delay`` seconds between requests, honours ``Retry-After`` (in
seconds or as an HTTP date) on 503 and 429, retries connection resets, timeouts and
other 5xx answers with exponential back-off, and hands OAI error bodies sent with a
4xx status (Zenodo answers errors with HTTP 422) to the parser so their code is read.

What it tries and retries is logged as it happens on the ``oerrepo.harvest`` logger (the
command line shows it on stderr), so a partner that does not answer is never silent. A
partner that refuses the connection or whose name does not resolve on first contact is
most likely a wrong URL: it is asked again only briefly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

from ..errors import HarvestError

__all__ = ["RetryPolicy", "Response", "Transport", "user_agent"]

log = logging.getLogger("oerrepo.harvest")

# On first contact a refused connection or an unknown host name is asked again at most
# this often, after at most this many seconds: it is rarely a partner that is briefly down.
_FIRST_CONTACT_RETRIES = 2
_FIRST_CONTACT_BACKOFF = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """How a partner is asked again when a page fails.

    ``retries`` further attempts per page; ``backoff`` seconds before the first retry,
    doubled each time; a ``Retry-After`` longer than ``max_wait`` seconds ends the
    harvest (come back later) instead of blocking; ``timeout`` seconds per request.
    """

    retries: int = 5
    backoff: float = 2.0
    max_wait: float = 600.0
    timeout: float = 60.0

    @classmethod
    def from_settings(cls, settings: Mapping) -> RetryPolicy:
        known = {k: settings[k] for k in ("retries", "backoff", "max_wait", "timeout") if settings.get(k) is not None}
        return cls(**{k: (int(v) if k == "retries" else float(v)) for k, v in known.items()})

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Response:
    """What a partner answered: status, body bytes and the headers that matter."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    retries: int = 0


def user_agent(version: str, base_url: str | None, admin_email: str | None) -> str:
    """The descriptive User-Agent partners see: who we are and, when ``admin_email`` is set, how to reach us.

    Without an address there is no contact to give (a base URL alone reaches nobody), so
    the agent is then just ``oerrepo/VERSION``.
    """
    if not admin_email:
        return f"oerrepo/{version}"
    contact = "; ".join(part for part in (f"+{base_url}" if base_url else "", f"mailto:{admin_email}") if part)
    return f"oerrepo/{version} ({contact})"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_dt = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - now_dt).total_seconds())


class Transport:
    """GET requests to one OAI-PMH base URL through a ``requests.Session``."""

    def __init__(
        self,
        base_url: str,
        *,
        agent: str,
        delay: float = 0.0,
        retry: RetryPolicy = RetryPolicy(),
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[str], None] | None = None,
    ):
        self.base_url = base_url
        self.delay = max(0.0, float(delay))
        self.retry = retry
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = agent
        self.session.headers["Accept"] = "text/xml, application/xml;q=0.9, */*;q=0.1"
        self._sleep = sleep
        self._on_wait = on_wait or (lambda message: None)
        self._last_request = 0.0
        self.requests = 0
        self.answered = 0  # requests the partner answered (any HTTP status): 0 means never reached

    def close(self) -> None:
        self.session.close()

    def get(self, params: Mapping[str, str]) -> Response:
        """One OAI-PMH request, retried per the policy; raises HarvestError when it cannot succeed."""
        attempt = 0
        what = params.get("verb") or "request"
        if not self.answered and not attempt:
            log.info("contacting %s (%s)", self.base_url, what)
        while True:
            self._be_polite()
            try:
                reply = self.session.get(self.base_url, params=dict(params), timeout=self.retry.timeout,
                                         stream=True)
                body = _bounded_body(reply)
            except requests.exceptions.InvalidURL as exc:
                raise HarvestError(f"{self.base_url!r} is not a usable URL: {exc}") from exc
            except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
                raise HarvestError(f"{self.base_url!r} is not an http(s) URL; give the partner's OAI-PMH base URL") from exc
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                why, unreachable = self._describe(exc)
                attempt = self._retry_or_fail(attempt, None, why, what, first_contact=unreachable and not self.answered)
                continue
            except requests.exceptions.RequestException as exc:
                raise HarvestError(f"requesting {self.base_url} failed: {_short(exc)}") from exc
            finally:
                self._last_request = time.monotonic()
                self.requests += 1
            self.answered += 1
            status = reply.status_code
            content_type = reply.headers.get("Content-Type")
            if status in (429, 503):
                wait = retry_after(reply.headers.get("Retry-After"))
                if wait is not None and wait > self.retry.max_wait:
                    raise HarvestError(
                        f"{self.base_url} asks us to come back in {wait:.0f} s (HTTP {status} Retry-After), "
                        f"longer than the {self.retry.max_wait:.0f} s we wait; harvest again later",
                        code=f"http{status}",
                    )
                attempt = self._retry_or_fail(attempt, wait, f"HTTP {status}", what)
                continue
            if status >= 500:
                attempt = self._retry_or_fail(attempt, None, f"HTTP {status}", what)
                continue
            if status >= 400 and not _looks_like_xml(body):
                raise HarvestError(
                    f"{reply.url} answered HTTP {status} {reply.reason or ''}".rstrip()
                    + "; check the base URL and the arguments",
                    code=f"http{status}",
                )
            return Response(reply.url, status, body, content_type, attempt)

    def _be_polite(self) -> None:
        if self.delay and self._last_request:
            remaining = self.delay - (time.monotonic() - self._last_request)
            if remaining > 0:
                self._sleep(remaining)

    def _retry_or_fail(self, attempt: int, wait: float | None, why: str, what: str = "request", *,
                       first_contact: bool = False) -> int:
        retries = min(self.retry.retries, _FIRST_CONTACT_RETRIES) if first_contact else self.retry.retries
        if attempt >= retries:
            if first_contact:
                raise HarvestError(
                    f"{self.base_url} could not be reached: {why} ({attempt + 1} attempt(s)); "
                    "check the URL (the partner's OAI-PMH base URL) and that its server is up",
                    code="unreachable",
                )
            raise HarvestError(
                f"{self.base_url} failed {attempt + 1} time(s) in a row (last: {why}); "
                "the pages harvested so far are kept, run the harvest again later",
                code="unavailable",
            )
        if wait is None:
            wait = self.retry.backoff * (2**attempt)
            if first_contact:
                wait = min(wait, _FIRST_CONTACT_BACKOFF)
        message = f"{why}: waiting {wait:.1f} s before retry {attempt + 1} of {retries}"
        log.warning("%s (%s): %s", self.base_url, what, message)
        self._on_wait(message)
        self._sleep(wait)
        return attempt + 1

    def _describe(self, exc: BaseException) -> tuple[str, bool]:
        """A connection failure in words, and whether the partner could not be reached at all."""
        parts = urlsplit(self.base_url)
        where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        text = repr(exc) + " " + repr(getattr(exc, "__context__", "")) + " " + str(exc)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"no connection to {where} within {self.retry.timeout:g} s", False
        if isinstance(exc, requests.exceptions.Timeout):
            return f"no answer from {where} within {self.retry.timeout:g} s", False
        if isinstance(exc, requests.exceptions.ConnectionError):
            if "Connection refused" in text or "ConnectionRefusedError" in text:
                return f"the connection to {where} was refused (no server listens there)", True
            if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo" in text:
                return f"the host name {parts.hostname!r} could not be resolved", True
            if "Connection reset" in text or "RemoteDisconnected" in text or "ConnectionResetError" in text:
                return f"{where} closed the connection without an answer", False
        return f"{type(exc).__name__}: {_short(exc)}", False


def _bounded_body(reply: requests.Response) -> bytes:
    """The answer's body, read no further than MAX_BODY (a page larger than that is refused unread)."""
    from .repair import MAX_BODY

    chunks, size = [], 0
    try:
        for chunk in reply.iter_content(1 << 16):
            size += len(chunk)
            if size > MAX_BODY:
                raise HarvestError(
                    f"{reply.url} answered with more than {MAX_BODY // 2**20} MB for one page; refused unread "
                    "(what a partner may make us hold is bounded). Ask the partner for smaller pages",
                    code="tooLarge",
                )
            chunks.append(chunk)
    finally:
        reply.close()
    return b"".join(chunks)


def _looks_like_xml(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") or head.startswith(b"<OAI-PMH") or head.startswith(b"<error") or (
        head.startswith(b"<?xml-stylesheet")
    ) or head[:2] == b"\x1f\x8b"


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."
