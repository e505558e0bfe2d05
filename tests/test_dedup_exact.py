"""Exact Jaccard on sorted shingle sets, row by row and pair by pair."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.dedup.exact import ExactSets, SetTable, jaccard

sets = st.lists(st.lists(st.integers(0, 30), max_size=20), min_size=1, max_size=12)


def table(rows: list[list[int]]) -> SetTable:
    values = np.array([v for row in rows for v in row], dtype=np.uint32)
    return SetTable.from_runs(values, np.array([len(row) for row in rows], dtype=np.int64))


def expected(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


@settings(max_examples=80, deadline=None)
@given(sets, st.data())
def test_jaccard_matches_python_sets(rows: list[list[int]], data: st.DataObject) -> None:
    found = table(rows)
    assert [found.values[found.offsets[i] : found.offsets[i + 1]].tolist() for i in range(len(rows))] == [
        sorted(set(row)) for row in rows
    ]
    pairs = data.draw(
        st.lists(st.tuples(st.integers(0, len(rows) - 1), st.integers(0, len(rows) - 1)), max_size=30)
    )
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    right = np.array([b for _, b in pairs], dtype=np.int64)
    assert jaccard(found, left, found, right).tolist() == [
        expected(set(rows[a]), set(rows[b])) for a, b in pairs
    ]


@settings(max_examples=40, deadline=None)
@given(sets, sets)
def test_union_is_row_by_row(first: list[list[int]], second: list[list[int]]) -> None:
    size = min(len(first), len(second))
    union = table(first[:size]).union(table(second[:size]))
    assert [union.values[union.offsets[i] : union.offsets[i + 1]].tolist() for i in range(size)] == [
        sorted(set(first[i]) | set(second[i])) for i in range(size)
    ]


def test_sets_are_built_once_per_row_on_demand() -> None:
    asked: list[list[int]] = []
    prompts = [[1, 2, 3], [1, 2, 4], [9], [1, 2, 3]]
    replies = [[7], [7], [8], [6]]

    def shingler(rows: np.ndarray) -> list[tuple[SetTable, SetTable]]:
        asked.append(rows.tolist())
        return [(table([prompts[r] for r in rows]), table([replies[r] for r in rows]))]

    exact = ExactSets(shingler, size=4)
    assert exact.jaccard(np.array([0]), np.array([1]), "prompt").tolist() == [0.5]
    assert exact.jaccard(np.array([0, 1]), np.array([3, 3]), "whole").tolist() == [0.6, 2 / 6]
    assert exact.jaccard(np.array([0]), np.array([2]), "reply").tolist() == [0.0]
    assert asked == [[0, 1], [3], [2]]
