"""Threads sharing one Repository: concurrent changes are never lost and shared caches stay consistent."""

from __future__ import annotations

import sys
import threading

import pytest

from oerrepo import Repository

RECORD = {"id": "bee-hotels", "name": "Bee hotels", "license": "CC-BY-4.0", "url": "https://example.org/bees"}


@pytest.fixture
def repo(data_dir):
    with Repository(data_dir) as r:
        yield r


def _at_once(*jobs) -> None:
    """Run the jobs in threads released together; re-raise the first failure."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        start.wait()
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_concurrent_merges_of_different_properties_keep_both(repo, backend):
    repo.add(RECORD)
    for round_ in range(15):
        _at_once(
            lambda n=round_: repo.update("bee-hotels", {"description": f"round {n}"}, merge=True),
            lambda n=round_: repo.update("bee-hotels", {"keywords": [f"bees {n}"]}, merge=True),
        )
        stored = repo.get("bee-hotels").data
        assert stored["keywords"] == [f"bees {round_}"], round_
        assert repo.get("bee-hotels").text("description") == f"round {round_}", round_


def test_the_feeds_shared_cache_survives_concurrent_feeds_with_other_settings(tmp_path):
    repo = Repository(tmp_path / "d")
    repo.add(RECORD)
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet the race
    try:
        def answer(base_url: str):
            def job():
                for _ in range(300):
                    # another address makes the feed drop the rendered records of the others
                    repo.oai_response({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}, base_url=base_url)
            return job

        _at_once(*(answer(f"http://hub-{n}.example.org") for n in range(4)))
    finally:
        sys.setswitchinterval(before)
        repo.close()
