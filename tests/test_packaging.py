"""The built wheel works in a fresh virtual environment, from outside the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)],
        capture_output=True, text=True,
    )
    if build.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{build.stderr[-3000:]}")
    wheel = next((work / "dist").glob("oerrepo-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    # The dependencies come from this interpreter's site-packages (a path in a .pth file
    # does not run that folder's own .pth files, so an editable checkout stays out of sight).
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    Path(purelib, "deps-from-test-runner.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    return bindir, work


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OERREPO_DATA", "OERREPO_DB")}


def _run(bindir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bindir / "oerrepo"), *args], cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=300
    )


def test_the_wheel_ships_code_schemas_and_samples(installed):
    bindir, work = installed
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    probe = subprocess.run(
        [str(bindir / "python"), "-c",
         "import oerrepo, json; from importlib.resources import files;"
         "print(oerrepo.__file__);"
         "print(len(json.loads(files('oerrepo.samples').joinpath('blueprints.json').read_text())));"
         "print(files('oerrepo.schemas').joinpath('resource.schema.json').is_file())"],
        cwd=elsewhere, env=_clean_env(), capture_output=True, text=True,
    )
    assert probe.returncode == 0, probe.stderr
    location, samples, schema = probe.stdout.split()
    assert str(work / "venv") in location and str(ROOT) not in location
    assert int(samples) >= 40 and schema == "True"


def test_the_installed_command_runs_the_main_job(installed):
    bindir, work = installed
    cwd = work / "user"
    cwd.mkdir()
    init = _run(bindir, cwd, "init", "--samples")
    assert init.returncode == 0, init.stderr
    assert (cwd / "oer-data" / "repo.db").exists()
    listed = _run(bindir, cwd, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 40
    bad = _run(bindir, cwd, "show", "no-such-id")
    assert bad.returncode == 1 and bad.stderr.startswith("Error: ") and "Traceback" not in bad.stderr


_SITE_PROBE = """
import io, sys
from oerrepo import Repository
repo = Repository(sys.argv[1])
repo.load_samples()
app = repo.wsgi_app()
for path, query in (("/", "lang=de"), ("/search", "q=water&lang=el"), ("/static/site.css", ""), ("/static/site.js", "")):
    seen = {}
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "8000", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
           "HTTP_ACCEPT": "text/html"}
    body = b"".join(app(env, lambda status, headers: seen.update(status=status)))
    print(path, seen["status"].split()[0], len(body), "Suche" in body.decode() or "Αναζήτηση" in body.decode())
"""


def test_the_installed_site_serves_its_templates_translations_and_static_files(installed):
    bindir, work = installed
    probe = subprocess.run([str(bindir / "python"), "-c", _SITE_PROBE, str(work / "site-data")],
                           cwd=work, env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr
    lines = dict(line.split(" ", 1) for line in probe.stdout.splitlines())
    assert lines["/"].split()[0] == "200" and lines["/"].endswith("True")  # German from the wheel's catalogue
    assert lines["/search"].split()[0] == "200" and lines["/search"].endswith("True")  # Greek
    assert all(lines[f"/static/{name}"].split()[0] == "200" for name in ("site.css", "site.js"))


# The release of url-normalize in which each name oerrepo imports first appeared (read
# from the published wheels). harvesters/dedup.py runs its steps one by one, so the
# declared lower bound must be at least the newest of them, or a fresh install that
# resolves the bound fails on import.
_URL_NORMALIZE_SINCE = {
    **{f"{module}.{name}": "2.0.0" for module, names in {
        "generic_url_cleanup": ["generic_url_cleanup"], "normalize_fragment": ["normalize_fragment"],
        "normalize_host": ["normalize_host"], "normalize_path": ["normalize_path"],
        "normalize_port": ["normalize_port"], "normalize_query": ["normalize_query"],
        "normalize_scheme": ["DEFAULT_SCHEME", "normalize_scheme"], "normalize_userinfo": ["normalize_userinfo"],
        "provide_url_scheme": ["provide_url_scheme"], "tools": ["deconstruct_url", "reconstruct_url"],
        "url_normalize": ["url_normalize"],
    }.items() for name in names},
    "tools.cleanup_url_input": "3.0.1",
}


def test_the_declared_url_normalize_bound_provides_every_name_the_code_imports():
    import ast
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    imported = set()
    for path in (ROOT / "oerrepo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("url_normalize"):
                module = node.module.partition(".")[2] or "url_normalize"
                imported |= {f"{module}.{alias.name}" for alias in node.names}
    assert imported, "no url_normalize import found: drop the dependency or this test"
    unknown = imported - set(_URL_NORMALIZE_SINCE)
    assert not unknown, f"say in _URL_NORMALIZE_SINCE which release first has {sorted(unknown)}"
    needed = max(Version(_URL_NORMALIZE_SINCE[name]) for name in imported)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    spec = next(Requirement(d) for d in project["dependencies"] if Requirement(d).name == "url-normalize").specifier
    lower = max((Version(s.version) for s in spec if s.operator in (">=", "==", "~=")), default=None)
    assert lower is not None and lower >= needed, f"url-normalize{spec} allows releases before {needed}"
