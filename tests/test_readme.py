"""The README's examples work as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_python_quickstart_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    quickstart = _python_blocks()[0]
    exec(compile(quickstart, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in out
    assert "Qualidade da água do rio" in out
    assert (tmp_path / "oer-data" / "repo.db").exists()


def test_the_python_search_and_export_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks()
    namespace: dict = {}
    for block in [blocks[0]] + [b for b in blocks[1:] if "repo.search(" in b or "repo.export(" in b]:
        exec(compile(block, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    kit = namespace["kit"].id
    assert "1 found" in out and f"{kit} Qualidade da água do rio" in out
    assert "1 resources written" in out and kit in (tmp_path / "catalogue.ttl").read_text(encoding="utf-8")


def test_the_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    main_job, tests = blocks[0].strip(), blocks[1].strip()
    assert "init --samples" in main_job and "serve" in main_job
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
