"""A network of hubs converging: rounds and time until a harvest round changes nothing.

Five hubs (``--hubs``) of 10,000 records each (``--n``), 10 % of them (``--overlap``) the
same resources at every hub under other local ids (same DOI). Each hub is served by its
own ``oerrepo serve`` process on loopback; each harvests the hub before it in a ring
(A -> B -> C -> D -> E -> A, so every hub's records come back to it) and the third hub
also harvests the first directly (two paths). A round is every hub running ``harvest_all``
in turn; rounds go on until one reports 0 new, 0 updated, 0 deleted everywhere.

Anchor, measured in the same run: one plain harvest of the first hub's records into an
empty data folder (the same records over the same HTTP feed, once). The figure is the
time to converge as a multiple of that harvest.

    python benchmarks/bench_network.py                     # 5 hubs x 10,000 records
    python benchmarks/bench_network.py --n 2000            # a quicker look
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import requests

from oerrepo import Repository


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def records(hub: int, n: int, shared: int):
    for k in range(n - shared):
        yield {"id": f"h{hub}-kit-{k}", "name": {"en": f"Hub {hub} blueprint {k}: the school garden's insects"},
               "description": {"en": f"Pupils of hub {hub} map insects ({k}) and share the data."},
               "license": "CC-BY-4.0", "inLanguage": ["en"], "creator": [{"name": f"Teacher {k % 997}"}],
               "identifier": [f"https://doi.org/10.5555/h{hub}.{k}"], "url": f"https://hub{hub}.example.org/kits/{k}",
               "sdg": [15], "keywords": ["biodiversity", "insects"]}
    for k in range(shared):
        # The same resource at every hub, each under its own local id.
        yield {"id": f"h{hub}-shared-{k}", "name": {"en": f"Shared blueprint {k}: river water quality"},
               "license": "CC-BY-4.0", "inLanguage": ["en"], "creator": [{"name": f"Author {k}"}],
               "identifier": [f"https://doi.org/10.5555/shared.{k}"], "sdg": [6]}


def build_hub(job: tuple) -> None:
    """One hub's data folder: its records (imported and indexed), its address, its partners."""
    i, folder, port, n, shared, sources = job
    with Repository(folder) as repo:
        repo.set_setting("base_url", f"http://127.0.0.1:{port}")
        repo.oai_namespace()
        repo.import_records(records(i, n, shared), origin="bench")
        for name, url in sources:
            repo.add_source(name, url)


def serve(folder: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "oerrepo", "--data", str(folder), "serve", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"oerrepo serve did not start on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubs", type=int, default=5)
    parser.add_argument("--n", type=int, default=10_000, help="records per hub")
    parser.add_argument("--overlap", type=float, default=0.1, help="share of each hub's records held by every hub")
    parser.add_argument("--max-rounds", type=int, default=12)
    args = parser.parse_args()
    shared = int(args.n * args.overlap)
    distinct = args.hubs * (args.n - shared) + shared
    tmp = Path(tempfile.mkdtemp(prefix="bench-network-"))
    ports = [free_port() for _ in range(args.hubs)]
    names = [f"hub{i}" for i in range(args.hubs)]
    folders = [tmp / name for name in names]
    build = time.perf_counter()
    jobs = []
    for i, folder in enumerate(folders):
        upstream = [(i - 1) % args.hubs] + ([0] if i == 2 and args.hubs > 3 else [])
        sources = [(names[j], f"http://127.0.0.1:{ports[j]}/oai") for j in upstream]
        jobs.append((i, str(folder), ports[i], args.n, shared, sources))
    with ProcessPoolExecutor(max(1, min(args.hubs, (os.cpu_count() or 2)))) as pool:
        list(pool.map(build_hub, jobs))
    print(f"{args.hubs} hubs x {args.n} records ({shared} shared by all: {distinct} distinct resources), "
          f"built in {time.perf_counter() - build:.0f} s")
    servers = [serve(folder, port) for folder, port in zip(folders, ports)]
    try:
        # The anchor: one plain harvest of the first hub's records, same feed, same machine.
        with Repository(tmp / "anchor") as anchor:
            start = time.perf_counter()
            report = anchor.harvest(f"http://127.0.0.1:{ports[0]}/oai", source="hub0")
            plain = time.perf_counter() - start
        print(f"anchor: one harvest of {report.totals()['new']} records: {plain:.1f} s")
        start = time.perf_counter()
        for round_no in range(1, args.max_rounds + 1):
            began = time.perf_counter()
            totals = []
            for folder in folders:
                with Repository(folder) as repo:
                    totals.append(repo.harvest_all().totals())
            moved = [(t["new"], t["updated"], t["deleted"]) for t in totals]
            echoes = sum(t.get("echoed", 0) for t in totals)
            print(f"round {round_no}: {time.perf_counter() - began:6.1f} s  new/updated/deleted per hub {moved}"
                  f"  echoes ignored {echoes}")
            if all(m == (0, 0, 0) for m in moved):
                break
        else:
            raise SystemExit(f"no convergence in {args.max_rounds} rounds")
        converged = time.perf_counter() - start
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    counts = []
    for folder in folders:
        with Repository(folder) as repo:
            counts.append(repo.count())
    print(f"records per hub at the end: {counts} (expected {distinct} each)")
    print(f"converged in {round_no} rounds ({round_no - 1} that changed something), {converged:.1f} s")
    print(f"ratio convergence time / one plain harvest of {args.n} records: {converged / plain:.1f}")


if __name__ == "__main__":
    main()
