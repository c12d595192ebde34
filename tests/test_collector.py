"""Bulk jobs collect garbage less often while they run, in every process they start, and leave
the collector's setting as they found it."""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
from oai_server import Partner, simple_records

from oerrepo import Repository
from oerrepo.collector import BULK_THRESHOLD, bulk_work
from oerrepo.errors import ImportFailed
from oerrepo.subprocesses import start_helper, start_indexing_helper


@pytest.fixture(autouse=True)
def python_defaults():
    """Python's own thresholds for each test, whatever the process had before."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def _records(n: int) -> list[dict]:
    return [{"id": f"kit-{i}", "name": {"en": f"Pond kit {i}"}, "license": "CC-BY-4.0"} for i in range(n)]


def test_an_import_runs_with_the_bulk_threshold_and_restores_python_s(tmp_path):
    seen: list[int] = []
    with Repository(tmp_path / "data") as repo:
        report = repo.import_records(_records(3), progress=lambda n: seen.append(gc.get_threshold()[0]))
        assert len(report.added) == 3
    assert seen == [BULK_THRESHOLD] * 3
    assert gc.get_threshold() == (700, 10, 10)


def test_an_import_that_fails_restores_the_threshold_too(tmp_path):
    with Repository(tmp_path / "data") as repo, pytest.raises(ImportFailed, match="nothing was imported"):
        repo.import_records([{"id": "no-name"}])
    assert gc.get_threshold() == (700, 10, 10)


def test_a_harvest_and_a_reindex_run_with_the_bulk_threshold(tmp_path):
    during: dict[str, list[int]] = {"harvest": [], "reindex": []}
    with Repository(tmp_path / "data") as repo:
        with Partner(simple_records(12), page_size=5) as partner:
            repo.harvest(partner.url, source="partner", backoff=0.01, retries=1, timeout=2.0,
                         progress=lambda **_: during["harvest"].append(gc.get_threshold()[0]))
        assert repo.count() == 12
        repo.reindex(progress=lambda *_: during["reindex"].append(gc.get_threshold()[0]))
    assert during["harvest"] == [BULK_THRESHOLD] * 3
    assert during["reindex"] and set(during["reindex"]) == {BULK_THRESHOLD}
    assert gc.get_threshold() == (700, 10, 10)


def test_a_callers_higher_threshold_or_collection_turned_off_is_left_alone():
    gc.set_threshold(50_000, 5, 5)
    with bulk_work():
        assert gc.get_threshold() == (50_000, 5, 5)
    assert gc.get_threshold() == (50_000, 5, 5)
    gc.set_threshold(0)  # the caller turned automatic collection off
    with bulk_work():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0


def test_a_bulk_job_inside_another_leaves_the_outer_setting_in_place():
    with bulk_work():
        with bulk_work():
            pass
        assert gc.get_threshold() == (BULK_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("start", [start_helper, start_indexing_helper])
def test_helper_processes_collect_as_bulk_work_does(start):
    # Spawned, as the harvest's preparing process and the index writers of a harvest are:
    # nothing is inherited from this process.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=start) as pool:
        assert pool.submit(gc.get_threshold).result(timeout=60) == (BULK_THRESHOLD, 10, 10)
