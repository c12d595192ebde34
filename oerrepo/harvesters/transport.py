"""HTTP for harvesting: one ``requests.Session`` per partner, polite and patient.

The transport waits ``delay`` seconds between requests, honours ``Retry-After`` (in
seconds or as an HTTP date) on 503 and 429, retries connection resets, timeouts and
other 5xx answers with exponential back-off, and hands OAI error bodies sent with a
4xx status (Zenodo answers errors with HTTP 422) to the parser so their code is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from ..errors import HarvestError

__all__ = ["RetryPolicy", "Response", "Transport", "user_agent"]


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
    """The descriptive User-Agent partners see: who we are and how to reach us."""
    contact = "; ".join(
        part for part in (f"+{base_url}" if base_url else "", f"mailto:{admin_email}" if admin_email else "") if part
    )
    return f"oerrepo/{version}" + (f" ({contact})" if contact else "")


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

    def close(self) -> None:
        self.session.close()

    def get(self, params: Mapping[str, str]) -> Response:
        """One OAI-PMH request, retried per the policy; raises HarvestError when it cannot succeed."""
        attempt = 0
        while True:
            self._be_polite()
            try:
                reply = self.session.get(self.base_url, params=dict(params), timeout=self.retry.timeout)
                body = reply.content
            except requests.exceptions.InvalidURL as exc:
                raise HarvestError(f"{self.base_url!r} is not a usable URL: {exc}") from exc
            except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
                raise HarvestError(f"{self.base_url!r} is not an http(s) URL; give the partner's OAI-PMH base URL") from exc
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                attempt = self._retry_or_fail(attempt, None, f"{type(exc).__name__}: {_short(exc)}")
                continue
            except requests.exceptions.RequestException as exc:
                raise HarvestError(f"requesting {self.base_url} failed: {_short(exc)}") from exc
            finally:
                self._last_request = time.monotonic()
                self.requests += 1
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
                attempt = self._retry_or_fail(attempt, wait, f"HTTP {status}")
                continue
            if status >= 500:
                attempt = self._retry_or_fail(attempt, None, f"HTTP {status}")
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

    def _retry_or_fail(self, attempt: int, wait: float | None, why: str) -> int:
        if attempt >= self.retry.retries:
            raise HarvestError(
                f"{self.base_url} failed {attempt + 1} time(s) in a row (last: {why}); "
                "the pages harvested so far are kept, run the harvest again later",
                code="unavailable",
            )
        if wait is None:
            wait = self.retry.backoff * (2**attempt)
        self._on_wait(f"{why}: waiting {wait:.1f} s before retry {attempt + 1}")
        self._sleep(wait)
        return attempt + 1


def _looks_like_xml(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") or head.startswith(b"<OAI-PMH") or head.startswith(b"<error") or (
        head.startswith(b"<?xml-stylesheet")
    ) or head[:2] == b"\x1f\x8b"


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."
