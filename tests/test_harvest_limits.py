"""What a partner's page may make us hold in memory is bounded, and what is refused is said."""

from __future__ import annotations

import pytest
from oai_server import Partner, Rec, dc, simple_records

from oerrepo import Repository
from oerrepo.errors import HarvestError
from oerrepo.harvesters.repair import MAX_BODY, MAX_TEXT

FAST = dict(backoff=0.01, retries=0, timeout=60.0)


@pytest.fixture
def repo(tmp_path):
    with Repository(tmp_path / "d") as r:
        yield r


def test_a_text_beyond_the_limit_is_cut_before_parsing_and_the_rest_of_the_page_kept(repo):
    huge = Rec("oai:partner.test:huge", "2024-01-01T00:00:00Z",
               dc("A giant", rights=["CC-BY-4.0"], description="w" * (MAX_TEXT + 1000)))
    with Partner(simple_records(3) + [huge] + simple_records(3, start=10), page_size=20) as partner:
        report = repo.harvest(partner.url, **FAST).sources[0]
    assert report.complete and repo.count() == 7
    assert len(repo.get("huge").data["description"]["en"]) <= 200_000
    said = [what for _, what in report.repairs]
    assert any("cut a text of 10.0 MB in <dc:description>" in what for what in said), said


def test_elements_nested_beyond_the_limit_refuse_the_page(repo):
    nested = dc("Deep", rights=["CC-BY-4.0"]).replace("</dc:title>", "</dc:title>" + "<x>" * 300 + "</x>" * 300)
    with Partner(simple_records(2) + [Rec("oai:partner.test:deep", "2024-01-01T00:00:00Z", nested)]) as partner:
        with pytest.raises(HarvestError) as caught:
            repo.harvest(partner.url, **FAST)
    assert caught.value.code == "tooLarge" and "deeper than 256" in str(caught.value)


def test_a_page_beyond_the_size_limit_is_refused_unread(repo):
    def padded(data: bytes):
        return data + b" " * (MAX_BODY + 1), "text/xml", {}

    with Partner(simple_records(2)) as partner:
        partner.fault("mangle", how=padded)
        with pytest.raises(HarvestError) as caught:
            repo.harvest(partner.url, **FAST)
    assert caught.value.code == "tooLarge" and f"more than {MAX_BODY // 2**20} MB" in str(caught.value)
