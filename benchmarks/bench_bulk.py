"""Bulk work as users run it: import, harvest, reindex and export, each a whole process, against Whoosh and rdflib.

    python benchmarks/bench_bulk.py                 # 20,000 and 100,000 records
    python benchmarks/bench_bulk.py --quick         # 2,000 and 5,000 records
    python benchmarks/bench_bulk.py --n 20000 --only import,reindex

Every figure is the wall time of a whole process started as a user starts it (the
``oerrepo`` command, Python start-up included), with the index current in the index
files when it returns (checked after each run: the index's own sequence file against
the store). Memory is the peak of the summed resident size of the process and all its
children (sampled from /proc every 20 ms), so a second indexing process counts too.

CPU seconds (user + system of the whole process tree) are printed beside: on a machine
shared with other work they show what the wall times cannot.

Anchors, measured in the same run on the same records:

- plain Whoosh: a process that reads the records and builds an index of fields id,
  title and description (Whoosh's StemmingAnalyzer) and keywords, one writer with
  default settings, one commit. ``import`` and ``harvest`` aim at >= 1.0 x its
  records/s, ``reindex`` at >= 1.5 x;
- bare Whoosh on our schema: the writer alone, with our rebuild settings, given the
  index documents built beforehand (it analyses them into the schema's fields in its
  processes, as the index does); ``reindex`` should take no more than 1.3 x its time;
- the bare client: plain requests + lxml paging through the same partner, storing
  nothing; ``harvest`` from a partner answering each page in 50 ms aims at >= 0.9 x;
- the rdflib route: parse the N-Triples dump into one Graph, serialise it (nt or
  turtle); ``export`` aims at >= 4 x.

With --pg (or OERREPO_TEST_PG_URL set) import and harvest also run on PostgreSQL
(each in a schema of its own), reported against the same runs on SQLite.

With --rounds R every size is measured R times over, each round's figures against the
anchors of the same round, and each ratio's rounds and median are printed at the end: on
a shared machine whose speed changes over minutes (seen here: the same work taking 40 %
more CPU time for a while), one round can catch an anchor in a fast phase and ours in a
slow one.

The package is byte-compiled first, as an installed one is (see ``_bytecode_written``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_harvest import child_baseline, serve  # noqa: E402
from bench_index import generate  # noqa: E402
from pg import drop_schema, new_schema  # noqa: E402  (a schema of its own in the tests' PostgreSQL)

OERREPO = [sys.executable, "-m", "oerrepo"]


# -- measuring whole processes --------------------------------------------------------------


def _tree_rss_kb(root: int) -> int:
    """Summed VmRSS of a process and its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            with open(f"/proc/{entry}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmRSS:"):
                        rss[int(entry)] = int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


def run(cmd: list[str], *, env: dict | None = None) -> dict:
    """Run a command to its end: wall seconds, peak MB of its process tree, its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak / 1024, "stdout": out.decode(), "stderr": err.decode()}


# -- the anchors (run as children of this script) -----------------------------------------------


def child_plain_whoosh(records_file: str, folder: str) -> None:
    """Plain Whoosh: id, title and description with StemmingAnalyzer, keywords; defaults; one commit."""
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    records = json.loads(Path(records_file).read_bytes())
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        description=fields.TEXT(analyzer=StemmingAnalyzer()),
        keywords=fields.KEYWORD(commas=True, lowercase=True),
    )
    ix = index.create_in(folder, schema)
    writer = ix.writer()
    for r in records:
        writer.add_document(id=r["id"], title=r["title"], description=r["description"], keywords=",".join(r["keywords"]))
    writer.commit()


def child_bare_ours(records_file: str, folder: str) -> None:
    """Whoosh on our schema with our rebuild settings, given the index documents built beforehand:
    the writer analysing them into the schema's fields and writing them, as Whoosh analyses in its
    writer (analysis moved into the writer's processes: the fields of a document are not ready-made
    input any more). Prints the writer's seconds."""
    from whoosh import index

    from oerrepo.index.document import document_for
    from oerrepo.index.schema import build_schema, whoosh_fields
    from oerrepo.index.whoosh_backend import REBUILD_SETTINGS
    from oerrepo.index.whoosh_writer import CODEC, FIELDS_OF
    from oerrepo.model import Resource

    documents = [document_for(Resource(r)) for r in json.loads(Path(records_file).read_bytes())]
    ix = index.create_in(folder, build_schema())
    start = time.perf_counter()
    writer = ix.writer(codec=CODEC, **REBUILD_SETTINGS)  # the segments our writers write
    for doc in documents:
        writer.add_document(**{FIELDS_OF: (whoosh_fields, doc)})
    writer.commit()
    print(json.dumps({"writer_seconds": time.perf_counter() - start}))


def child_rdflib(dump: str, fmt: str, target: str) -> None:
    """The rdflib route: the N-Triples dump parsed into one Graph, serialised again."""
    from rdflib import Graph

    graph = Graph()
    graph.parse(dump, format="nt")
    graph.serialize(target, format=fmt)
    print(json.dumps({"triples": len(graph)}))


class _PortFile:
    def __init__(self, path: str):
        self.path = path

    def put(self, port: int) -> None:
        Path(self.path).write_text(str(port))


def child_serve(n: int, latency: float, port_file: str) -> None:
    serve(n, _PortFile(port_file), latency)


def child_bare_client(url: str) -> None:
    print(json.dumps(child_baseline(url)))


# -- helpers ----------------------------------------------------------------------------------


def me(*args: str) -> list[str]:
    return [sys.executable, __file__, "--child", *args]


def index_state(data: Path, db_url: str | None = None) -> tuple[int, int, int]:
    """(documents in the Whoosh index, its applied seq, the store's last seq) of a data folder."""
    from whoosh import index

    from oerrepo.store import Store

    store = Store(db_url or f"sqlite:///{data / 'repo.db'}").open()
    last = store.last_seq()
    store.close()
    if db_url:
        return -1, last, last  # PostgreSQL's own full-text search follows in the store's transaction
    seq = json.loads((data / "index" / "oerrepo-index.json").read_text())["seq"]
    ix = index.open_dir(str(data / "index"))
    with ix.searcher() as s:
        docs = s.doc_count()
    ix.close()
    return docs, seq, last


def check_current(data: Path, n: int, what: str, db_url: str | None = None) -> None:
    docs, seq, last = index_state(data, db_url)
    if seq != last or (docs != -1 and docs != n):
        raise SystemExit(f"{what}: the index is not current when the command returns "
                         f"(documents {docs} of {n}, index seq {seq}, store seq {last})")


def harvest_records(n: int) -> list[dict]:
    """The harvest benchmark's oai_dc records as the plain Whoosh anchor reads them."""
    return [
        {
            "id": f"oai:bench.test:{i}",
            "title": f"Open schooling blueprint {i}: measuring the school garden's biodiversity",
            "description": f"Pupils map the plants and insects of their school grounds ({i}) and share "
            "the data with a science centre.",
            "keywords": ["biodiversity", "SDG 15"],
        }
        for i in range(n)
    ]


class Partner:
    """The harvest benchmark's OAI-PMH partner in a process of its own."""

    def __init__(self, n: int, latency: float, work: Path):
        port_file = work / f"port-{uuid.uuid4().hex[:6]}"
        self.proc = subprocess.Popen(me("serve", str(n), str(latency), str(port_file)))
        deadline = time.monotonic() + 300
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("the benchmark partner did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text()}/oai"

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


# -- one size -----------------------------------------------------------------------------------


def bench_size(n: int, work: Path, only: set[str], pg: str | None, out: dict) -> None:
    work.mkdir(parents=True, exist_ok=True)
    fig = out.setdefault(n, {})

    def line(label: str, result: dict, rate_unit: str = "records/s", count: int = n) -> float:
        rate = count / result["seconds"]
        print(f"  {label:44} {result['seconds']:8.2f} s {rate:10.0f} {rate_unit}  peak {result['peak_mb']:6.0f} MB"
              f"  cpu {result['cpu']:7.1f} s", flush=True)
        fig[label] = {"seconds": round(result["seconds"], 2), "rate": round(rate), "peak_mb": round(result["peak_mb"]),
                      "cpu_s": round(result["cpu"], 1)}
        return rate

    def ratio(label: str, value: float, target: str) -> None:
        print(f"  = {label:42} {value:6.2f} x   (target {target})", flush=True)
        fig["ratio " + label] = round(value, 2)

    records = generate(n)
    records_file = work / "records.json"
    records_file.write_text(json.dumps(records), encoding="utf-8")
    plain_file = work / "plain.json"
    plain_file.write_text(json.dumps([
        {"id": r["id"], "title": " ".join(r["name"].values()), "description": " ".join(r["description"].values()),
         "keywords": r["keywords"]} for r in records
    ]))
    del records
    print(f"N = {n:,} generated records ({records_file.stat().st_size / 1e6:.0f} MB of JSON), "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    data = work / "data"
    if only & {"import", "reindex", "export"}:
        shutil.rmtree(work / "plain", ignore_errors=True)
        (work / "plain").mkdir()
        plain = line("anchor: plain Whoosh build", run(me("plain", str(plain_file), str(work / "plain"))))
        shutil.rmtree(data, ignore_errors=True)
        imp = run([*OERREPO, "--data", str(data), "import", str(records_file)])
        check_current(data, n, "import")
        ours = line("oerrepo import", imp)
        ratio("import / plain Whoosh", ours / plain, ">= 1.0")
        if pg:
            name, url = new_schema(pg)
            try:
                pimp = run([*OERREPO, "--data", str(work / "pgdata"), "--db", url, "import", str(records_file)])
                check_current(work / "pgdata", n, "import on PostgreSQL", url)
                ratio("import PostgreSQL / SQLite", line("oerrepo import (PostgreSQL)", pimp) / ours, ">= 1.0")
            finally:
                drop_schema(pg, name)
        if "reindex" in only:
            rex = line("oerrepo reindex", run([*OERREPO, "--data", str(data), "reindex"]))
            check_current(data, n, "reindex")
            ratio("reindex / plain Whoosh", rex / plain, ">= 1.5")
            shutil.rmtree(work / "bare", ignore_errors=True)
            (work / "bare").mkdir()
            bare = run(me("bare", str(records_file), str(work / "bare")))
            writer_s = json.loads(bare["stdout"].strip().splitlines()[-1])["writer_seconds"]
            print(f"  {'bare Whoosh, our schema (writer alone)':44} {writer_s:8.2f} s {n / writer_s:10.0f} records/s",
                  flush=True)
            ratio("reindex time / bare Whoosh ours", fig["oerrepo reindex"]["seconds"] / writer_s, "<= 1.3")
        if "export" in only:
            for fmt, ext in (("nt", "nt"), ("turtle", "ttl")):
                target = work / f"export.{ext}"
                exp = run([*OERREPO, "--data", str(data), "export", "--format", fmt, "--output", str(target)])
                # "N resources, T triples written to ..."
                fig["triples"] = int(exp["stderr"].strip().splitlines()[-1].split()[2])
                ours_rate = line(f"oerrepo export --format {fmt}", exp, "triples/s", fig["triples"])
                ref = run(me("rdflib", str(work / "export.nt"), fmt, str(work / f"rdflib.{ext}")))
                ref_rate = line(f"anchor: rdflib parse + serialise {fmt}", ref, "triples/s", fig["triples"])
                ratio(f"export {fmt} / rdflib", ours_rate / ref_rate, ">= 4")
    if "harvest" in only:
        hfile = work / "harvest-plain.json"
        hfile.write_text(json.dumps(harvest_records(n)))
        shutil.rmtree(work / "hplain", ignore_errors=True)
        (work / "hplain").mkdir()
        hplain = line("anchor: plain Whoosh build (oai_dc records)", run(me("plain", str(hfile), str(work / "hplain"))))
        partner = Partner(n, 0.0, work)
        try:
            shutil.rmtree(work / "hdata", ignore_errors=True)
            har = run([*OERREPO, "--data", str(work / "hdata"), "harvest", partner.url, "--prefix", "oai_dc"])
            check_current(work / "hdata", n, "harvest")
            ours = line("oerrepo harvest (loopback)", har)
            ratio("harvest / plain Whoosh", ours / hplain, ">= 1.0")
            if pg:
                name, url = new_schema(pg)
                try:
                    phar = run([*OERREPO, "--data", str(work / "hpgdata"), "--db", url, "harvest", partner.url,
                                "--prefix", "oai_dc"])
                    check_current(work / "hpgdata", n, "harvest on PostgreSQL", url)
                    ratio("harvest PostgreSQL / SQLite", line("oerrepo harvest (PostgreSQL)", phar) / ours, ">= 1.0")
                finally:
                    drop_schema(pg, name)
        finally:
            partner.close()
        partner = Partner(n, 0.05, work)
        try:
            bare = line("anchor: bare client, 50 ms a page", run(me("client", partner.url)))
            shutil.rmtree(work / "hdata50", ignore_errors=True)
            slow = run([*OERREPO, "--data", str(work / "hdata50"), "harvest", partner.url, "--prefix", "oai_dc"])
            check_current(work / "hdata50", n, "harvest at 50 ms a page")
            ratio("harvest / bare client at 50 ms", line("oerrepo harvest, 50 ms a page", slow) / bare, ">= 0.9")
        finally:
            partner.close()


def _bytecode_written() -> None:
    """Write the bytecode of the package the ``oerrepo`` processes import, as installing it does
    (pip compiles every module): run from a checkout where Python writes none
    (PYTHONDONTWRITEBYTECODE), each process would compile some 75 modules from source first
    (0.07 s of a harvest of one page, in each of its processes)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("oerrepo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="record counts (default 20000 and 100000)")
    parser.add_argument("--quick", action="store_true", help="2,000 and 5,000 records")
    parser.add_argument("--only", default="import,reindex,export,harvest", help="which of import,reindex,export,harvest")
    parser.add_argument("--pg", default=os.environ.get("OERREPO_TEST_PG_URL"), help="a PostgreSQL URL for the --db runs")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--dir", help="work folder (default: a temporary one, removed afterwards)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--rounds", type=int, default=1, help="measure every size this many times over (medians at the end)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        {"plain": child_plain_whoosh, "bare": child_bare_ours, "rdflib": child_rdflib, "client": child_bare_client,
         "serve": lambda n, lat, port: child_serve(int(n), float(lat), port)}[kind](*rest)
        return
    _bytecode_written()
    sizes = args.n or ([2000, 5000] if args.quick else [20000, 100000])
    only = set(args.only.split(","))
    pg = None if args.no_pg else args.pg
    work = Path(args.dir or tempfile.mkdtemp(prefix="bench-bulk-"))
    print(f"{os.cpu_count()} cores; every figure a whole process; PostgreSQL: {'yes' if pg else 'no'}")
    figures: dict = {}
    rounds: list[dict] = []
    try:
        for r in range(max(1, args.rounds)):
            if args.rounds > 1:
                print(f"-- round {r + 1} of {args.rounds}", flush=True)
            figures = {}
            for n in sizes:
                bench_size(n, work / str(n), only, pg, figures)
            rounds.append(figures)
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    if len(figures) > 1:
        small, large = min(figures), max(figures)
        print(f"peak memory of all processes, {small:,} -> {large:,} records ({large / small:.0f} x the records):")
        for label, fig in figures[small].items():
            other = figures[large].get(label)
            if isinstance(fig, dict) and isinstance(other, dict):
                growth = other["peak_mb"] / fig["peak_mb"]
                print(f"  {label:44} {fig['peak_mb']:6} -> {other['peak_mb']:6} MB  ({growth:.2f} x)", flush=True)
    if len(rounds) > 1:
        print(f"ratios over {len(rounds)} rounds (each against its own round's anchor): median [rounds]")
        for n in sizes:
            for label in rounds[0].get(n, {}):
                if label.startswith("ratio "):
                    values = [r[n][label] for r in rounds if label in r.get(n, {})]
                    print(f"  {n:>7,} {label[6:]:42} {statistics.median(values):6.2f} x  "
                          f"[{', '.join(f'{v:.2f}' for v in values)}]", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rounds if len(rounds) > 1 else figures, indent=1))


if __name__ == "__main__":
    main()
