"""Several web and harvest workers on one database.

Web workers are separate Repository objects (separate engines and connection pools) on
the same store, each behind its own WSGI server; a harvester alternates between them while
the catalogue changes, and must get every record exactly once. Run on both backends.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import requests
from lxml import etree

from oerrepo import Repository

OAI = "{http://www.openarchives.org/OAI/2.0/}"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def web_workers(data_dir, backend):
    first = Repository(data_dir)
    first.load_samples()
    first.import_records(
        [{"id": f"w-{i:03d}", "name": {"en": f"Worker test {i}"}, "license": "CC-BY-4.0", "inLanguage": ["en"]}
         for i in range(150)]
    )
    servers, repos = [], [first]
    for _ in range(2):
        repo = Repository(data_dir)
        repos.append(repo)
        server = make_server("127.0.0.1", 0, repo.wsgi_app(), handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield first, [f"http://127.0.0.1:{s.server_port}/oai" for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()
    for repo in repos:
        repo.close()


def test_tokens_from_one_web_worker_are_honoured_by_another(web_workers):
    writer, endpoints = web_workers
    expected = {writer.oai_identifier(r.id) for r in writer.iter()}
    seen: list[str] = []
    params = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
    page = 0
    while True:
        reply = requests.get(endpoints[page % 2], params=params, timeout=30)
        reply.raise_for_status()
        root = etree.fromstring(reply.content)
        errors = root.findall(f"{OAI}error")
        assert not errors, [e.get("code") for e in errors]
        for header in root.iter(f"{OAI}header"):
            if header.get("status") != "deleted":
                seen.append(header.findtext(f"{OAI}identifier"))
        if page == 0:
            # The catalogue changes during the harvest: the list keeps its start state.
            writer.add({"id": "w-late", "name": "Added during the harvest", "license": "CC0-1.0"})
            writer.update("w-000", {"keywords": ["changed"]}, merge=True)
        token = root.findtext(f".//{OAI}resumptionToken")
        page += 1
        if not token:
            break
        params = {"verb": "ListIdentifiers", "resumptionToken": token}
    assert page >= 3  # several pages, served by both workers in turn
    assert len(seen) == len(set(seen))  # no record twice
    assert expected <= set(seen)  # none of the records present at the start missed
    assert len(expected) > 150
