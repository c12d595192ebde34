"""Benchmark the OAI-PMH feed: a complete ListRecords harvest against a same-run baseline.

    python benchmarks/bench_oai.py --n 100000

Loads N generated records (one store transaction, written in bulk), leaves the search
index empty but current unless ``--index`` is given (the feed never reads it), serves
the data folder with ``oerrepo serve`` (waitress) in a child process, and harvests
ListRecords/oai_dc in pages of 100 with a plain requests + lxml client. The baseline serves the very same
pages, pre-rendered, from memory with http.server in another child process and is
harvested by the same client. Prints records/s for both and their ratio, the first
page's latency, the server's memory along the harvest, and the throughput of 8
harvesters at once.
"""

from __future__ import annotations

import argparse
import copy
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from lxml import etree

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def load(data_dir: Path, n: int, page: int, *, build_index: bool) -> None:
    from oerrepo import Repository

    repo = Repository(data_dir)
    repo.load_samples()
    templates = [r.to_dict() for r in repo.iter()]
    try:  # many records per statement where the store offers it
        from oerrepo.store.bulk import ResourceBatch
    except ImportError:
        ResourceBatch = None
    started = time.perf_counter()
    with repo.store.transaction() as conn:
        batch = ResourceBatch(repo.store, conn) if ResourceBatch else None
        for start in range(0, n - len(templates), 1000):
            chunk = []
            for i in range(start, min(start + 1000, n - len(templates))):
                data = copy.deepcopy(templates[i % len(templates)])
                data["id"] = f"gen-{i:07d}"
                data["name"] = {k: f"{v} ({i})" for k, v in data["name"].items()}
                chunk.append(data)
            if batch is None:
                for data in chunk:
                    repo.store.insert(conn, data, "benchmark")
                continue
            batch.load(d["id"] for d in chunk)
            for data in chunk:
                batch.insert(data, "benchmark")
            batch.flush()
    loaded = time.perf_counter() - started
    print(f"loaded {n} records in {loaded:.1f} s (one transaction{', bulk' if batch is not None else ''})")
    # The search index follows the store when the server opens it: bring it up to date now
    # so that the timed harvest measures the feed alone (the feed never reads the index).
    t0 = time.perf_counter()
    if build_index:
        repo.reindex()
        print(f"search index built in {time.perf_counter() - t0:.1f} s (not timed below)")
    else:
        # Feed-only measurement: an EMPTY index marked as current, so the server does not
        # index the generated records when it opens the data folder (--index builds it).
        repo._parts.search.backend().rebuild(iter(()), repo.store.last_seq())
        print("search index left empty for this feed-only measurement (use --index to build it)")
    repo.set_setting("oai_page_size", page)
    repo.set_setting("base_url", "http://127.0.0.1:8000")
    repo.close()


def start(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if "http://" in line:
            root = line[line.index("http://"):].split()[0].rstrip("/")
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
            return proc, root
    raise RuntimeError(f"{cmd} did not start")


def harvest(url: str, first: dict, *, next_params, keep: list | None = None, max_pages: int | None = None,
            memory: tuple[int, list] | None = None) -> tuple[int, float, float]:
    """Harvest a list page by page; return (records, seconds, first page seconds)."""
    session = requests.Session()
    session.headers["Accept-Encoding"] = "identity"
    records = pages = 0
    params = first
    started = time.perf_counter()
    first_page = None
    while True:
        reply = session.get(url, params=params, timeout=60)
        body = reply.content
        if first_page is None:
            first_page = time.perf_counter() - started
        doc = etree.fromstring(body)
        records += len(doc.findall(f"{OAI}ListRecords/{OAI}record"))
        pages += 1
        if keep is not None:
            keep.append(body)
        if memory and pages % 100 == 1:
            memory[1].append((records, rss_mb(memory[0])[0]))
        token = doc.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
        if not token or (max_pages and pages >= max_pages):
            break
        params = next_params(token, pages)
    return records, time.perf_counter() - started, first_page


def serve_pages(path: str) -> None:
    """Baseline server: the pre-rendered pages from memory, /page/<i>, with http.server."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pages = pickle.loads(Path(path).read_bytes())

    class Pages(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            i = int(self.path.rsplit("=", 1)[1]) if "=" in self.path else 0
            body = pages[i]
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    print(f"baseline at http://127.0.0.1:{server.server_port}/", flush=True)
    server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--page", type=int, default=100)
    ap.add_argument("--harvesters", type=int, default=8)
    ap.add_argument("--index", action="store_true", help="also build the search index (slow; not timed)")
    ap.add_argument("--serve-pages", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_pages:
        return serve_pages(args.serve_pages)

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        load(data, args.n, args.page, build_index=args.index)
        oerrepo = [sys.executable, "-m", "oerrepo", "--data", str(data), "serve", "--port", "0", "--threads", "8"]
        server, root = start(oerrepo)
        try:
            url = f"{root}/oai"
            time.sleep(0.5)
            idle = rss_mb(server.pid)[0]
            # First page of a fresh list (counts the list): the median of five.
            firsts = []
            for _ in range(5):
                t0 = time.perf_counter()
                requests.get(url, params={"verb": "ListRecords", "metadataPrefix": "oai_dc"},
                             headers={"Accept-Encoding": "identity"}, timeout=60).content
                firsts.append(time.perf_counter() - t0)
            pages: list[bytes] = []
            memory: list = []
            n_ours, t_ours, _ = harvest(
                url, {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
                next_params=lambda tok, i: {"verb": "ListRecords", "resumptionToken": tok},
                keep=pages, memory=(server.pid, memory),
            )
            end_rss, peak = rss_mb(server.pid)
            # 8 harvesters at once, each taking the first pages of its own complete list.
            per = max(1, min(len(pages), 100))
            results: list = []

            def one() -> None:
                results.append(harvest(url, {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
                                       next_params=lambda tok, i: {"verb": "ListRecords", "resumptionToken": tok},
                                       max_pages=per))

            threads = [threading.Thread(target=one) for _ in range(args.harvesters)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            t_conc = time.perf_counter() - t0
            n_conc = sum(r[0] for r in results)
        finally:
            server.terminate()
            server.wait()

        dump = Path(tmp) / "pages.pickle"
        dump.write_bytes(pickle.dumps(pages))
        del pages
        baseline, broot = start([sys.executable, __file__, "--serve-pages", str(dump)])
        try:
            time.sleep(0.3)
            n_base, t_base, _ = harvest(f"{broot}/page", {"i": 0},
                                        next_params=lambda tok, i: {"i": i})
        finally:
            baseline.terminate()
            baseline.wait()

    ours, base = n_ours / t_ours, n_base / t_base
    print(f"records served: {n_ours} (baseline {n_base})")
    print(f"oerrepo serve:  {ours:,.0f} records/s ({t_ours:.1f} s for the complete list)")
    print(f"baseline:       {base:,.0f} records/s (same pages pre-rendered, http.server from memory)")
    print(f"ratio:          {ours / base:.2f} of baseline (target >= 0.3)")
    print(f"first page:     {statistics.median(firsts) * 1000:.0f} ms median of 5 (target < 200 ms)")
    print(f"server memory:  idle {idle:.0f} MB; along the harvest " +
          ", ".join(f"{r // 1000}k:{m:.0f}" for r, m in memory[:: max(1, len(memory) // 8)]) +
          f" MB; end {end_rss:.0f} MB; peak {peak:.0f} MB")
    print(f"{args.harvesters} harvesters:  {n_conc / t_conc:,.0f} records/s together "
          f"({n_conc} records, {per} pages each, {t_conc:.1f} s)")
    print(json.dumps({"n": args.n, "records_per_s": round(ours), "baseline_records_per_s": round(base),
                      "ratio": round(ours / base, 3), "first_page_ms": round(statistics.median(firsts) * 1000),
                      "rss_idle_mb": round(idle), "rss_end_mb": round(end_rss), "rss_peak_mb": round(peak),
                      "concurrent_records_per_s": round(n_conc / t_conc)}))


if __name__ == "__main__":
    main()
