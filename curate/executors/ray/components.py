"""The ``Joiner`` of a driver that cannot hold the candidate edges: stars grouped and
components joined on the Ray cluster.

``OnRay.stars`` finds candidate pairs by grouping (column, key) entries with ``ray.data``'s
``groupby``: every row of a group is joined to the group's smallest row, the star the
in-process ``curate.dedup.joining.star_edges`` makes per column, so a run of 100,000 equal keys
is 99,999 edges, not 5e9. The entries go to the object store in chunks, and the pairs come
back to the driver a block at a time (``iter_batches``), to be verified and let go.

``OnRay.join`` joins edges: each of a few ``ForestActor`` actors takes a share of the edge blocks
and reduces them to a spanning forest of what it has seen (at most one edge per row it
touched, whatever the edges); forests are then merged pairwise between actors until one is
left, whose union-find gives every row its component's root: its smallest row, as the local
``UnionFind`` does. An earlier join's roots go in as edges ``(root, row)``. The driver holds a
few blocks in flight and the answer (8 bytes a row), never the edges.

The Ray executor hands it to dedup through ``RunContext.joiner`` when ``executor.clusters``
says so (``curate.executors.ray.driver.check_driver_memory``); it holds only settings, so it
pickles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import ray

from curate.dedup.arrays import U64, Int64s
from curate.dedup.joining import Edges, UnionFind
from curate.errors import ExecutorError
from curate.executors.ray.shards import first_line

REDUCE_EDGES = 1 << 22
"""Edges an actor lets wait before it reduces them into its forest (64 MiB)."""
ENTRIES_PER_CHUNK = 1 << 21
"""(column, key, row) entries put in the object store at once: 48 MiB."""


@dataclass(frozen=True)
class OnRay:
    """A ``Joiner`` on the Ray cluster the driver is connected to."""

    actors: int = 2
    """Union-find actors that join edges (they take no CPU slot: they mostly wait on blocks)."""
    partitions: int = 4
    """Partitions of the (column, key) groupby."""
    block_edges: int = 1 << 20
    """Pairs per block the driver is given (16 MiB) or sends to an actor."""

    def stars(self, rows: Int64s, keys: U64, column: Int64s | None = None) -> Iterator[Edges]:
        import ray.data

        if rows.size == 0:
            return
        refs: list[Any] = [ray.put(table) for table in entry_tables(rows, keys, column)]
        with _sort_shuffle():
            entries = ray.data.from_arrow_refs(refs)
            grouped = entries.groupby(["column", "key"], num_partitions=self.partitions)
            stars = grouped.map_groups(_star, batch_format="numpy")
        with _ray_errors("finding candidate pairs"):
            for batch in stars.iter_batches(batch_size=self.block_edges, batch_format="numpy"):
                found = Edges(np.asarray(batch["left"], np.int64), np.asarray(batch["right"], np.int64))
                if found.size:
                    yield found

    def join(self, size: int, edges: Iterable[Edges], roots: Int64s | None = None) -> Int64s:
        count = max(1, self.actors)
        actors = [ForestActor.options(num_cpus=0).remote() for _ in range(count)]  # type: ignore[attr-defined]
        try:
            with _ray_errors("joining clusters"):
                return self._join(actors, size, _with_roots(edges, roots))
        finally:
            for actor in actors:
                ray.kill(actor)

    def _join(self, actors: list[Any], size: int, edges: Iterable[Edges]) -> Int64s:
        pending: list[Any] = []
        sent = 0
        for block in edges:
            for start in range(0, block.size, self.block_edges):
                part = (
                    block.left[start : start + self.block_edges],
                    block.right[start : start + self.block_edges],
                )
                pending.append(actors[sent % len(actors)].absorb.remote(part))
                sent += 1
                # A few blocks in flight per actor: the driver never holds the edges.
                if len(pending) > 2 * len(actors):
                    _, pending = ray.wait(pending, num_returns=len(pending) - 2 * len(actors))
        ray.get(pending)
        while len(actors) > 1:
            ray.get(
                [
                    actors[number].absorb.remote(actors[number + 1].forest.remote())
                    for number in range(0, len(actors) - 1, 2)
                ]
            )
            actors = actors[::2]
        roots: Int64s = ray.get(actors[0].roots.remote(size))
        return roots


def entry_tables(rows: Int64s, keys: U64, column: Int64s | None) -> Iterator[pa.Table]:
    """The (column, key, row) entries of ``OnRay.stars``' arguments, in tables of a bounded size."""
    if keys.ndim == 2:
        columns = keys.shape[1]
        step = max(1, ENTRIES_PER_CHUNK // max(1, columns))
        for start in range(0, rows.size, step):
            part = rows[start : start + step]
            yield pa.table(
                {
                    "column": np.tile(np.arange(columns, dtype=np.int64), part.size),
                    "key": keys[start : start + step].ravel(),
                    "row": np.repeat(part, columns),
                }
            )
        return
    for start in range(0, rows.size, ENTRIES_PER_CHUNK):
        stop = start + ENTRIES_PER_CHUNK
        part = rows[start:stop]
        number = np.zeros(part.size, np.int64) if column is None else column[start:stop]
        yield pa.table({"column": number, "key": keys[start:stop], "row": part})


def _star(group: dict[str, Any]) -> dict[str, Int64s]:
    """One (column, key) group's rows, each but the smallest joined to the smallest."""
    rows = np.asarray(group["row"], dtype=np.int64)
    if rows.size == 0:
        return {"left": rows, "right": rows}
    center = rows.min()
    others = rows[rows != center]
    return {"left": np.full(others.size, center, dtype=np.int64), "right": others}


def _with_roots(edges: Iterable[Edges], roots: Int64s | None) -> Iterator[Edges]:
    """An earlier join's components as edges ``(root, row)``, then ``edges``."""
    if roots is not None:
        moved = np.flatnonzero(roots != np.arange(roots.size)).astype(np.int64)
        yield Edges(roots[moved], moved)
    yield from edges


@contextmanager
def _sort_shuffle() -> Iterator[None]:
    """Datasets made within group by sorting (tasks on the pooled workers): Ray Data's hash
    shuffle starts aggregator actors for every groupby, 10-15 s each on a loaded 2-core machine
    for a handful of rows; the sort takes well under one once the workers are up."""
    from ray.data.context import DataContext, ShuffleStrategy

    context = DataContext.get_current()
    before = context.shuffle_strategy
    context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    try:
        yield
    finally:
        context.shuffle_strategy = before


@contextmanager
def _ray_errors(doing: str) -> Iterator[None]:
    """Ray's failures (a lost node or actor, the object store full) as one line, not a traceback."""
    from ray.exceptions import RayError

    try:
        yield
    except RayError as error:
        raise ExecutorError(
            f"{doing} on the Ray cluster failed ({first_line(error)}); rerun with --resume (the finished"
            " steps are kept), or set executor.clusters: driver if the driver can hold the edges"
        ) from error


def forest(left: Int64s, right: Int64s) -> tuple[Int64s, Int64s]:
    """A spanning forest of the edges ``left[i]``-``right[i]``: the same components, each row
    but its component's smallest joined once, to that smallest row."""
    if left.size == 0:
        return left, right
    nodes = np.unique(np.concatenate([left, right]))
    sets = UnionFind(nodes.size)
    sets.union(Edges(np.searchsorted(nodes, left), np.searchsorted(nodes, right)))
    roots = sets.roots()
    joined = np.flatnonzero(roots != np.arange(nodes.size))
    return nodes[roots[joined]], nodes[joined]


@ray.remote
class ForestActor:
    """A share of the edges, kept as a spanning forest of them.

    Blocks wait until they outnumber the forest's edges (or ``REDUCE_EDGES``) before they are
    reduced into it, so each reduction costs about what it is given, not the forest again.
    """

    def __init__(self) -> None:
        self.left: Int64s = np.zeros(0, np.int64)
        self.right: Int64s = np.zeros(0, np.int64)
        self.waiting: list[tuple[Int64s, Int64s]] = []
        self.waiting_size = 0

    def absorb(self, edges: tuple[Int64s, Int64s]) -> int:
        """Take a block of edges ``(left, right)``; the edges held."""
        self.waiting.append(edges)
        self.waiting_size += int(edges[0].size)
        if self.waiting_size >= max(REDUCE_EDGES, self.left.size):
            self._reduce()
        return int(self.left.size) + self.waiting_size

    def _reduce(self) -> None:
        if self.waiting:
            lefts, rights = zip(*self.waiting, strict=True)
            self.left, self.right = forest(
                np.concatenate([self.left, *lefts]), np.concatenate([self.right, *rights])
            )
            self.waiting, self.waiting_size = [], 0

    def forest(self) -> tuple[Int64s, Int64s]:
        self._reduce()
        return self.left, self.right

    def roots(self, size: int) -> Int64s:
        sets = UnionFind(size)
        sets.union(Edges(*self.forest()))
        return sets.roots()
