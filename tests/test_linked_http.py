"""Content negotiation of /resources/<id> and /catalog over a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from urllib.parse import unquote
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import rdflib
import requests

from oerrepo import Repository
from oerrepo.linked.context import offline
from oerrepo.linked.negotiate import choose


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _app(repo):
    """The two routes as the web service serves them (extension split off the last segment)."""

    def app(environ, start_response):
        path = unquote(environ.get("PATH_INFO", ""))
        accept = environ.get("HTTP_ACCEPT")
        if path.startswith("/resources/"):
            status, ctype, body = repo.negotiate_resource(path[len("/resources/"):], accept, None)
        elif path.split(".")[0] == "/catalog":
            ext = path.partition(".")[2] or None
            status, ctype, body = repo.negotiate_catalog(accept, ext)
        else:
            status, ctype, body = 404, "text/plain", b"not found"
        reason = {200: "OK", 404: "Not Found", 406: "Not Acceptable", 410: "Gone"}[status]
        start_response(f"{status} {reason}", [("Content-Type", ctype), ("Vary", "Accept")])
        return [body]

    return app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    repo = Repository(tmp_path_factory.mktemp("http") / "data")
    repo.load_samples()
    repo.delete("water-quality-kit-river")
    httpd = make_server("127.0.0.1", 0, _app(repo), handler_class=_Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", repo
    httpd.shutdown()
    httpd.server_close()
    repo.close()


@pytest.mark.parametrize("accept, ctype, fmt", [
    ("application/ld+json", "application/ld+json", "jsonld"),
    ("text/turtle", "text/turtle", "turtle"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("text/turtle;q=0.5, application/n-triples;q=0.9", "application/n-triples", "nt"),
    ("application/*;q=0.2, text/turtle;q=0.1", "application/ld+json", "jsonld"),
])
def test_resource_by_accept(server, accept, ctype, fmt):
    url, repo = server
    reply = requests.get(f"{url}/resources/solar-oven-challenge" if "solar-oven-challenge" in repo else
                         f"{url}/resources/{_some_id(repo)}", headers={"Accept": accept}, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].split(";")[0] == ctype
    g = rdflib.Graph()
    data = json.dumps(offline(reply.json())) if fmt == "jsonld" else reply.content
    g.parse(data=data, format="json-ld" if fmt == "jsonld" else fmt)
    assert len(g) > 20


def _some_id(repo):
    return next(r.id for r in repo.iter() if "/" not in r.id)


def test_browser_gets_the_landing_page(server):
    url, repo = server
    rid = _some_id(repo)
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reply = requests.get(f"{url}/resources/{rid}", headers={"Accept": accept}, timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
    res = repo.get(rid)
    import html

    assert html.escape(res.name) in reply.text
    assert "licensed under" in reply.text or "is marked with" in reply.text
    assert '<script type="application/ld+json">' in reply.text


@pytest.mark.parametrize("ext, ctype", [(".jsonld", "application/ld+json"), (".ttl", "text/turtle"),
                                        (".rdf", "application/rdf+xml"), (".nt", "application/n-triples"),
                                        (".html", "text/html")])
def test_resource_by_extension(server, ext, ctype):
    url, repo = server
    reply = requests.get(f"{url}/resources/{_some_id(repo)}{ext}", headers={"Accept": "text/turtle"}, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].split(";")[0] == ctype


def test_unknown_deleted_and_unacceptable(server):
    url, repo = server
    assert requests.get(f"{url}/resources/no-such-thing", timeout=10).status_code == 404
    assert requests.get(f"{url}/resources/water-quality-kit-river", timeout=10).status_code == 410
    reply = requests.get(f"{url}/resources/{_some_id(repo)}", headers={"Accept": "image/png"}, timeout=10)
    assert reply.status_code == 406 and "text/turtle" in reply.text


def test_catalog_negotiation(server):
    url, _ = server
    reply = requests.get(f"{url}/catalog", headers={"Accept": "text/turtle"}, timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=reply.text, format="turtle")
    assert (None, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Catalog")) in g
    assert requests.get(f"{url}/catalog.jsonld", timeout=10).headers["Content-Type"] == "application/ld+json"


def test_accept_parsing_rules():
    assert choose(None) == "jsonld"
    assert choose("*/*") == "jsonld"
    assert choose("text/*") == "turtle"
    assert choose("text/turtle;q=0, */*;q=0.1") == "jsonld"
    assert choose("application/json") == "jsonld"
    assert choose("text/turtle;q=oops, application/rdf+xml;q=0.4") == "rdfxml"
    assert choose("image/png, audio/*") is None
