"""The web service's dumps and search API over real HTTP (waitress on loopback)."""

from __future__ import annotations

import pytest
import rdflib
import requests
from oai_schemas import running

from oerrepo import Repository


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    repo = Repository(tmp_path_factory.mktemp("web") / "data")
    repo.load_samples()
    with running(repo.wsgi_app()) as base:
        yield repo, base.rsplit("/oai", 1)[0] if base.endswith("/oai") else base.rstrip("/")
    repo.close()


def test_the_dumps_the_catalogue_advertises_are_served(site):
    repo, base = site
    catalog = rdflib.Graph().parse(data=requests.get(f"{base}/catalog.ttl", timeout=30).text, format="turtle")
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    urls = {str(o) for o in catalog.objects(None, dcat.downloadURL)} | {str(o) for o in catalog.objects(None, dcat.accessURL)}
    dumps = sorted(u for u in urls if "/export." in u)
    assert dumps, urls
    for url in dumps:
        path = url[url.index("/export."):]
        reply = requests.get(base + path, timeout=60)
        assert reply.status_code == 200, (path, reply.text[:200])
        if path.endswith(".ttl"):
            graph = rdflib.Graph().parse(data=reply.text, format="turtle")
            schema = rdflib.Namespace("http://schema.org/")
            resources = set(graph.subjects(rdflib.RDF.type, schema.LearningResource))
            assert len(resources) == repo.count()


def test_a_dump_of_one_set_and_a_bad_set(site):
    repo, base = site
    spec = next(s["spec"] for s in repo.sets() if s["count"])
    reply = requests.get(f"{base}/export.nt", params={"set": spec}, timeout=60)
    graph = rdflib.Graph().parse(data=reply.text, format="nt")
    schema = rdflib.Namespace("http://schema.org/")
    assert len(set(graph.subjects(rdflib.RDF.type, schema.LearningResource))) == len(list(repo.iter(set_spec=spec)))
    bad = requests.get(f"{base}/export.nt", params={"set": "no-such-set"}, timeout=30)
    assert bad.status_code == 400 and "no-such-set" in bad.text
    assert requests.get(f"{base}/export.docx", timeout=30).status_code == 404


def test_search_api(site):
    repo, base = site
    reply = requests.get(f"{base}/search", params={"q": "energia", "page_size": 5}, timeout=30)
    assert reply.status_code == 200
    result = reply.json()
    assert set(result) >= {"total", "hits", "facets", "suggestion"}
    assert result["total"] == repo.search("energia").total and result["total"] > 0
    filtered = requests.get(f"{base}/search", params={"q": "", "sdg": "13"}, timeout=30).json()
    assert filtered["total"] == len([r for r in repo.iter() if "http://metadata.un.org/sdg/13" in r.data.get("sdg", [])])
    bad = requests.get(f"{base}/search", params={"q": "x", "sdg": "99"}, timeout=30)
    assert bad.status_code == 400 and "error" in bad.json()
    assert requests.get(f"{base}/search", params={"page": "two"}, timeout=30).status_code == 400
