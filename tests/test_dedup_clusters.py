"""Star edges, union-find, and duplicate clusters that keep alternatives together."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.dedup.clusters import (
    NO_GROUP,
    Edges,
    Sketches,
    UnionFind,
    duplicate_roots,
    prompt_roots,
    star_edges,
)


def components(size: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Smallest member of each row's component, by breadth-first search."""
    neighbours: dict[int, set[int]] = {row: set() for row in range(size)}
    for a, b in pairs:
        neighbours[a].add(b)
        neighbours[b].add(a)
    result = list(range(size))
    for start in range(size):
        seen, frontier = {start}, [start]
        while frontier:
            frontier = [n for row in frontier for n in neighbours[row] if n not in seen]
            seen.update(frontier)
        result[start] = min(seen)
    return result


graphs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60)
    )
)


@settings(max_examples=100, deadline=None)
@given(graphs)
def test_union_find_roots_are_the_smallest_member(case: tuple[int, list[tuple[int, int]]]) -> None:
    size, pairs = case
    sets = UnionFind(size)
    left = np.array([a for a, _ in pairs], dtype=np.int64)
    sets.union(Edges(left, np.array([b for _, b in pairs], dtype=np.int64)))
    assert sets.roots().tolist() == components(size, pairs)


@pytest.mark.parametrize(
    ("keys", "edges"),
    [
        ([7, 3, 7, 7, 3], [(0, 2), (0, 3), (1, 4)]),
        ([1, 2, 3], []),
        ([5], []),
    ],
)
def test_star_edges_join_each_position_to_the_first_with_its_key(
    keys: list[int], edges: list[tuple[int, int]]
) -> None:
    found = star_edges(np.array(keys, dtype=np.uint64))
    assert sorted(zip(found.left.tolist(), found.right.tolist(), strict=True)) == edges


def sketches(
    signature_ids: list[int], groups: list[int], keys: list[int] | None = None, shingles: bool = True
) -> Sketches:
    """Rows whose signatures are equal when their ``signature_ids`` are, and disjoint otherwise."""
    rows = len(signature_ids)
    signatures = np.array(signature_ids, dtype=np.uint32)[:, None] * 1000 + np.arange(128, dtype=np.uint32)
    return Sketches.build(
        keys=np.array(keys if keys is not None else signature_ids, dtype=np.uint64),
        parts=(signatures,),
        has_shingles=np.full(rows, shingles),
        groups=np.array(groups, dtype=np.int64),
        lsh=(9, 13),
    )


@pytest.mark.parametrize(
    ("signature_ids", "groups", "roots", "kept"),
    [
        ([1, 1, 2], [NO_GROUP] * 3, [0, 0, 2], [True, False, True]),
        # Two sides of one battle with the same text are alternatives, not duplicates.
        ([1, 1], [0, 0], [0, 1], [True, True]),
        # A copy of the battle in another group loses both rows to the first battle.
        ([1, 2, 1, 2], [0, 0, 1, 1], [0, 1, 0, 1], [True, True, False, False]),
        # A copy outside the group is dropped; the same text inside the group stays.
        ([1, 1, 1], [0, NO_GROUP, 0], [0, 0, 2], [True, False, True]),
    ],
)
def test_duplicate_roots(
    signature_ids: list[int], groups: list[int], roots: list[int], kept: list[bool]
) -> None:
    case = sketches(signature_ids, groups)
    found_roots, found_kept = duplicate_roots(case, np.arange(len(groups)), threshold=0.8)
    assert found_roots.tolist() == roots
    assert found_kept.tolist() == kept


def test_members_order_decides_who_is_kept() -> None:
    case = sketches([1, 1, 1], [NO_GROUP] * 3)
    roots, kept = duplicate_roots(case, np.array([2, 0, 1]), threshold=0.8)
    assert (roots.tolist(), kept.tolist()) == ([0, 0, 0], [True, False, False])


def test_exact_keys_join_rows_without_shingles() -> None:
    case = sketches([1, 2, 3], [NO_GROUP] * 3, keys=[9, 9, 8], shingles=False)
    roots, kept = duplicate_roots(case, np.arange(3), threshold=0.8)
    assert roots.tolist() == [0, 0, 2]
    assert kept.tolist() == [True, False, True]


def test_a_different_reply_keeps_answers_to_one_prompt_apart() -> None:
    shared = np.arange(128, dtype=np.uint32)[None, :].repeat(2, axis=0)
    replies = np.stack([np.arange(128), np.arange(128) + 500]).astype(np.uint32)
    case = Sketches.build(
        keys=np.array([1, 2], dtype=np.uint64),
        parts=(shared,),
        has_shingles=np.ones(2, dtype=bool),
        groups=np.full(2, NO_GROUP),
        lsh=(9, 13),
        reply=(np.array([3, 4], dtype=np.uint64), replies),
    )
    _, kept = duplicate_roots(case, np.arange(2), threshold=0.8)
    assert kept.tolist() == [True, True]


def test_prompt_roots_join_groups_and_equal_prompts() -> None:
    case = sketches([1, 2, 1, 3, 4], [NO_GROUP, 0, NO_GROUP, 0, NO_GROUP])
    assert prompt_roots(case, np.arange(5), threshold=0.8).tolist() == [0, 1, 0, 1, 4]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(-1, 3)), min_size=1, max_size=40),
    st.integers(0, 2**32 - 1),
)
def test_duplicate_roots_are_idempotent(rows: list[tuple[int, int]], seed: int) -> None:
    """Signatures that share random slots make chains of near duplicates; the rows a run
    keeps, run again, are all kept."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 50, size=(41, 128)).astype(np.uint32)
    ids = np.array([r[0] for r in rows])
    signatures = base[ids].copy()
    noise = rng.random(signatures.shape) < 0.1
    signatures[noise] = rng.integers(0, 2**32, int(noise.sum())).astype(np.uint32)
    groups = np.array([r[1] for r in rows], dtype=np.int64)
    case = Sketches.build(ids.astype(np.uint64), (signatures,), np.ones(len(rows), bool), groups, (16, 4))
    _, kept = duplicate_roots(case, np.arange(len(rows)), threshold=0.7)
    survivors = np.flatnonzero(kept)
    _, kept_again = duplicate_roots(case, survivors, threshold=0.7)
    assert bool(kept_again.all())
