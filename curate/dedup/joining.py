"""Rows tied by shared keys: candidate pairs (stars) and connected components (joins).

A ``Joiner`` does the two whole-data operations clustering needs, wherever they run:

- ``stars``: the candidate pairs of rows that share a key in one key column, as a star per
  key (every row joined to the smallest row with that key: 100,000 copies of "hi" make 99,999
  pairs, not 5e9), in blocks a caller can verify one at a time;
- ``join``: the root (smallest row) of every row's component, given edges in blocks and,
  optionally, the roots of an earlier join to extend.

``InProcess`` (the default, and the local executor's) does both in numpy in this process.
The Ray executor can hand a stage one that groups and joins on the cluster instead
(``curate.executors.ray.components.OnRay``), through ``RunContext.joiner``; stage modules
only ever see this protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from curate.dedup.arrays import U64, Bools, Int64s


@dataclass(frozen=True)
class Edges:
    """Pairs ``(left[i], right[i])`` of rows (or positions) tied together."""

    left: Int64s
    right: Int64s

    @classmethod
    def none(cls) -> Edges:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64))

    @classmethod
    def join(cls, parts: Iterable[Edges]) -> Edges:
        parts = list(parts)
        if not parts:
            return cls.none()
        return cls(np.concatenate([p.left for p in parts]), np.concatenate([p.right for p in parts]))

    @property
    def size(self) -> int:
        return int(self.left.size)

    def where(self, mask: Bools) -> Edges:
        return Edges(self.left[mask], self.right[mask])

    def through(self, mapping: Int64s) -> Edges:
        """The same edges with each end renamed by ``mapping``."""
        return Edges(mapping[self.left], mapping[self.right])


class Joiner(Protocol):
    """Where candidate pairs are found and components joined (see the module docstring)."""

    def stars(self, rows: Int64s, keys: U64, column: Int64s | None = None) -> Iterator[Edges]:
        """Pairs of rows sharing a key in one column: within each (column, key), every row
        joined to the group's smallest row, as ``Edges(smallest, row)``.

        ``keys`` is either one key per entry, entry ``i`` being row ``rows[i]`` with key
        ``keys[i]`` in column ``column[i]`` (all in one column when ``column`` is None), so a
        row may appear with any number of keys; or a matrix of ``rows.size`` x columns, row
        ``rows[i]`` having key ``keys[i, c]`` in column ``c`` (LSH bands), ``column`` None.
        Rows are any non-negative integers, in any order.

        Yields the pairs in any number of blocks (none when no key is shared), in no
        particular order; ``left < right`` in each pair. A pair may come more than once (two
        columns sharing it, in one block or two; a row given twice with one key); a row
        never pairs with itself.
        """
        ...

    def join(self, size: int, edges: Iterable[Edges], roots: Int64s | None = None) -> Int64s:
        """The root of each of the rows ``0..size-1``: the smallest row of its component over
        ``edges`` (blocks, ends below ``size``, consumed once, in order) and, when given, the
        components of ``roots`` (what an earlier ``join`` over ``size`` rows returned)."""
        ...


@dataclass(frozen=True)
class InProcess:
    """Stars by sorting and joins by a numpy union-find, in this process; stars come as one
    block (so a caller can drop pairs repeated across columns before verifying any)."""

    def stars(self, rows: Int64s, keys: U64, column: Int64s | None = None) -> Iterator[Edges]:
        found = Edges.join(
            star_edges(column_keys, column_rows) for column_rows, column_keys in by_column(rows, keys, column)
        )
        if found.size:
            yield found

    def join(self, size: int, edges: Iterable[Edges], roots: Int64s | None = None) -> Int64s:
        sets = UnionFind(size) if roots is None else UnionFind.of_roots(roots)
        for block in edges:
            sets.union(block)
        return sets.roots()


IN_PROCESS = InProcess()


def parts_by_first_row(size: int, rows: Int64s, keys: U64, joiner: Joiner = IN_PROCESS) -> Int64s:
    """The part of each of the rows ``0..size-1`` tied by shared keys (row ``rows[i]`` has key
    ``keys[i]``; a row may have several), numbered in the order of each part's first row."""
    roots = joiner.join(size, joiner.stars(rows, keys))
    # A part's root is its first row, so numbering the roots in row order numbers the parts
    # in the order of their first rows, without a sort.
    is_root = roots == np.arange(size, dtype=np.int64)
    part: Int64s = (np.cumsum(is_root, dtype=np.int64) - 1)[roots]
    return part


def by_column(rows: Int64s, keys: U64, column: Int64s | None) -> Iterator[tuple[Int64s, U64]]:
    """The (rows, keys) of each key column, the columns in ascending order."""
    if keys.ndim == 2:
        if column is not None:
            raise ValueError("a matrix of keys has its columns already; give no column")
        for number in range(keys.shape[1]):
            yield rows, keys[:, number]
        return
    if column is None:
        yield rows, keys
        return
    if column.size > 1 and not bool(np.all(column[1:] >= column[:-1])):
        order = np.argsort(column, kind="stable")
        rows, keys, column = rows[order], keys[order], column[order]
    bounds = np.flatnonzero(column[1:] != column[:-1]) + 1
    for start, stop in zip(np.r_[0, bounds], np.r_[bounds, column.size], strict=True):
        yield rows[start:stop], keys[start:stop]


def star_edges(keys: npt.NDArray[np.generic], rows: Int64s | None = None) -> Edges:
    """Join every row to the smallest row with the same key; ``rows`` defaults to the
    positions of ``keys`` (every position joined to the first with its key). A row given
    twice with one key is not joined to itself. The edges come in no particular order."""
    if keys.size < 2:
        return Edges.none()
    members = np.arange(keys.size, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    # Any sort groups equal keys; each group's smallest row comes from a reduction, not from a
    # stable order, which costs twice as much on 64-bit keys.
    order = np.argsort(keys)
    sorted_keys = keys[order]
    head = np.empty(keys.size, dtype=bool)
    head[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=head[1:])
    ordered = members[order]
    smallest = np.minimum.reduceat(ordered, np.flatnonzero(head))
    center = smallest[np.cumsum(head) - 1]
    joined = ordered != center
    return Edges(center[joined], ordered[joined])


class UnionFind:
    """Disjoint sets over ``0..size-1`` whose root is always the smallest member.

    Edges are merged in vectorised rounds (hook the larger root under the smaller, then
    compress paths), not one Python call per edge.
    """

    def __init__(self, size: int) -> None:
        self.parent: Int64s = np.arange(size, dtype=np.int64)

    @classmethod
    def of_roots(cls, roots: Int64s) -> UnionFind:
        """The sets an earlier ``roots()`` described."""
        sets = cls(0)
        sets.parent = np.array(roots, dtype=np.int64)
        return sets

    def union(self, edges: Edges) -> None:
        left, right = edges.left, edges.right
        while left.size:
            self._compress()
            a, b = self.parent[left], self.parent[right]
            open_ = a != b
            left, right, a, b = left[open_], right[open_], a[open_], b[open_]
            if left.size:
                np.minimum.at(self.parent, np.maximum(a, b), np.minimum(a, b))
        self._compress()

    def _compress(self) -> None:
        while True:
            grand = self.parent[self.parent]
            if np.array_equal(grand, self.parent):
                return
            self.parent = grand

    def roots(self) -> Int64s:
        return self.parent.copy()
