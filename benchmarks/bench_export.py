"""Export throughput and peak memory: streaming writers against one big rdflib Graph.

    python benchmarks/bench_export.py --n 100000

Records are the sample blueprints repeated under new ids, generated on the fly (so the
generator itself costs no memory). Each mode runs in its own process so its peak RSS is
its own. The baseline builds one rdflib Graph of every triple, then serialises it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from importlib.resources import files

BASE = "http://127.0.0.1:8000"


def records(n: int):
    from oerrepo.model import Resource

    samples = json.loads(files("oerrepo.samples").joinpath("blueprints.json").read_text(encoding="utf-8"))
    for i in range(n):
        data = dict(samples[i % len(samples)])
        data["id"] = f"{data['id'].rsplit('/', 1)[-1]}-{i}"
        yield Resource(data)


def run(mode: str, n: int) -> dict:
    from oerrepo.linked.document import describe
    from oerrepo.linked.graph import Walker, to_rdflib
    from oerrepo.linked.serialize import write_documents

    fmt = "nt" if mode.endswith("nt") else "turtle"
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        if mode.startswith("stream"):
            writer = write_documents((describe(r, BASE) for r in records(n)), fmt, sink)
            triples = writer.triples
        else:
            from rdflib import Graph

            graph = Graph()
            walker = Walker()
            for r in records(n):
                for t in walker.triples(describe(r, BASE)):
                    graph.add(to_rdflib(t))
            triples = len(graph)
            graph.serialize(sink, format=fmt)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "n": n, "triples": triples, "seconds": round(seconds, 2),
            "triples_per_s": round(triples / seconds), "peak_mb": round(peak_mb)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="number of records")
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--skip-baseline", action="store_true", help="only the streaming writers")
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run(args.mode, args.n)))
        return
    modes = ["stream-nt", "stream-ttl"] + ([] if args.skip_baseline else ["graph-nt", "graph-ttl"])
    results = {}
    for mode in modes:
        out = subprocess.run([sys.executable, __file__, "--n", str(args.n), "--mode", mode],
                             check=True, capture_output=True, text=True).stdout
        results[mode] = json.loads(out)
        r = results[mode]
        print(f"{mode:11} {r['n']:>7} records {r['triples']:>9} triples {r['seconds']:>8.2f} s "
              f"{r['triples_per_s']:>9} triples/s  peak {r['peak_mb']:>6} MB", flush=True)
    if not args.skip_baseline:
        for fmt, target in (("nt", 4), ("ttl", 2)):
            ratio = results[f"stream-{fmt}"]["triples_per_s"] / results[f"graph-{fmt}"]["triples_per_s"]
            print(f"{fmt}: streaming is {ratio:.1f}x the one-Graph baseline (target {target}x); "
                  f"memory {results[f'stream-{fmt}']['peak_mb']} MB vs {results[f'graph-{fmt}']['peak_mb']} MB")


if __name__ == "__main__":
    main()
