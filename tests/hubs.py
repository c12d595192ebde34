"""Hubs of a network for the tests: each its own data folder and base URL, served by a real
``oerrepo serve`` process on a loopback port, changed and harvested with the ``oerrepo`` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from click.testing import CliRunner

from oerrepo import Repository
from oerrepo.cli import cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """One hub: ``init`` with its own base URL, ``serve`` as a subprocess, the CLI for the rest."""

    def __init__(self, root: Path, name: str):
        self.name = name
        self.data = root / name
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.oai = f"{self.base_url}/oai"
        self.process: subprocess.Popen | None = None
        self.runner = CliRunner()

    def cli(self, *args: str) -> str:
        """Run ``oerrepo --data <folder> ARGS``; its standard output (messages on stderr left out)."""
        result = self.runner.invoke(cli, ["--data", str(self.data), *args])
        assert result.exit_code == 0, f"{self.name}: oerrepo {' '.join(args)}\n{result.output}"
        return result.stdout

    def init(self, *, samples: bool = False) -> None:
        self.cli("init", "--base-url", self.base_url, "--name", f"Hub {self.name}",
                 "--admin-email", f"oer@{self.name}.example.org", *(["--samples"] if samples else []))

    def add(self, *records: dict) -> None:
        path = self.data.parent / f"{self.name}-add.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
        self.cli("add", str(path))

    def serve(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oerrepo", "--data", str(self.data), "serve", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name}: serve ended: {self.process.stderr.read().decode()}")
            try:
                if requests.get(f"{self.base_url}/health", timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"{self.name}: serve did not answer on {self.base_url}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def harvests(self, *partners: Hub) -> None:
        for partner in partners:
            self.cli("sources", "add", partner.name, partner.oai)

    def harvest(self) -> dict:
        """One round: ``oerrepo harvest --all --json``; returns the totals."""
        report = json.loads(self.cli("harvest", "--all", "--json"))
        assert report["ok"], report
        return report["totals"]

    def repo(self) -> Repository:
        return Repository(self.data)

    def records(self) -> dict[str, dict]:
        repo = self.repo()
        try:
            return {r.id: r.data for r in repo.iter()}
        finally:
            repo.close()

    def get(self, verb: str, **args: str) -> bytes:
        reply = requests.get(self.oai, params={"verb": verb, **args}, timeout=30)
        reply.raise_for_status()
        return reply.content
