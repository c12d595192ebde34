"""Search quality and latency on both backends, against their anchors measured in the same run.

    source /work/pg.env   # or any OERREPO_TEST_PG_URL; without it PostgreSQL is skipped
    python benchmarks/bench_search_eval.py [--collection ../shared/search-eval] [--n 100000]

Quality: runs ``../shared/search-eval/evaluate.py`` (read in place) with our ``oerrepo``
on the Whoosh index, on PostgreSQL (a new database) and as its FTS5 references
(``--baseline fts5`` and ``fts5-or``), and prints nDCG@10 overall and per category for
each, with the ratio to the better FTS5 reference. Targets: nDCG@10 >= 0.80 overall and
>= 0.65 in every category, on both backends.

Latency: imports ``--n`` synthetic records (benchmarks/bench_postgres.py's generator) into
each backend, then times a fixed query mix with every facet counted (every third search
also filtered by a language and an SDG) and prints p50/p95 as a ratio to the target
(p95 < 100 ms), with the time of a facet-only listing (the empty query) as anchor, the
first search of the process (which reads what the backend keeps in memory), each query's
median, and PostgreSQL's p95 against Whoosh's on the same records.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_postgres import percentile, records  # noqa: E402

from oerrepo import Repository  # noqa: E402

CATEGORIES = ("same-language", "cross-language", "compound", "inflection", "diacritics", "typo", "synonym",
              "multi-word")
TARGET_MS = 100.0  # p95 with all facets at 100,000 records, on both backends
LATENCY_QUERIES = ["energy", "água", "Klima", "solar wind", '"solar energy"', "escola jardim", "πόλη", "forest*",
                   "recycling OR reciclaje", "water NOT river", "Klimawandel", "abelhas", "watter", "Sonnenenergie"]


def evaluate(collection: Path, *args: str) -> dict[str, float]:
    """nDCG@10 overall and per category from one run of evaluate.py."""
    oerrepo = Path(sys.executable).with_name("oerrepo")
    # The FTS5 reference shares one SQLite connection: it runs its queries one at a time.
    jobs = "1" if "--baseline" in args else "2"
    out = subprocess.run(
        [sys.executable, str(collection / "evaluate.py"), "--collection", str(collection), "--oerrepo", str(oerrepo),
         "--jobs", jobs, *args],
        capture_output=True, text=True, check=False,
    ).stdout
    figures = {}
    for line in out.splitlines():
        m = re.match(r"\s*(all queries|[a-z-]+)\s+\d+\s+([0-9.]+)\s", line)
        if m and (m.group(1) == "all queries" or m.group(1) in CATEGORIES) and m.group(1) not in figures:
            figures[m.group(1)] = float(m.group(2))
    return figures


def new_database(url: str) -> str:
    """A new, empty database beside the one ``url`` names (its URL)."""
    import psycopg

    name = f"oerrepo_bench_{uuid.uuid4().hex[:8]}"
    plain = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    import psycopg

    admin, name = url.rsplit("/", 1)
    with psycopg.connect(admin.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# Every third search of the mix also filters (a language and an SDG), as bench_postgres.py's mix does.
FILTERS = [{}, {}, {"language": "de", "sdg": 7}]


def latency(repo: Repository, rounds: int) -> tuple[float, float, float, float, dict[str, float]]:
    """(p50, p95 of the query mix, p50 of the empty query, the first search of the process, the
    median of each query) in ms, every facet counted. The first search reads what a process
    keeps (the Whoosh segments' bitmaps, the PostgreSQL index's facet bitmaps), then each
    query runs once to warm caches before the timed rounds."""
    t = time.perf_counter()
    repo.search(LATENCY_QUERIES[0])
    first = (time.perf_counter() - t) * 1000
    for q in LATENCY_QUERIES:
        repo.search(q)
    times, empty, each = [], [], {}
    for r in range(rounds):
        for i, q in enumerate(LATENCY_QUERIES):
            filters = FILTERS[(i + r) % len(FILTERS)]
            t = time.perf_counter()
            repo.search(q, facets=True, **filters)
            ms = (time.perf_counter() - t) * 1000
            times.append(ms)
            each.setdefault(q, []).append(ms)
        t = time.perf_counter()
        repo.search("")
        empty.append((time.perf_counter() - t) * 1000)
    medians = {q: percentile(v, 50) for q, v in each.items()}
    return percentile(times, 50), percentile(times, 95), percentile(empty, 50), first, medians


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--collection", type=Path, default=ROOT.parent / "shared" / "search-eval")
    ap.add_argument("--n", type=int, default=100_000, help="records for the latency part (0: skip it)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--only", choices=("Whoosh", "PostgreSQL"), help="time one backend only")
    args = ap.parse_args()
    pg = os.environ.get("OERREPO_TEST_PG_URL")

    if not args.skip_quality:
        if not (args.collection / "evaluate.py").exists():
            sys.exit(f"no evaluation collection at {args.collection}; give --collection")
        runs = {"FTS5 all words": evaluate(args.collection, "--baseline", "fts5"),
                "FTS5 any word": evaluate(args.collection, "--baseline", "fts5-or"),
                "oerrepo Whoosh": evaluate(args.collection)}
        if pg:
            db = new_database(pg)
            try:
                runs["oerrepo PostgreSQL"] = evaluate(args.collection, "--db", db)
            finally:
                drop_database(db)
        anchor = {k: max(runs["FTS5 all words"].get(k, 0), runs["FTS5 any word"].get(k, 0)) for k in
                  ("all queries", *CATEGORIES)}
        print(f"{'nDCG@10':22}" + "".join(f"{k[:12]:>13}" for k in ("all queries", *CATEGORIES)))
        for name, figures in runs.items():
            print(f"{name:22}" + "".join(f"{figures.get(k, 0):13.3f}" for k in ("all queries", *CATEGORIES)))
        for name in [n for n in runs if n.startswith("oerrepo")]:
            ratios = "".join(f"{runs[name].get(k, 0) / anchor[k] if anchor[k] else 0:12.2f}x"
                             for k in ("all queries", *CATEGORIES))
            print(f"{name + ' / best FTS5':22}{ratios}")

    if args.n:
        backends = [("Whoosh", None)] + ([("PostgreSQL", pg)] if pg else [])
        backends = [(name, url) for name, url in backends if args.only in (None, name)]
        p95s = {}
        for name, url in backends:
            with tempfile.TemporaryDirectory() as tmp:
                db = new_database(url) if url else None
                try:
                    repo = Repository(Path(tmp) / "data", db_url=db) if db else Repository(Path(tmp) / "data")
                    t = time.perf_counter()
                    repo.import_records(records(args.n))
                    loaded = time.perf_counter() - t
                    p50, p95, empty, first, medians = latency(repo, args.rounds)
                    repo.close()
                finally:
                    if db:
                        drop_database(db)
            p95s[name] = p95
            print(f"latency {name}: {args.n} records (imported in {loaded:.0f} s); query mix with all facets "
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms = {p95 / TARGET_MS:.2f}x the {TARGET_MS:.0f} ms target "
                  f"({'met' if p95 < TARGET_MS else 'NOT met'}); empty query p50 {empty:.1f} ms "
                  f"(p95 / empty {p95 / empty if empty else 0:.1f}x); first search of the process {first:.0f} ms")
            print("  median by query (ms): " + ", ".join(f"{q} {ms:.1f}" for q, ms in medians.items()))
        if len(p95s) == 2:
            print(f"latency PostgreSQL / Whoosh (same run, same records): p95 {p95s['PostgreSQL'] / p95s['Whoosh']:.2f}x")


if __name__ == "__main__":
    main()
