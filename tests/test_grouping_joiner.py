"""Pairs' parts and split's components through a ``Joiner`` equal what they were before it.

The references are the functions the joiner replaced, kept here as they were: pairs'
``part_of_rows`` (a numpy union-find over the distinct link codes) and split's
``components`` (a dictionary union-find over the key strings, the smallest key the root).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.dedup.arrays import U64, Int64s
from curate.dedup.joining import IN_PROCESS, Edges, UnionFind
from curate.executors.links import Links, part_of_rows
from curate.executors.partitioned import batches_of, run_partitioned_step
from curate.executors.steps import Step
from curate.executors.workdir import RunKey, WorkFolder
from curate.progress import QuietReporter
from curate.splitting import clusters
from curate.splitting.clusters import components
from curate.stages.base import RunContext
from curate.stages.pairs import Pairs
from curate.stages.split import Split
from tests.helpers import conversation, frame


def reference_part_of_rows(links: Links) -> Int64s:
    """Pairs' parts before the joiner: a union-find over the distinct codes."""
    if links.rows == 0:
        return np.zeros(0, np.int64)
    distinct, code = np.unique(links.codes, return_inverse=True)
    code = code.astype(np.int64).reshape(-1)
    row = np.repeat(np.arange(links.rows, dtype=np.int64), np.diff(links.starts))
    first = code[links.starts[:-1]]
    sets = UnionFind(distinct.size)
    sets.union(Edges(first[row], code))
    root = sets.roots()[first]
    roots, first_rows, part = np.unique(root, return_index=True, return_inverse=True)
    rank = np.empty(roots.size, dtype=np.int64)
    rank[np.argsort(first_rows, kind="stable")] = np.arange(roots.size, dtype=np.int64)
    found: Int64s = rank[part.reshape(-1)]
    return found


def reference_components(keys_per_row: Sequence[Sequence[str]]) -> tuple[list[int], list[str]]:
    """Split's components before the joiner: a dictionary union-find over the key strings."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:
            parent[key], key = root, parent[key]
        return root

    firsts = []
    for row_keys in keys_per_row:
        for key in row_keys:
            parent.setdefault(key, key)
        root = find(row_keys[0])
        for key in row_keys[1:]:
            other = find(key)
            if other != root:
                root, other = min(root, other), max(root, other)
                parent[other] = root
        firsts.append(row_keys[0])
    numbers: dict[str, int] = {}
    names: list[str] = []
    result = []
    for first in firsts:
        root = find(first)
        if root not in numbers:
            numbers[root] = len(names)
            names.append(root)
        result.append(numbers[root])
    return result, names


keys_of_rows = st.lists(
    st.lists(
        st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h", "ab", "prompt:x", "group:s:1"]),
        min_size=1,
        max_size=4,
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(keys_of_rows, st.integers(1, 8))
def test_pairs_parts_and_batches_through_the_joiner_are_the_old_ones(
    rows: list[list[str]], batch_rows: int
) -> None:
    links = Links.encode(rows) if rows else Links.concat([])
    expected = reference_part_of_rows(links)
    assert part_of_rows(links, IN_PROCESS).tolist() == expected.tolist()
    assert batches_of(links, batch_rows).tolist() == _reference_batches(expected, batch_rows).tolist()


@settings(max_examples=300, deadline=None)
@given(keys_of_rows)
def test_split_components_through_the_joiner_are_the_old_ones(rows: list[list[str]]) -> None:
    component, names = components(rows, IN_PROCESS)
    assert (component.tolist(), names) == reference_components(rows)


class Scattered:
    """A joiner that answers as a cluster's may: the stars in several blocks, shuffled, some
    pairs twice; and that notes how many rows it was asked to join."""

    def __init__(self, seed: int = 0) -> None:
        self.random = Random(seed)
        self.joined: list[int] = []

    def stars(self, rows: Int64s, keys: U64, column: Int64s | None = None) -> Iterator[Edges]:
        for found in IN_PROCESS.stars(rows, keys, column):
            order = np.array(self.random.sample(range(found.size), found.size), dtype=np.int64)
            again = order[: found.size // 3]
            shuffled = np.concatenate([order, again])
            for block in np.array_split(shuffled, 3):
                yield Edges(found.left[block], found.right[block])

    def join(self, size: int, edges: Iterable[Edges], roots: Int64s | None = None) -> Int64s:
        self.joined.append(size)
        return IN_PROCESS.join(size, edges, roots)


@settings(max_examples=200, deadline=None)
@given(keys_of_rows, st.integers(0, 9))
def test_stars_in_scattered_blocks_give_the_same_parts_and_components(
    rows: list[list[str]], seed: int
) -> None:
    links = Links.encode(rows) if rows else Links.concat([])
    assert part_of_rows(links, Scattered(seed)).tolist() == reference_part_of_rows(links).tolist()
    component, names = components(rows, Scattered(seed))
    assert (component.tolist(), names) == reference_components(rows)


def test_split_decides_through_the_joiner_of_its_context() -> None:
    """The joiner an executor puts in the stage's context is the one ``decide`` joins with."""
    data = frame(*[conversation(f"r{i}", ("user", f"q{i % 4}"), ("assistant", "a")) for i in range(12)])
    joiner = Scattered()
    split = Split.from_options(context=RunContext(joiner=joiner), test_size=0.25)
    default = Split.from_options(test_size=0.25)
    assert split(data).kept.equals(default(data).kept)
    assert joiner.joined == [12]


def test_pairs_plans_its_batches_through_the_joiner_of_its_context(tmp_path: Path) -> None:
    key = RunKey(curate_version="test", config_hash="", inputs=(), shard_rows=5, limit=None)
    work, _ = WorkFolder.open(tmp_path / "work", key, resume=False, restart=False)
    data = frame(
        *[
            conversation(f"r{i}", ("user", f"q{i % 3}"), ("assistant", f"a{i}"), model=f"gpt-{i % 2 + 3}")
            for i in range(9)
        ]
    )
    joiner = Scattered()
    options = {"strategies": ["model_rank"], "model_rank": {"ranking": ["gpt-4*", "gpt-3*"]}}
    stage = Pairs.from_options(context=RunContext(joiner=joiner), **options)
    step = Step(2, (0,), ("pairs",), reads=False, whole=True)
    run_partitioned_step(
        work, step, stage, lambda: iter([data.slice(0, 5), data.slice(5)]), 5, QuietReporter()
    )
    assert joiner.joined == [9]


def reference_choose_test(sizes: Sequence[int], names: Sequence[str], target: int, seed: int) -> set[int]:
    """Split's choice of the test components before it went through arrays."""
    order = sorted(range(len(sizes)), key=lambda c: (clusters.seeded_order(seed, names[c]), names[c]))
    chosen: set[int] = set()
    rows = 0
    for component in order:
        if abs(rows + sizes[component] - target) < abs(rows - target):
            chosen.add(component)
            rows += sizes[component]
    return chosen


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(1, 9), max_size=40),
    st.integers(0, 200),
    st.integers(0, 3),
    st.booleans(),
    st.integers(1, 4),
)
def test_split_chooses_the_test_components_it_chose_before(
    sizes: list[int], target: int, seed: int, ties: bool, chunk: int
) -> None:
    """Also when two names share a rank (a coarse rank forces it) and over chunks of any size."""
    names = [f"k{number * 7 % 41:03d}" for number in range(len(sizes))]  # not in index order
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clusters, "CHOICE_CHUNK", chunk)
        if ties:
            patch.setattr(clusters, "seeded_order", lambda seed, key: (seed + len(key) + ord(key[-1])) % 3)
        expected = reference_choose_test(sizes, names, target, seed)
        assert clusters.choose_test(np.array(sizes, dtype=np.int64), names, target, seed) == expected


def test_a_split_row_without_keys_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one cluster key"):
        components([["a"], []])


def _reference_batches(part_of: Int64s, batch_rows: int) -> Int64s:
    """Parts packed in order into batches of at most ``batch_rows`` (a larger part alone)."""
    sizes = np.bincount(part_of) if part_of.size else np.zeros(0, np.int64)
    part_batch = np.zeros(sizes.size, dtype=np.int64)
    batch, filled = 0, 0
    for part, size in enumerate(sizes.tolist()):
        if filled and filled + size > batch_rows:
            batch, filled = batch + 1, 0
        part_batch[part] = batch
        filled += size
    found: Int64s = part_batch[part_of]
    return found


@pytest.mark.parametrize(
    "stage",
    [Split.from_options(test_size=0.1), Pairs.from_options(strategies=["battle"])],
    ids=["split", "pairs"],
)
def test_pairs_and_split_state_what_joining_elsewhere_keeps_off_the_driver(stage: Split | Pairs) -> None:
    """An executor that can join on a cluster is told how much of the driver's figure that
    saves (``edge_memory``), so it hands these steps its joiner when the driver is short."""
    rows = 1_000_000
    assert 0 < stage.edge_memory(rows) < (stage.driver_memory(rows) or 0)
