"""Signed, self-contained resumption tokens.

A token carries everything the next page needs (the list's arguments, the sequence
number the list is served as of, the last id served, the cursor and the list size),
signed with the repository's secret so it cannot be altered, and timestamped so it
expires. The server keeps no state per harvest: tokens survive restarts and work
behind several server processes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from ..errors import BadResumptionToken

__all__ = ["ListState", "TokenCodec", "TOKEN_LIFETIME"]

TOKEN_LIFETIME = 24 * 3600  # seconds: long enough for a slow harvest of a large list
_MAX_TOKEN = 4096


@dataclass(frozen=True)
class ListState:
    """Where a list harvest stands: its arguments, snapshot, position and size."""

    verb: str
    metadata_prefix: str | None
    since: str | None
    until: str | None
    set_spec: str | None
    as_of: int
    after_id: str | None
    cursor: int
    size: int


class TokenCodec:
    """Encodes :class:`ListState` as a signed token and decodes it back (BadResumptionToken on any fault)."""

    def __init__(self, secret: str, lifetime: int = TOKEN_LIFETIME):
        self.lifetime = lifetime
        self._serializer = URLSafeTimedSerializer(secret, salt="oerrepo-oai-resumption")

    def encode(self, state: ListState) -> tuple[str, str]:
        """The token and its expirationDate (UTC, seconds)."""
        token = self._serializer.dumps(list(asdict(state).values()))
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=self.lifetime)
        return token, expires.strftime("%Y-%m-%dT%H:%M:%SZ")

    def decode(self, token: str, verb: str) -> ListState:
        if len(token) > _MAX_TOKEN:
            raise BadResumptionToken(f"the resumptionToken is {len(token)} characters long; tokens of this feed are shorter")
        try:
            values = self._serializer.loads(token, max_age=self.lifetime)
        except SignatureExpired as exc:
            raise BadResumptionToken(
                "the resumptionToken has expired; start the list again without a token"
            ) from exc
        except (BadData, ValueError, TypeError) as exc:
            raise BadResumptionToken(
                f"the resumptionToken {token[:60]!r} was not issued by this repository or was altered; "
                "start the list again without a token"
            ) from exc
        try:
            state = ListState(*values)
        except TypeError as exc:
            raise BadResumptionToken("the resumptionToken does not hold a list position") from exc
        if state.verb != verb:
            raise BadResumptionToken(
                f"the resumptionToken belongs to {state.verb}, not {verb}; use it with verb={state.verb}"
            )
        return state
