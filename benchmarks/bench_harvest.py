"""Harvest throughput and memory: N oai_dc records from a loopback OAI-PMH server.

The server (its own process) serves pre-rendered pages of 100 records. Each measurement
runs in a fresh subprocess so its peak memory (ru_maxrss) is its own:

- harvest: ``Repository.harvest`` into a new data folder (store writes, provenance,
  duplicate keys), the full-text index left out; with ``--index`` also measured with the
  index following the harvest as it does in use (every ten seconds and at the end),
  reported separately;
- baseline: the same pages fetched with plain ``requests`` and parsed with ``lxml``,
  records counted, nothing stored.

    python benchmarks/bench_harvest.py --n 20000
    python benchmarks/bench_harvest.py --n 100000
    python benchmarks/bench_harvest.py --n 5000 --latency 0.05   # a partner taking 50 ms per page
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PAGE = 100
NS = "http://www.openarchives.org/OAI/2.0/"


def render_pages(n: int) -> list[bytes]:
    pages = []
    for start in range(0, n, PAGE):
        items = []
        for i in range(start, min(n, start + PAGE)):
            items.append(
                f"<record><header><identifier>oai:bench.test:{i}</identifier>"
                f"<datestamp>2024-01-01T00:00:00Z</datestamp><setSpec>bench</setSpec></header><metadata>"
                '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:title>Open schooling blueprint {i}: measuring the school garden's biodiversity</dc:title>"
                f"<dc:creator>Teacher {i % 997}, Ana</dc:creator><dc:creator>Museum educator {i % 89}</dc:creator>"
                "<dc:subject>biodiversity</dc:subject><dc:subject>SDG 15</dc:subject>"
                f"<dc:description>Pupils map the plants and insects of their school grounds ({i}) and share "
                "the data with a science centre.</dc:description>"
                f"<dc:identifier>https://partner.example/blueprints/{i}</dc:identifier>"
                "<dc:language>en</dc:language><dc:type>Lesson plan</dc:type>"
                "<dc:rights>https://creativecommons.org/licenses/by-sa/4.0/</dc:rights>"
                "</oai_dc:dc></metadata></record>"
            )
        # As Zenodo, DSpace, DOAJ and the TIB AV-Portal answer: with the list's size and the
        # cursor, and an empty token on the last page.
        size = f'completeListSize="{n}" cursor="{start}"'
        token = (f"<resumptionToken {size}>p{start // PAGE + 1}</resumptionToken>" if start + PAGE < n
                 else f"<resumptionToken {size}/>")
        pages.append(
            (f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{NS}"><responseDate>2024-06-01T00:00:00Z'
             f'</responseDate><request verb="ListRecords">http://bench.test/oai</request><ListRecords>'
             + "".join(items) + token + "</ListRecords></OAI-PMH>").encode()
        )
    return pages


IDENTIFY = (
    f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{NS}"><responseDate>2024-06-01T00:00:00Z</responseDate>'
    '<request verb="Identify">http://bench.test/oai</request><Identify><repositoryName>Bench</repositoryName>'
    "<baseURL>http://bench.test/oai</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>a@b.test</adminEmail>"
    "<earliestDatestamp>2000-01-01T00:00:00Z</earliestDatestamp><deletedRecord>persistent</deletedRecord>"
    "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>"
).encode()


def serve(n: int, port_queue, latency: float = 0.0) -> None:
    pages = render_pages(n)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            args = dict(parse_qsl(urlsplit(self.path).query))
            if args.get("verb") == "Identify":
                body = IDENTIFY
            else:
                token = args.get("resumptionToken", "p0")
                body = pages[int(token[1:])]
                if latency:
                    time.sleep(latency)  # a partner that takes its time to answer a page
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_port)
    server.serve_forever()


def child_baseline(url: str) -> dict:
    import requests
    from lxml import etree

    session = requests.Session()
    start = time.perf_counter()
    count, params = 0, {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    while True:
        root = etree.fromstring(session.get(url, params=params).content)
        count += len(root.findall(f"{{{NS}}}ListRecords/{{{NS}}}record"))
        token = root.findtext(f"{{{NS}}}ListRecords/{{{NS}}}resumptionToken")
        if not token:
            break
        params = {"verb": "ListRecords", "resumptionToken": token}
    return {"records": count, "seconds": time.perf_counter() - start}


def child_harvest(url: str, folder: str, index: bool) -> dict:
    from oerrepo import Repository
    from oerrepo.harvesters.api import Harvester

    class NoIndex:
        """No second process follows the store either."""

        def start_background(self) -> bool:
            return False

        def stop_background(self, *, wait: bool = True) -> None:
            pass

    class StoreOnly(Repository):
        """The repository without its full-text index following each page."""

        def _compose(self, store):
            parts = super()._compose(store)
            parts.harvests = Harvester(store, follow=lambda: None, aside=NoIndex(), setting=store.get_setting)
            return parts

    with (Repository if index else StoreOnly)(folder) as repo:
        repo.store  # open (create) the store before the clock starts
        start = time.perf_counter()
        report = repo.harvest(url, source="bench", metadata_prefix="oai_dc")
        seconds = time.perf_counter() - start
        src = report.sources[0]
        return {"records": src.new, "seconds": seconds, "complete": src.complete}


def run_child(kind: str, url: str, folder: str | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--url", url] + (["--folder", folder] if folder else []),
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--folder")
    parser.add_argument("--index", action="store_true", help="also measure with the full-text index following")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the partner takes for each ListRecords page (default 0: loopback speed)")
    args = parser.parse_args()
    if args.child:
        if args.child == "baseline":
            result = child_baseline(args.url)
        else:
            result = child_harvest(args.url, args.folder, index=args.child == "harvest+index")
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # A long harvest indexes in a child process (oerrepo/index/background.py): its own peak.
        result["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(result))
        return
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.n, queue, args.latency), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{queue.get(timeout=120)}/oai"
    try:
        base = run_child("baseline", url)
        with tempfile.TemporaryDirectory() as tmp:
            harv = run_child("harvest", url, f"{tmp}/data")
        indexed = None
        if args.index:
            with tempfile.TemporaryDirectory() as tmp:
                indexed = run_child("harvest+index", url, f"{tmp}/data")
    finally:
        server.terminate()
    b_rate = base["records"] / base["seconds"]
    h_rate = harv["records"] / harv["seconds"]
    print(f"N = {args.n} oai_dc records, pages of {PAGE}"
          + (f", the partner taking {args.latency * 1000:.0f} ms per page" if args.latency else ""))
    print(f"baseline (requests + lxml, no storing): {b_rate:10.0f} records/s  peak {base['peak_mb']:.0f} MB")
    print(f"harvest into the store:                 {h_rate:10.0f} records/s  peak {harv['peak_mb']:.0f} MB"
          f"  ({harv['records']} stored, complete={harv['complete']})")
    if indexed:
        i_rate = indexed["records"] / indexed["seconds"]
        print(f"harvest + full-text index following:    {i_rate:10.0f} records/s  peak {indexed['peak_mb']:.0f} MB"
              f" (indexing process: {indexed['children_peak_mb']:.0f} MB)")
    print(f"ratio harvest/baseline: {h_rate / b_rate:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
