"""Harvesting recorded responses of real partners (../shared/fixtures/oai), replayed on loopback."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import shared_path

from oerrepo import HarvestError, Repository


class Replay:
    """Serve recorded files by verb: {verb or 'resume': (file, status, headers)}."""

    def __init__(self, routes: dict[str, tuple[Path, int, dict]]):
        self.routes = routes
        self.requests: list[dict] = []

    def __enter__(self) -> str:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                args = dict(parse_qsl(urlsplit(self.path).query))
                replay.requests.append(args)
                key = "resume" if "resumptionToken" in args else args.get("verb", "")
                if key not in replay.routes:
                    return self.send_error(404, f"nothing recorded for {key}")
                path, status, headers = replay.routes[key]
                body = path.read_bytes()
                self.send_response(status)
                self.send_header("Content-Type", headers.get("Content-Type", "text/xml; charset=utf-8"))
                for k, v in headers.items():
                    if k != "Content-Type":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/oai"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def oai(*parts: str) -> Path:
    return shared_path("fixtures", "oai", *parts)


@pytest.fixture
def repo(tmp_path):
    with Repository(tmp_path / "data") as r:
        yield r


def test_mycore_mods_oer_repository(repo):
    # DuEPublico: day granularity, mods preferred over oai_dc, licences in accessCondition;
    # the stored gzip file is served as is, a compressed body the client did not ask for.
    routes = {
        "Identify": (oai("duepublico-oer", "Identify.xml"), 200, {}),
        "ListMetadataFormats": (oai("duepublico-oer", "ListMetadataFormats.xml"), 200, {}),
        "ListRecords": (oai("duepublico-oer", "ListRecords_mods_all.xml.gz"), 200, {}),
    }
    with Replay(routes) as url:
        report = repo.harvest(url, source="duepublico")
    src = report.sources[0]
    assert src.metadata_prefix == "mods" and src.complete
    assert src.new == 60 and src.rejected.total == 0
    res = repo.get("duepublico_mods_00075323")
    assert res.name.startswith("Salah Naouras Mücke und Agathe")
    assert res.license == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert res.data["inLanguage"] == ["de"]
    assert {"type": "Person", "name": "Mirja Wegholz"} in res.data["creator"]
    assert res.provenance[0].set_specs == ("ddc:370", "doc-type:CourseMaterial")
    assert repo.sources()[0]["lastFrom"] == "2022-01-26"  # day granularity


def test_zenodo_datacite_page_then_empty_list(repo):
    routes = {
        "Identify": (oai("e-periodica", "Identify.xml"), 200, {}),
        "ListRecords": (oai("zenodo", "ListRecords_datacite_page1.xml"), 200, {}),
        # a real empty <ListRecords/> (Mikromarc) ends the list after the token
        "resume": (oai("mikromarc", "ListRecords_empty_NONCONFORMANT.xml"), 200, {}),
    }
    with Replay(routes) as url:
        report = repo.harvest(url, metadata_prefix="oai_datacite")
    src = report.sources[0]
    assert src.new == 50 and src.pages == 2 and src.complete
    res = repo.get("zenodo-8435696")
    assert res.license == "https://creativecommons.org/licenses/by/4.0/"
    assert "https://doi.org/10.5281/zenodo.8435696" in res.data["identifier"]
    assert res.data["creator"][0]["affiliation"]["name"] == "ETH Zurich"


def test_zenodo_oai_dc_licences_from_dc_rights(repo):
    routes = {
        "Identify": (oai("e-periodica", "Identify.xml"), 200, {}),
        "ListRecords": (oai("zenodo", "ListRecords_set_software_oai_dc_page1.xml"), 200, {}),
        "resume": (oai("mikromarc", "ListRecords_empty_NONCONFORMANT.xml"), 200, {}),
    }
    with Replay(routes) as url:
        report = repo.harvest(url, metadata_prefix="oai_dc", set_specs=["software"])
    src = report.sources[0]
    assert src.new + src.rejected.total == 50
    res = repo.get("zenodo-8434414")
    assert res.license == "https://creativecommons.org/licenses/by/4.0/"
    assert "<p>" not in res.text("description") and "&lt;" not in res.text("description")


def test_tib_datacite_wrapped_in_resources(repo):
    routes = {
        "Identify": (oai("e-periodica", "Identify.xml"), 200, {}),
        "ListRecords": (oai("tib-av-portal", "ListRecords_datacite_page1.xml"), 200, {}),
        "resume": (oai("mikromarc", "ListRecords_empty_NONCONFORMANT.xml"), 200, {}),
    }
    with Replay(routes) as url:
        report = repo.harvest(url, metadata_prefix="datacite")
    assert report.sources[0].new == 100


def test_oaicat_records_without_rights_are_kept_and_flagged(repo):
    routes = {
        "Identify": (oai("erasmus-oaicat", "Identify.xml"), 200, {}),
        "ListMetadataFormats": (oai("erasmus-oaicat", "ListMetadataFormats.xml"), 200, {}),
        "ListRecords": (oai("erasmus-oaicat", "ListRecords_2004.xml"), 200, {}),
    }
    with Replay(routes) as url:
        report = repo.harvest(url)
    src = report.sources[0]
    assert src.records == 81 and src.new == 79
    assert src.license_problems.total == 79 and all(kept for _, _, kept in src.license_problems)
    assert any("deletion" in n for n in src.notes)


@pytest.mark.parametrize("name, status, code", [
    ("error_noRecordsMatch_422.xml", 422, None),
    ("error_idDoesNotExist_GetRecord_422.xml", 422, "idDoesNotExist"),
])
def test_zenodo_errors_with_http_422(repo, name, status, code):
    routes = {
        "Identify": (oai("e-periodica", "Identify.xml"), 200, {}),
        "ListRecords": (oai("zenodo", name), status, {"Retry-After": "59"}),
    }
    with Replay(routes) as url:
        if code is None:
            report = repo.harvest(url, metadata_prefix="oai_dc")
            assert report.sources[0].complete and report.sources[0].records == 0
        else:
            with pytest.raises(HarvestError) as info:
                repo.harvest(url, metadata_prefix="oai_dc")
            assert info.value.code == code


def test_arxiv_bare_error_and_non_oai_html(repo):
    routes = {
        "Identify": (oai("arxiv", "Identify.xml"), 200, {}),
        "ListRecords": (oai("arxiv", "GetRecord_bare_error_no_envelope.xml"), 200, {}),
    }
    with Replay(routes) as url:
        with pytest.raises(HarvestError) as info:
            repo.harvest(url, metadata_prefix="oai_dc")
    assert info.value.code == "idDoesNotExist"
    routes = {"Identify": (oai("non-oai", "httpbun_html_200.html"), 200, {"Content-Type": "text/html"})}
    with Replay(routes) as url:
        with pytest.raises(HarvestError, match="OAI-PMH"):
            repo.harvest(url)


@pytest.mark.parametrize("name", [
    "Identify_CORRUPT_bogus_element.xml", "Identify_CORRUPT_undefined_entity.xml", "Identify_CORRUPT_bad_datestamp.xml",
])
def test_corrupted_identify_is_repaired_or_refused_cleanly(repo, name):
    routes = {
        "Identify": (oai("erasmus-oaicat-corrupted", name), 200, {}),
        "ListMetadataFormats": (oai("erasmus-oaicat", "ListMetadataFormats.xml"), 200, {}),
        "ListRecords": (oai("erasmus-oaicat", "ListRecords_from.xml"), 200, {}),
    }
    with Replay(routes) as url:
        try:
            report = repo.harvest(url)
        except HarvestError as exc:
            assert str(exc)
        else:
            assert report.sources[0].complete and repo.count() > 0
