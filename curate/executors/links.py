"""The keys that tie rows of a partitioned step together, as integers, and the parts they make.

A ``PartitionedStage`` gives each row's links as strings (a group, a prompt cluster); held as
Python strings for a million rows they cost hundreds of megabytes and a dictionary union-find
over them as much again. Each shard's links are kept instead as 64-bit codes of the strings
(BLAKE2b, so equal on every run and machine) with each row's first position (``Links``), and
the parts are found by a union-find over the distinct codes, in numpy arrays.

Two different strings with one code (about one chance in 10^7 at 10^6 distinct links) tie
their rows into one part: a larger batch, never another output, since the output does not
depend on the batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from curate.dedup.clusters import Edges, UnionFind
from curate.dedup.hashing import string_code

Ints = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Links:
    """Per row, one or more codes: row ``i``'s are ``codes[starts[i]:starts[i + 1]]``."""

    codes: U64
    starts: Ints

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


def part_of_rows(links: Links) -> Ints:
    """The part of each row (rows tied by a shared code, directly or not), numbered in the
    order of each part's first row."""
    if links.rows == 0:
        return np.zeros(0, np.int64)
    distinct, code = np.unique(links.codes, return_inverse=True)
    code = code.astype(np.int64).reshape(-1)
    row = np.repeat(np.arange(links.rows, dtype=np.int64), np.diff(links.starts))
    first = code[links.starts[:-1]]
    sets = UnionFind(distinct.size)
    sets.union(Edges(first[row], code))
    root = sets.roots()[first]
    # Number the parts by their first row: ``np.unique`` gives each root's first row.
    roots, first_rows, part = np.unique(root, return_index=True, return_inverse=True)
    rank = np.empty(roots.size, dtype=np.int64)
    rank[np.argsort(first_rows, kind="stable")] = np.arange(roots.size, dtype=np.int64)
    found: Ints = rank[part.reshape(-1)]
    return found
