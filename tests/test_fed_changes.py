"""FedChanges: the change seqs a feed wrote, kept as runs."""

from __future__ import annotations

import random

from oerrepo.index.fed import FedChanges


def test_an_import_s_seqs_are_one_run():
    fed = FedChanges()
    for seq in range(1001, 101_001):
        fed.add(seq)
    assert len(fed) == 100_000 and fed.runs == 1
    assert 1001 in fed and 101_000 in fed and 50_000 in fed
    assert 1000 not in fed and 101_001 not in fed and "1001" not in fed
    # A catch-up from the index's last seq (1000) skips them all; from within, the rest.
    assert (fed.held_through(1000), fed.held_through(50_000), fed.held_through(101_000)) == (101_000, 101_000, 101_000)
    assert (fed.held_through(999), fed.held_through(101_001)) == (999, 101_001)


def test_any_order_holds_exactly_the_seqs_added():
    rng = random.Random(7)
    for _ in range(200):
        wanted = set(rng.sample(range(1, 80), rng.randint(0, 60)))
        fed = FedChanges()
        order = list(wanted) + rng.sample(sorted(wanted), len(wanted) // 3)  # some twice
        rng.shuffle(order)
        for seq in order:
            fed.add(seq)
        assert {s for s in range(0, 82) if s in fed} == wanted
        assert len(fed) == len(wanted)
        runs = sum(1 for s in wanted if s - 1 not in wanted)
        assert fed.runs == runs
        for seq in range(0, 82):  # what a catch-up after seq may skip: every seq held after it
            through = seq
            while through + 1 in wanted:
                through += 1
            assert fed.held_through(seq) == through, (sorted(wanted), seq)


def test_clear_forgets():
    fed = FedChanges()
    for seq in (5, 6, 9):
        fed.add(seq)
    fed.clear()
    assert len(fed) == 0 and 5 not in fed and fed.runs == 0
    fed.add(9)
    assert 9 in fed and len(fed) == 1
