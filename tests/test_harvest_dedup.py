"""Duplicate keys: the cached URL normalisation gives exactly url-normalize's answer."""

from __future__ import annotations

import pytest
from url_normalize import url_normalize

from oerrepo.harvesters.dedup import _PLAIN_URL, _url_normalize, match_keys, normalized_url

URLS = [
    "https://partner.example/blueprints/1",
    "HTTP://Partner.Example:80/a/./b/../c/",
    "https://www.example.org/path?b=2&a=1#frag",
    "https://example.org:443/%7euser/%e2%82%ac",
    "http://de.wikipedia.org/wiki/Elf (Begriffsklärung)",
    "https://münchen.example/straße?q=ä",
    "https://user:pass@Example.COM/x",
    "//example.org/no-scheme",
    "example.org/bare",
    "https://example.org",
    "https://example.org/a//b",
    "https://example.org/?",
    "https://[::1]:8080/x",
    "ftp://files.example.org/pub/a.pdf",
    "https://zenodo.org/records/123456",
    "https://hdl.handle.net/10.1000/xyz",
    "   https://example.org/trailing-space   ",
    "",
]


@pytest.mark.parametrize("url", URLS)
def test_cached_normalisation_equals_url_normalize(url):
    assert _url_normalize(url.strip()) == url_normalize(url.strip())
    assert _url_normalize(url.strip()) == url_normalize(url.strip())  # again, from the host cache


PLAIN = [
    "https://partner.example/blueprints/1",
    "http://partner.example",
    "https://partner.example/",
    "https://zenodo.org/records/123456/files/Kit_v2.1-final.pdf",
    "https://a-b.c-d.example/~user/x_y/",
    "https://example.org/A/B/C",
    "https://123.example/0",
    "https://xn--mnchen-3ya.example/x",
    "https://ab--cd.example/x",
]
NOT_PLAIN = [
    "https://Partner.example/x", "https://example.org:443/x", "https://example.org/./x", "https://example.org/a/../b",
    "https://example.org/a//b", "https://example.org/.well-known/x", "https://example.org/x?q=1", "https://example.org/x#f",
    "https://example.org/%7euser", "https://-bad.example/x", "https://example/x",
    "https://example.org/" + "a" * 5000 + " ",
]


@pytest.mark.parametrize("url", PLAIN)
def test_urls_taken_as_already_normal_are_what_url_normalize_returns(url):
    assert _PLAIN_URL.match(url)
    assert url_normalize(url).rstrip("/") == url.rstrip("/")


def test_urls_that_need_normalising_are_not_taken_as_already_normal():
    assert not any(_PLAIN_URL.match(url) for url in NOT_PLAIN), [u for u in NOT_PLAIN if _PLAIN_URL.match(u)]


def test_the_same_page_gets_the_same_url_key():
    a = match_keys({"url": "https://www.Partner.example/blueprints/1/#top"})
    b = match_keys({"url": "http://partner.example/blueprints/1"})
    assert a == b == ["url:partner.example/blueprints/1"]
    assert normalized_url("https://partner.example/blueprints/2") != normalized_url("https://partner.example/blueprints/1")
