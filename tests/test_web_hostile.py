"""The web service under hostile or careless requests, over real HTTP on loopback."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from oai_schemas import error_code, running, validate

from oerrepo import Repository

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    repo = Repository(tmp_path_factory.mktemp("hostile") / "data")
    repo.load_samples()
    with running(repo.wsgi_app()) as root:
        yield repo, root
    repo.close()


def _raw(root: str, method: str, target: str, body: bytes | None = None, headers: dict | None = None):
    """A request sent as written (requests and urllib would re-encode the path)."""
    url = urlsplit(root)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        conn.close()


@pytest.mark.parametrize("target", [
    "/search?q=%ff",
    "/search?q=" + "water+" * 20_000,
    "/export.ttl?set=%ff",
    "/resources/%ff",
    "/resources/%ff.ttl",
])
def test_undecodable_or_oversized_input_is_a_bad_request_with_a_message(site, target):
    status, headers, body = _raw(site[1], "GET", target)
    assert status == 400, (target, status, body[:300])
    text = body.decode("utf-8")
    assert "UTF-8" in text or "characters long" in text
    if target.startswith("/search"):
        assert headers["Content-Type"].startswith("application/json")


def test_every_response_carries_the_security_headers(site):
    repo, root = site
    rid = next(iter(repo)).id
    for method, target in [("GET", "/"), ("GET", "/health"), ("GET", "/oai?verb=Identify"), ("GET", "/search?q=energia"),
                           ("GET", f"/resources/{rid}"), ("GET", "/catalog"), ("GET", "/export.nt"),
                           ("HEAD", "/export.ttl"), ("GET", "/nothing"), ("GET", "/search?q=%ff"),
                           ("DELETE", "/health"), ("GET", "/export.docx")]:
        _, headers, _ = _raw(root, method, target)
        assert headers.get("X-Content-Type-Options") == "nosniff", target
        assert "frame-ancestors" in headers.get("Content-Security-Policy", ""), target


def test_head_on_a_dump_answers_like_get_without_a_body(site):
    _, root = site
    for ext in ("ttl", "nt", "jsonld", "rdf"):
        got = requests.get(f"{root}/export.{ext}", timeout=60)
        head = requests.head(f"{root}/export.{ext}", timeout=60)
        assert (head.status_code, got.status_code) == (200, 200), ext
        assert head.content == b"" and head.headers["Content-Type"] == got.headers["Content-Type"]
        assert int(head.headers["Content-Length"]) == len(got.content)
    assert requests.head(f"{root}/export.ttl", params={"set": "no-such-set"}, timeout=30).status_code == 400


class _CountingExports(Repository):
    """Counts the dumps written (the web app may call only Repository methods)."""

    exports = 0

    def export(self, *args, **kwargs):
        type(self).exports += 1
        return super().export(*args, **kwargs)


def test_a_dump_is_written_once_until_the_catalogue_changes(tmp_path):
    repo = _CountingExports(tmp_path / "data")
    repo.load_samples()
    with running(repo.wsgi_app()) as root:
        first = requests.get(f"{root}/export.nt", timeout=60).content
        for _ in range(3):
            assert requests.get(f"{root}/export.nt", timeout=60).content == first
        assert requests.head(f"{root}/export.nt", timeout=60).status_code == 200
        assert repo.exports == 1
        victim = next(iter(repo)).id
        repo.delete(victim)
        after = requests.get(f"{root}/export.nt", timeout=60).content
        assert repo.exports == 2
        assert f"/resources/{victim}>".encode() in first and f"/resources/{victim}>".encode() not in after
        requests.get(f"{root}/export.ttl", timeout=60)
        assert repo.exports == 3  # another format is another dump
    repo.close()


def test_a_huge_resumption_token_is_a_bad_resumption_token(site):
    _, root = site
    token = "x" * 100_000
    posted = requests.post(f"{root}/oai", data={"verb": "ListRecords", "resumptionToken": token}, timeout=30)
    assert error_code(validate(posted.content)) == "badResumptionToken"
    got = requests.get(f"{root}/oai", params={"verb": "ListRecords", "resumptionToken": token[:20_000]}, timeout=30)
    assert error_code(validate(got.content)) == "badResumptionToken"
    shorter = requests.post(f"{root}/oai", data={"verb": "ListRecords", "resumptionToken": token[:30_000]}, timeout=30)
    assert error_code(validate(shorter.content)) == "badResumptionToken"


def test_a_search_in_a_request_never_rebuilds_the_index_itself(tmp_path):
    repo = Repository(tmp_path / "data")
    repo.load_samples()
    with running(repo.wsgi_app()) as root:
        assert requests.get(f"{root}/search", params={"q": "energia"}, timeout=30).status_code == 200
        shutil.rmtree(tmp_path / "data" / "index")  # gone: it must be rebuilt from the store
        reply = requests.get(f"{root}/search", params={"q": "energia"}, timeout=30)
        assert reply.status_code == 503 and "rebuilt" in reply.json()["error"]
        assert reply.headers.get("Retry-After")
        for _ in range(600):  # the rebuild runs beside the requests and ends
            reply = requests.get(f"{root}/search", params={"q": "energia"}, timeout=30)
            if reply.status_code == 200:
                break
            time.sleep(0.1)
        assert reply.status_code == 200 and reply.json()["total"] > 0
    repo.close()


@pytest.fixture
def served(tmp_path):
    """``oerrepo serve --port 0`` as people run it; yields its root URL."""
    data = tmp_path / "data"
    Repository(data).load_samples()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "oerrepo", "--data", str(data), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_server_refuses_a_large_body_before_reading_it(served):
    url = urlsplit(served)
    with socket.create_connection((url.hostname, url.port), timeout=20) as sock:
        # Announce 50 MB, send none of it: the answer must come from the headers alone.
        sock.sendall(b"POST /oai HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 52428800\r\n\r\nverb=Identify&x=")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    small = requests.post(f"{served}/oai", data={"verb": "Identify"}, timeout=30)
    assert small.status_code == 200 and b"<Identify>" in small.content


def test_searches_for_made_up_words_keep_nothing_per_word(tmp_path):
    """A server's memory grew with every made-up word searched for (kept in the stemmers' caches of
    16 languages); what a search leaves behind must not grow with the words clients invent."""
    import gc
    import random
    import string

    rnd = random.Random(7)

    def made_up() -> str:
        return "".join(rnd.choice(string.ascii_lowercase) for _ in range(10))

    with Repository(tmp_path / "data") as repo:
        repo.load_samples()
        for _ in range(30):
            repo.search(f"{made_up()} {made_up()} water")
        gc.collect()
        before = sum(1 for o in gc.get_objects() if type(o) is list)
        for _ in range(200):
            repo.search(f"{made_up()} {made_up()} klimawandel water")
        gc.collect()
        grown = sum(1 for o in gc.get_objects() if type(o) is list) - before
    assert grown < 1000, f"{grown} lists more after 200 searches of made-up words"
