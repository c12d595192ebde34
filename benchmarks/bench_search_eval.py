"""Search quality and latency on both backends, against their anchors measured in the same run.

    source /work/pg.env   # or any OERREPO_TEST_PG_URL; without it PostgreSQL is skipped
    python benchmarks/bench_search_eval.py [--collection ../shared/search-eval] [--n 100000]

Quality: runs ``../shared/search-eval/evaluate.py`` (read in place) with our ``oerrepo``
on the Whoosh index, on PostgreSQL (a new database) and as its FTS5 references
(``--baseline fts5`` and ``fts5-or``), and prints nDCG@10 overall and per category for
each, with the ratio to the better FTS5 reference. Targets: nDCG@10 >= 0.80 overall and
>= 0.65 in every category, on both backends.

Latency: imports ``--n`` synthetic records (benchmarks/bench_postgres.py's generator) into
each backend, then times a fixed query mix with every facet counted and prints p50/p95
(target: p95 < 100 ms), with the time of a facet-only listing (the empty query) as anchor.
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


def latency(repo: Repository, rounds: int) -> tuple[float, float, float]:
    """(p50, p95 of the query mix, p50 of the empty query) in ms, every facet counted."""
    for q in LATENCY_QUERIES:  # warm caches
        repo.search(q)
    times, empty = [], []
    for _ in range(rounds):
        for q in LATENCY_QUERIES:
            t = time.perf_counter()
            repo.search(q, facets=True)
            times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        repo.search("")
        empty.append((time.perf_counter() - t) * 1000)
    return percentile(times, 50), percentile(times, 95), percentile(empty, 50)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--collection", type=Path, default=ROOT.parent / "shared" / "search-eval")
    ap.add_argument("--n", type=int, default=100_000, help="records for the latency part (0: skip it)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--skip-quality", action="store_true")
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
        for name, url in backends:
            with tempfile.TemporaryDirectory() as tmp:
                db = new_database(url) if url else None
                try:
                    repo = Repository(Path(tmp) / "data", db_url=db) if db else Repository(Path(tmp) / "data")
                    t = time.perf_counter()
                    repo.import_records(records(args.n))
                    loaded = time.perf_counter() - t
                    p50, p95, empty = latency(repo, args.rounds)
                    repo.close()
                finally:
                    if db:
                        drop_database(db)
            print(f"latency {name}: {args.n} records (imported in {loaded:.0f} s); query mix with all facets "
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target < 100 ms); empty query p50 {empty:.1f} ms "
                  f"(p95 / empty {p95 / empty if empty else 0:.1f}x)")


if __name__ == "__main__":
    main()
