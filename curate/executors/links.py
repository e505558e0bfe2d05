"""The keys that tie rows of a partitioned step together, as integers, and the parts they make.

A ``PartitionedStage`` gives each row's links as strings (a group, a prompt cluster); held as
Python strings for a million rows they cost hundreds of megabytes and a dictionary union-find
over them as much again. Each shard's links are kept instead as 64-bit codes of the strings
(BLAKE2b, so equal on every run and machine) with each row's first position (``Links``), and
the parts are found by a ``Joiner`` (``curate.dedup.joining``): rows sharing a code joined
as stars to the smallest, then components whose root is their first row; in numpy arrays
in this process, or on the Ray cluster when the Ray executor gives its joiner.

Two different strings with one code (about one chance in 10^7 at 10^6 distinct links) tie
their rows into one part: a larger batch, never another output, since the output does not
depend on the batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from curate.dedup.arrays import U64, Int64s
from curate.dedup.hashing import string_code
from curate.dedup.joining import IN_PROCESS, Joiner, parts_by_first_row


@dataclass(frozen=True)
class Links:
    """Per row, one or more codes: row ``i``'s are ``codes[starts[i]:starts[i + 1]]``."""

    codes: U64
    starts: Int64s

    @property
    def rows(self) -> int:
        return int(self.starts.size - 1)

    @classmethod
    def encode(cls, links: Sequence[Sequence[str]]) -> Links:
        counts = [len(row) for row in links]
        if any(count == 0 for count in counts):
            raise ValueError("every row needs at least one link")
        codes = [string_code(key) for row in links for key in row]
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(np.asarray(codes, dtype=np.uint64).reshape(-1), starts)

    @classmethod
    def concat(cls, parts: Sequence[Links]) -> Links:
        """The rows of ``parts`` one after the other."""
        if not parts:
            return cls(np.zeros(0, np.uint64), np.zeros(1, np.int64))
        codes = np.concatenate([part.codes for part in parts])
        heights = np.concatenate([np.diff(part.starts) for part in parts])
        starts = np.zeros(heights.size + 1, dtype=np.int64)
        np.cumsum(heights, out=starts[1:])
        return cls(codes, starts)


def part_of_rows(links: Links, joiner: Joiner = IN_PROCESS) -> Int64s:
    """The part of each row (rows tied by a shared code, directly or not), numbered in the
    order of each part's first row; ``joiner`` finds the rows sharing a code and joins them
    (in this process by default, on a cluster if an executor gives one)."""
    if links.rows == 0:
        return np.zeros(0, np.int64)
    row = np.repeat(np.arange(links.rows, dtype=np.int64), np.diff(links.starts))
    return parts_by_first_row(links.rows, row, links.codes, joiner)
