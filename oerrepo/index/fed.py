"""The store changes whose documents a feed wrote into the index ahead of their commit."""

from __future__ import annotations

from array import array
from bisect import bisect_right

__all__ = ["FedChanges"]


class FedChanges:
    """A set of change seqs, kept as runs of consecutive seqs.

    A feed writes the documents of changes its transaction makes one after another, so
    their seqs come in long runs: a 100,000-record import keeps a handful of runs where a
    dict kept an entry (and an int) for each record, ~10 MB that grew with the import.
    """

    __slots__ = ("_starts", "_ends", "_count")

    def __init__(self) -> None:
        self._starts = array("q")
        self._ends = array("q")
        self._count = 0

    def add(self, seq: int) -> None:
        """Take ``seq`` (in any order; seqs already held are ignored)."""
        starts, ends = self._starts, self._ends
        if ends and seq == ends[-1] + 1:  # the usual case: the next change of the job
            ends[-1] = seq
        elif not ends or seq > ends[-1]:
            starts.append(seq)
            ends.append(seq)
        else:
            i = bisect_right(starts, seq) - 1
            if i >= 0 and seq <= ends[i]:
                return
            joins_before = i >= 0 and ends[i] + 1 == seq
            joins_after = i + 1 < len(starts) and starts[i + 1] == seq + 1
            if joins_before and joins_after:
                ends[i] = ends[i + 1]
                del starts[i + 1]
                del ends[i + 1]
            elif joins_before:
                ends[i] = seq
            elif joins_after:
                starts[i + 1] = seq
            else:
                starts.insert(i + 1, seq)
                ends.insert(i + 1, seq)
        self._count += 1

    def __contains__(self, seq: object) -> bool:
        if not isinstance(seq, int):
            return False
        i = bisect_right(self._starts, seq) - 1
        return i >= 0 and seq <= self._ends[i]

    def held_through(self, seq: int) -> int:
        """The last seq of the run that goes on right after ``seq`` (every seq from ``seq + 1``
        to it is held); ``seq`` itself when ``seq + 1`` is not held."""
        i = bisect_right(self._starts, seq + 1) - 1
        return self._ends[i] if i >= 0 and seq < self._ends[i] else seq

    def update(self, other: FedChanges) -> None:
        """Take every seq ``other`` holds."""
        for start, end in zip(other._starts, other._ends):
            for seq in range(start, end + 1):
                self.add(seq)

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        """Forget every seq."""
        del self._starts[:], self._ends[:]
        self._count = 0

    @property
    def runs(self) -> int:
        """How many runs of consecutive seqs are held (what the memory grows with)."""
        return len(self._starts)
