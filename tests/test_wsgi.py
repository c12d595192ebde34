"""The web service over real HTTP (waitress on loopback): routes, methods, compression, error pages."""

from __future__ import annotations

import gzip
import http.client
from urllib.parse import urlsplit

import pytest
import requests
from oai_schemas import OAI, error_code, running, validate

from oerrepo import Repository


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    repo = Repository(tmp_path_factory.mktemp("wsgi") / "data")
    repo.load_samples()
    repo.set_setting("repository_name", "Open Schooling Blueprints")
    with running(repo.wsgi_app()) as root:
        yield repo, root
    repo.close()


def test_home_page_names_the_repository_and_links_the_feed(site):
    repo, root = site
    reply = requests.get(root + "/", timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
    assert "Open Schooling Blueprints" in reply.text
    assert f"{len(repo)} open educational resources" in reply.text
    assert f"{root}/oai?verb=Identify" in reply.text


def test_health(site):
    repo, root = site
    reply = requests.get(root + "/health", timeout=10)
    assert reply.json() == {"status": "ok", "resources": len(repo), "lastChange": repo.store.last_seq()}


def test_identify_base_url_follows_the_address_served_when_not_configured(site):
    _, root = site
    doc = validate(requests.get(root + "/oai?verb=Identify", timeout=10).content)
    assert doc.findtext(f".//{OAI}baseURL") == root + "/oai"


def test_post_form_is_answered_like_get(site):
    _, root = site
    reply = requests.post(root + "/oai", data={"verb": "ListMetadataFormats"}, timeout=10)
    doc = validate(reply.content)
    assert [e.text for e in doc.iter(f"{OAI}metadataPrefix")] == ["oai_dc", "lom", "oerrepo"]
    assert doc.find(f"{OAI}request").get("verb") == "ListMetadataFormats"


def test_post_with_another_body_type_is_a_bad_argument(site):
    _, root = site
    reply = requests.post(root + "/oai", data=b'{"verb": "Identify"}',
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert reply.status_code == 200
    assert error_code(validate(reply.content)) == "badArgument"


def test_oversized_post_body_is_a_bad_argument(site):
    _, root = site
    reply = requests.post(root + "/oai", data={"verb": "Identify", "x": "y" * 100_000}, timeout=10)
    assert error_code(validate(reply.content)) == "badArgument"


def test_gzip_when_the_client_accepts_it(site):
    _, root = site
    url = urlsplit(root)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", "/oai?verb=ListRecords&metadataPrefix=oai_dc", headers={"Accept-Encoding": "gzip"})
    reply = conn.getresponse()
    body = reply.read()
    assert reply.getheader("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in reply.getheader("Vary")
    validate(gzip.decompress(body))
    conn.request("GET", "/oai?verb=ListRecords&metadataPrefix=oai_dc", headers={"Accept-Encoding": "identity"})
    reply = conn.getresponse()
    plain = reply.read()
    assert reply.getheader("Content-Encoding") is None
    validate(plain)
    conn.request("GET", "/oai?verb=Identify", headers={"Accept-Encoding": "gzip;q=0"})
    reply = conn.getresponse()
    reply.read()
    assert reply.getheader("Content-Encoding") is None
    conn.close()


def test_head_has_headers_but_no_body(site):
    _, root = site
    reply = requests.head(root + "/oai?verb=Identify", timeout=10)
    assert reply.status_code == 200 and reply.content == b""
    assert reply.headers["Content-Type"].startswith("text/xml")


def test_unknown_paths_and_methods_get_error_pages(site):
    _, root = site
    reply = requests.get(root + "/nothing/here", timeout=10)
    assert reply.status_code == 404 and "Not found" in reply.text
    reply = requests.delete(root + "/oai", timeout=10)
    assert reply.status_code == 405 and "POST" in reply.headers["Allow"]
    reply = requests.post(root + "/health", timeout=10)
    assert reply.status_code == 405


def test_non_utf8_query_is_a_bad_argument(site):
    _, root = site
    url = urlsplit(root)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("GET", "/oai?verb=GetRecord&identifier=%C3%28&metadataPrefix=oai_dc")
    reply = conn.getresponse()
    assert reply.status == 200 and error_code(validate(reply.read())) == "badArgument"
    conn.close()


def test_linked_data_routes(site):
    repo, root = site
    reply = requests.get(root + "/resources/water-quality-kit-river", timeout=10)
    catalog = requests.get(root + "/catalog", timeout=10)
    if hasattr(repo, "negotiate_resource"):
        assert reply.status_code != 404 and "Accept" in reply.headers["Vary"]
        assert "Accept" in catalog.headers["Vary"]
        missing = requests.get(root + "/resources/no-such-resource", timeout=10)
        assert missing.status_code == 404
    else:  # served only once the repository offers linked data
        assert reply.status_code == 404 and catalog.status_code == 404
