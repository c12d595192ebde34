"""Resumption tokens that expire in the middle of a list, again and again."""

from __future__ import annotations

import pytest
from oai_server import Partner, simple_records

from oerrepo import Repository
from oerrepo.errors import HarvestError

FAST = dict(backoff=0.01, retries=1, timeout=5.0)


@pytest.fixture
def repo(tmp_path):
    with Repository(tmp_path / "d") as r:
        yield r


def _expire_when_asked_for(partner: Partner, offsets: list[int]):
    """Expire every token the first time each of these list offsets is asked for (in this order)."""
    pending = list(offsets)

    def on_request(args: dict) -> None:
        token = args.get("resumptionToken")
        if token and pending and int(token.split("|")[1]) == pending[0]:
            pending.pop(0)
            partner.expire_tokens()

    partner.on_request = on_request


def test_tokens_expiring_twice_restart_while_each_attempt_gets_further(repo):
    with Partner(simple_records(60), page_size=10) as partner:
        _expire_when_asked_for(partner, [30, 50])  # the first attempt dies at page 4, the second at page 6
        report = repo.harvest(partner.url, source="p", **FAST)
    src = report.sources[0]
    assert src.complete and repo.count() == 60
    assert sum("token was refused" in n for n in src.notes) == 2


def test_tokens_that_never_let_us_further_end_with_one_clear_error(repo):
    with Partner(simple_records(60), page_size=10) as partner:
        _expire_when_asked_for(partner, [30] * 20)  # every attempt dies at the same page
        with pytest.raises(HarvestError) as caught:
            repo.harvest(partner.url, source="p", **FAST)
        asked = len(partner.requests)
    assert caught.value.code == "badResumptionToken"
    assert "no further" in str(caught.value) and "kept" in str(caught.value)
    assert repo.count() == 30
    assert asked < 20  # it gave up after the second attempt, not after twenty
