"""Benchmark the site: the results page with facets, against the JSON search of the same run.

    python benchmarks/bench_site.py                      # 100,000 records (the target's size)
    python benchmarks/bench_site.py --n 20000 --queries 100
    python benchmarks/bench_site.py --data /tmp/site-bench   # keep the data folder for the next run

Builds an embedded data folder (SQLite + Whoosh) of N generated multilingual records
(bench_index.generate), then sends the same mix of requests through the whole WSGI
application (routing, search with all facet counts, rendering, gzip) twice:

- as a browser (``Accept: text/html``): the results page with facets, 10 hits, chips and pages;
- as a program (no Accept header): the ``/search`` JSON answer to the same query, the anchor.

Prints p50/p95 of both and their ratio, and the weight of a results page: its HTML, and HTML
plus the stylesheet and script a first visit also loads (raw and gzip-compressed).
Target: results page p95 under 100 ms on 100,000 records; page weight under 100 KB.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import LANGS, TYPES, WORDS, generate  # noqa: E402

from oerrepo import Repository  # noqa: E402


def requests_mix(n: int, seed: int = 5) -> list[dict]:
    """Searches people make: words, a phrase, with none, one or two filters, a later page, a sort."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        lang = rnd.choice(LANGS)
        words = WORDS[lang].split()
        params: dict = {"q": " ".join(rnd.sample(words, rnd.choice((1, 1, 2))))}
        kind = rnd.random()
        if kind < 0.1:
            params["q"] = ""
        if kind > 0.4:
            params["sdg"] = str(rnd.randint(1, 17))
        if kind > 0.7:
            params["type"] = rnd.choice(TYPES)
        if rnd.random() < 0.2:
            params["page"] = str(rnd.randint(2, 4))
        if rnd.random() < 0.15:
            params["sort"] = "date"
        out.append(params)
    return out


def call(app, path: str, query: str, accept: str | None) -> tuple[float, bytes, dict, float]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
               "HTTP_ACCEPT_ENCODING": "gzip", "HTTP_ACCEPT_LANGUAGE": "en"}
    if accept:
        environ["HTTP_ACCEPT"] = accept
    seen: dict = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    start, cpu = time.perf_counter(), time.process_time()
    body = b"".join(app(environ, start_response))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if not seen["status"].startswith("200"):
        raise SystemExit(f"{path}?{query} answered {seen['status']}: {body[:300]!r}")
    return elapsed, body, seen["headers"], cpu


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="records in the catalogue (default 100,000)")
    parser.add_argument("--queries", type=int, default=200, help="requests in the mix (default 200)")
    parser.add_argument("--data", help="data folder to build or reuse (default: a temporary one)")
    args = parser.parse_args()

    folder = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="bench-site-")) / "data"
    repo = Repository(folder)
    have = repo.count()
    if have != args.n:
        if have:
            repo.close()
            shutil.rmtree(folder)
            repo = Repository(folder)
        print(f"building {args.n:,} records in {folder} ...", flush=True)
        start = time.perf_counter()
        records = generate(args.n, seed=7)
        for i in range(0, args.n, 10_000):
            repo.import_records(records[i:i + 10_000])
        del records
        print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)
    app = repo.wsgi_app()
    mix = requests_mix(args.queries)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    for params in mix[:10]:  # warm both: index readers, templates, translations
        call(app, "/search", urlencode(params), browser)
        call(app, "/search", urlencode(params), None)
    page_times, json_times, page_cpu, json_cpu = [], [], [], []
    # Interleaved, so load from other programs hits both alike; which of the two asks a query
    # first alternates, as the second finds the index's caches warm for the same words.
    for i, params in enumerate(mix):
        query = urlencode(params)
        order = ((browser, page_times, page_cpu), (None, json_times, json_cpu))
        for accept, times, cpus in (order if i % 2 == 0 else order[::-1]):
            took, _, _, cpu = call(app, "/search", query, accept)
            times.append(took)
            cpus.append(cpu)

    # Page weight: the common case, one word and one filter, first page.
    _, body, headers, _ = call(app, "/search", urlencode({"q": WORDS["en"].split()[0], "sdg": "6"}), browser)
    html_gz = len(body) if headers.get("Content-Encoding") == "gzip" else len(gzip.compress(body))
    html_raw = len(gzip.decompress(body)) if headers.get("Content-Encoding") == "gzip" else len(body)
    statics = [call(app, f"/static/{name}", "", None)[1] for name in ("site.css", "site.js")]
    static_raw = sum(len(s) for s in statics)
    static_gz = sum(len(gzip.compress(s)) for s in statics)

    p95_page, p95_json = pct(page_times, 95) * 1000, pct(json_times, 95) * 1000
    print(f"catalogue: {repo.count():,} records (SQLite + Whoosh, embedded default); {len(mix)} requests")
    print(f"results page with facets: p50 {statistics.median(page_times) * 1000:.1f} ms, p95 {p95_page:.1f} ms"
          f"  (target < 100 ms: {'met' if p95_page < 100 else 'NOT met'})")
    print(f"anchor /search JSON:      p50 {statistics.median(json_times) * 1000:.1f} ms, p95 {p95_json:.1f} ms")
    print(f"ratio page / JSON p95: {p95_page / p95_json:.2f}")
    # CPU time of this process (single-threaded here) is what other programs' load skews least.
    print(f"CPU per request, p95: page {pct(page_cpu, 95) * 1000:.1f} ms, JSON {pct(json_cpu, 95) * 1000:.1f} ms, "
          f"ratio {pct(page_cpu, 95) / pct(json_cpu, 95):.2f}")
    print(f"page weight: HTML {html_raw / 1024:.1f} KB ({html_gz / 1024:.1f} KB gzip); with stylesheet and script "
          f"{(html_raw + static_raw) / 1024:.1f} KB ({(html_gz + static_gz) / 1024:.1f} KB gzip)"
          f"  (target < 100 KB: {'met' if html_raw + static_raw < 100 * 1024 else 'NOT met'})")
    repo.close()
    if not args.data:
        shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
