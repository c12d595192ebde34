"""PostgreSQL versus the embedded SQLite store, in the same run.

    OERREPO_TEST_PG_URL=postgresql+psycopg://... python benchmarks/bench_postgres.py --n 100000

(`source scripts/ci-postgres.sh` starts a throwaway server and sets the variable.)
For each backend: import records/s (one import_records call, index updates excluded and
then measured separately as a rebuild), search p50/p95 over a fixed query mix with
facets, and a complete OAI-PMH ListRecords harvest (oai_dc, the feed's page size) by 1,
4 and 8 concurrent plain requests+lxml harvesters against `waitress` serving the WSGI app.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oerrepo import Repository  # noqa: E402

LANGS = ["en", "pt", "es", "de", "it", "nl", "el", "fr"]
WORDS = {
    "en": "energy water climate school garden bees pollution river solar wind recycling city forest ocean".split(),
    "pt": "energia água clima escola jardim abelhas poluição rio solar vento reciclagem cidade floresta".split(),
    "es": "energía agua clima escuela jardín abejas contaminación río solar viento reciclaje ciudad".split(),
    "de": "Energie Wasser Klima Schule Garten Bienen Verschmutzung Fluss Sonne Wind Stadt Wald".split(),
    "it": "energia acqua clima scuola giardino api inquinamento fiume solare vento città foresta".split(),
    "nl": "energie water klimaat school tuin bijen vervuiling rivier zon wind stad bos".split(),
    "el": "ενέργεια νερό κλίμα σχολείο κήπος μέλισσες ρύπανση ποτάμι ήλιος άνεμος πόλη δάσος".split(),
    "fr": "énergie eau climat école jardin abeilles pollution rivière solaire vent ville forêt".split(),
}
LICENSES = ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0"]
QUERIES = ["energy", "água", "Klima", "solar wind", '"solar energy"', "escola jardim", "πόλη", "forest*",
           "recycling OR reciclaje", "water NOT river"]


def records(n: int, seed: int = 7):
    rnd = random.Random(seed)
    for i in range(n):
        lang = LANGS[i % len(LANGS)]
        words = WORDS[lang]
        yield {
            "id": f"bench-{i:07d}",
            "name": {lang: " ".join(rnd.sample(words, 3)).capitalize()},
            "description": {lang: " ".join(rnd.choice(words) for _ in range(30))},
            "inLanguage": [lang],
            "license": LICENSES[i % len(LICENSES)],
            "sdg": [str(rnd.randint(1, 17))],
            "learningResourceType": ["lesson_plan" if i % 2 else "experiment"],
            "educationalLevel": [f"ISCED-{rnd.randint(1, 3)}"],
            "keywords": rnd.sample(words, 2),
        }


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def harvest(endpoint: str) -> int:
    count, params = 0, {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    session = requests.Session()
    while True:
        root = etree.fromstring(session.get(endpoint, params=params, timeout=300).content)
        count += sum(1 for _ in root.iter("{http://www.openarchives.org/OAI/2.0/}record"))
        token = root.findtext(".//{http://www.openarchives.org/OAI/2.0/}resumptionToken")
        if not token:
            return count
        params = {"verb": "ListRecords", "resumptionToken": token}


def run(label: str, repo: Repository, n: int, harvesters: list[int], queries: int) -> dict:
    out: dict = {}
    repo.store
    # Import without index updates, then build the index once: the two costs apart.
    t = time.perf_counter()
    repo.import_records(records(n), origin="bench")
    out["import_rps"] = n / (time.perf_counter() - t)
    t = time.perf_counter()
    repo.reindex()
    out["index_rps"] = n / (time.perf_counter() - t)
    times = []
    rnd = random.Random(1)
    for i in range(queries):
        q = QUERIES[i % len(QUERIES)]
        filters = {} if i % 3 else {"language": rnd.choice(LANGS), "sdg": rnd.randint(1, 17)}
        t = time.perf_counter()
        repo.search(q, sort="date" if i % 5 == 0 else "relevance", **filters)
        times.append((time.perf_counter() - t) * 1000)
    out["search_p50_ms"] = statistics.median(times)
    out["search_p95_ms"] = percentile(times, 95)
    from waitress.server import create_server

    server = create_server(repo.wsgi_app(), host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.effective_port}/oai"
    for k in harvesters:
        results = []
        t = time.perf_counter()
        threads = [threading.Thread(target=lambda out=results: out.append(harvest(endpoint))) for _ in range(k)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t
        assert all(r >= n for r in results), results
        out[f"oai_rps_{k}"] = sum(results) / elapsed
    server.close()
    print(f"{label:<11}" + "  ".join(f"{k}={v:,.1f}" for k, v in out.items()), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--harvesters", default="1,4,8")
    args = parser.parse_args()
    harvesters = [int(x) for x in args.harvesters.split(",")]
    pg = os.environ.get("OERREPO_TEST_PG_URL")
    with tempfile.TemporaryDirectory() as tmp:
        results = {"sqlite": run("sqlite", Repository(Path(tmp) / "sqlite"), args.n, harvesters, args.queries)}
        if pg:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            engine = create_engine(pg)
            with engine.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            url = make_url(pg).update_query_dict({"options": f"-csearch_path={schema},public"})
            repo = Repository(Path(tmp) / "pg", db_url=url.render_as_string(hide_password=False))
            repo.store  # a PostgreSQL store searches with PostgreSQL's own full-text search
            try:
                results["postgresql"] = run("postgresql", repo, args.n, harvesters, args.queries)
            finally:
                repo.close()
                with engine.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        else:
            print("postgresql skipped: set OERREPO_TEST_PG_URL (source scripts/ci-postgres.sh)")
    if "postgresql" in results:
        print("ratio postgresql/sqlite: " + "  ".join(
            f"{k}={results['postgresql'][k] / results['sqlite'][k]:.2f}" for k in results["sqlite"]))


if __name__ == "__main__":
    main()
