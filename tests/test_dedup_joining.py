"""The in-process joiner: stars and joins against plain-Python references."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.dedup.joining import IN_PROCESS, Edges, star_edges

Entries = tuple[list[int], list[int], list[int]]


@st.composite
def entries(draw: st.DrawFn) -> Entries:
    """Rows with 1..3 keys each in 1..3 columns, keys drawn from a few (heavy repeats)."""
    rows, keys, columns = [], [], []
    for row in draw(st.lists(st.integers(0, 30), max_size=40)):
        for _ in range(draw(st.integers(1, 3))):
            rows.append(row)
            keys.append(draw(st.integers(0, 4)))
            columns.append(draw(st.integers(0, 2)))
    return rows, keys, columns


def reference_stars(rows: list[int], keys: list[int], columns: list[int]) -> set[tuple[int, int]]:
    smallest: dict[tuple[int, int], int] = {}
    for row, key, column in zip(rows, keys, columns, strict=True):
        smallest[column, key] = min(row, smallest.get((column, key), row))
    return {
        (smallest[column, key], row)
        for row, key, column in zip(rows, keys, columns, strict=True)
        if row != smallest[column, key]
    }


def pairs(blocks: Any) -> set[tuple[int, int]]:
    found = Edges.join(list(blocks))
    assert (found.left < found.right).all()
    return set(zip(found.left.tolist(), found.right.tolist(), strict=True))


def arrays(rows: list[int], keys: list[int], columns: list[int]) -> tuple[Any, Any, Any]:
    return np.array(rows, np.int64), np.array(keys, np.uint64), np.array(columns, np.int64)


@settings(max_examples=60, deadline=None)
@given(entries())
def test_stars_join_each_row_to_the_smallest_with_its_key_per_column(case: Entries) -> None:
    rows, keys, columns = arrays(*case)
    assert pairs(IN_PROCESS.stars(rows, keys, columns)) == reference_stars(*case)
    assert pairs(IN_PROCESS.stars(rows, keys)) == reference_stars(case[0], case[1], [0] * len(case[0]))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), max_size=30))
def test_stars_of_a_key_matrix_are_its_columns_stars(matrix: list[list[int]]) -> None:
    rows = np.arange(len(matrix), dtype=np.int64) * 2
    keys = np.array(matrix, np.uint64).reshape(-1, 3)
    flat = (rows.repeat(3).tolist(), keys.ravel().tolist(), [0, 1, 2] * len(matrix))
    assert pairs(IN_PROCESS.stars(rows, keys)) == reference_stars(*flat)


def reference_roots(size: int, edges: list[tuple[int, int]]) -> list[int]:
    root = list(range(size))

    def find(row: int) -> int:
        while root[row] != row:
            row = root[row]
        return row

    for a, b in edges:
        ra, rb = find(a), find(b)
        root[max(ra, rb)] = min(ra, rb)
    return [find(row) for row in range(size)]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
    """Rows, an earlier join's edges and new ones (repeats, loops and chains included)."""
    size = draw(st.integers(1, 40))
    edge = st.tuples(st.integers(0, size - 1), st.integers(0, size - 1))
    return size, draw(st.lists(edge, max_size=50)), draw(st.lists(edge, max_size=50))


def blocks(edges: list[tuple[int, int]], count: int) -> list[Edges]:
    ends = np.array(edges, np.int64).reshape(-1, 2)
    return [Edges(part[:, 0], part[:, 1]) for part in np.array_split(ends, count)]


@settings(max_examples=60, deadline=None)
@given(graphs(), st.integers(1, 3))
def test_join_extends_earlier_roots(graph: tuple[int, Any, Any], count: int) -> None:
    size, earlier, new = graph
    roots = IN_PROCESS.join(size, blocks(earlier, count))
    assert roots.tolist() == reference_roots(size, earlier)
    assert IN_PROCESS.join(size, blocks(new, count), roots).tolist() == reference_roots(size, earlier + new)


@pytest.mark.parametrize(
    ("keys", "rows", "expected"),
    [
        ([5, 5, 5], None, [(0, 1), (0, 2)]),
        ([5, 5, 5], [9, 3, 7], [(3, 7), (3, 9)]),
        ([1, 2, 1, 2], [4, 4, 4, 8], [(4, 8)]),
        ([7], [0], []),
    ],
)
def test_star_edges(keys: list[int], rows: list[int] | None, expected: list[tuple[int, int]]) -> None:
    found = star_edges(np.array(keys, np.uint64), None if rows is None else np.array(rows, np.int64))
    assert sorted(zip(found.left.tolist(), found.right.tolist(), strict=True)) == expected
