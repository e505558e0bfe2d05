"""Exact Jaccard of candidate pairs, from shingle sets computed again for those rows only.

A MinHash estimate with 128 permutations has a standard deviation of ~0.035 at J = 0.8, so
pairs within a few hundredths of the threshold land on either side by chance. LSH only
nominates candidates; their shingle sets are then rebuilt (about a third of the cost of a
signature, paid for candidate rows only) and compared exactly, so ``threshold: 0.8``
means what it says. Sets are kept as sorted distinct 32-bit hashes, concatenated, with an
offset per row (never a Python set per row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from curate.dedup.arrays import U32, U64, Floats, Int64s, sorted_distinct

CHUNK_VALUES: Final = 1 << 22

PARTS: Final = ("prompt", "reply", "whole")
Shingler = Callable[[Int64s], "Iterable[tuple[SetTable, SetTable]]"]
"""Rows -> the prompt and reply shingle sets of those rows, in that order, chunk by chunk."""


@dataclass(frozen=True)
class SetTable:
    """Sorted distinct values per row: ``values[offsets[i]:offsets[i + 1]]`` is row ``i``."""

    values: U32
    offsets: Int64s

    @classmethod
    def from_runs(cls, values: U32, counts: Int64s) -> SetTable:
        """Sort and deduplicate each row's run of ``values`` (``counts[i]`` values for row ``i``)."""
        rows = np.repeat(np.arange(counts.size, dtype=np.uint64), counts)
        return cls._from_keys((rows << np.uint64(32)) | values.astype(np.uint64), counts.size)

    @classmethod
    def _from_keys(cls, keys: U64, rows: int) -> SetTable:
        keys = sorted_distinct(keys)
        sizes = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=rows)
        return cls(values=(keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), offsets=_offsets(sizes))

    def keys(self) -> U64:
        """``row << 32 | value`` for every value."""
        rows = np.repeat(np.arange(self.sizes.size, dtype=np.uint64), self.sizes)
        return (rows << np.uint64(32)) | self.values.astype(np.uint64)

    def union(self, other: SetTable) -> SetTable:
        """Row by row union of two tables over the same rows."""
        return SetTable._from_keys(np.concatenate([self.keys(), other.keys()]), self.sizes.size)

    @property
    def sizes(self) -> Int64s:
        return np.diff(self.offsets)


def _offsets(sizes: Int64s) -> Int64s:
    offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def _gather(table: SetTable, rows: Int64s) -> tuple[U32, Int64s]:
    sizes = table.sizes[rows]
    starts = np.repeat(table.offsets[rows], sizes)
    within = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return table.values[starts + within], sizes


def jaccard(left: SetTable, left_rows: Int64s, right: SetTable, right_rows: Int64s) -> Floats:
    """Exact Jaccard of the pairs ``(left_rows[i], right_rows[i])``; 0 when both sets are empty."""
    result = np.zeros(left_rows.size, dtype=np.float64)
    sizes = left.sizes[left_rows] + right.sizes[right_rows]
    start = 0
    while start < left_rows.size:
        stop = max(int(np.searchsorted(np.cumsum(sizes[start:]), CHUNK_VALUES)) + start, start + 1)
        stop = min(stop, left_rows.size)
        a, a_sizes = _gather(left, left_rows[start:stop])
        b, b_sizes = _gather(right, right_rows[start:stop])
        pairs = np.arange(stop - start, dtype=np.uint64)
        keys = np.sort(
            np.concatenate(
                [
                    (np.repeat(pairs, a_sizes) << np.uint64(32)) | a.astype(np.uint64),
                    (np.repeat(pairs, b_sizes) << np.uint64(32)) | b.astype(np.uint64),
                ]
            )
        )
        both = keys[1:][keys[1:] == keys[:-1]] >> np.uint64(32)
        common = np.bincount(both.astype(np.int64), minlength=stop - start)
        union = a_sizes + b_sizes - common
        result[start:stop] = np.divide(common, union, out=np.zeros(union.size), where=union > 0)
        start = stop
    return result


@dataclass
class ExactSets:
    """Prompt, reply and whole-conversation shingle sets, built on first use for the rows asked."""

    shingler: Shingler
    size: int
    _slot: Int64s = field(init=False)
    _tables: dict[str, SetTable] = field(init=False)

    def __post_init__(self) -> None:
        self._slot = np.full(self.size, -1, dtype=np.int64)
        empty = SetTable(np.zeros(0, np.uint32), np.zeros(1, np.int64))
        self._tables = dict.fromkeys(PARTS, empty)

    def _ensure(self, rows: Int64s) -> dict[str, SetTable]:
        missing = sorted_distinct(rows[self._slot[rows] < 0])
        if missing.size:
            found: dict[str, list[SetTable]] = {part: [self._tables[part]] for part in PARTS}
            for prompt, reply in self.shingler(missing):
                found["prompt"].append(prompt)
                found["reply"].append(reply)
                found["whole"].append(prompt.union(reply))
            self._slot[missing] = np.arange(missing.size) + self._tables["whole"].sizes.size
            self._tables = {part: _stack(tables) for part, tables in found.items()}
        return self._tables

    def jaccard(self, left: Int64s, right: Int64s, part: str) -> Floats:
        """Exact Jaccard of row pairs' ``part``: ``prompt``, ``reply`` or ``whole``."""
        table = self._ensure(np.concatenate([left, right]))[part]
        return jaccard(table, self._slot[left], table, self._slot[right])


def _stack(tables: list[SetTable]) -> SetTable:
    """The rows of ``tables`` one after the other (``ExactSets`` always passes at least one)."""
    values = np.concatenate([t.values for t in tables])
    return SetTable(values, _offsets(np.concatenate([t.sizes for t in tables])))
