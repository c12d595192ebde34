"""Duplicate keys: the cached URL normalisation gives exactly url-normalize's answer."""

from __future__ import annotations

import pytest
from url_normalize import url_normalize

from oerrepo.harvesters.dedup import _url_normalize, match_keys, normalized_url

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


def test_the_same_page_gets_the_same_url_key():
    a = match_keys({"url": "https://www.Partner.example/blueprints/1/#top"})
    b = match_keys({"url": "http://partner.example/blueprints/1"})
    assert a == b == ["url:partner.example/blueprints/1"]
    assert normalized_url("https://partner.example/blueprints/2") != normalized_url("https://partner.example/blueprints/1")
