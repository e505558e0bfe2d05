"""Near-duplicate clusters for drivers that cannot hold the edges: candidate pairs and their
connected components computed on the Ray cluster.

``band_edges`` finds candidate pairs by grouping rows on (band, band key) with ``ray.data``'s
``groupby``: every row of a group is joined to the group's first (smallest) row, the star the
local ``curate.dedup.clusters.star_edges`` makes per band, so a run of 100,000 equal keys is
99,999 edges, not 5e9. The edges stay in the object store as blocks.

``components`` joins them: each of a few ``UnionFind`` actors takes a share of the edge
blocks and reduces them, block by block, to a spanning forest of what it has seen (at most one
edge per row it touched, whatever the edges); forests are then merged pairwise between actors
until one is left, whose union-find gives every row its component's root: its smallest row,
as the local ``UnionFind`` does. The driver holds block references and the answer (8 bytes a
row), never the edges.

Standalone: dedup's ``decide`` still builds and joins its edges in one process
(``curate.dedup.decide``); wiring this in needs ``decide`` to take its near edges from outside
(a seam the local executor would pass its own edges through).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import ray

from curate.dedup.arrays import U64, Int64s
from curate.dedup.clusters import Edges, UnionFind


def band_edges(bands: U64, blocks: int = 4) -> Any:
    """Candidate pairs of rows sharing a key in one band of ``bands`` (rows x bands), as a
    materialized ``ray.data`` dataset of ``left`` (the group's smallest row) and ``right``."""
    import ray.data

    rows, count = bands.shape
    table = pa.table(
        {
            "band": np.tile(np.arange(count, dtype=np.int64), rows),
            "key": bands.ravel(),
            "row": np.repeat(np.arange(rows, dtype=np.int64), count),
        }
    )
    dataset = ray.data.from_arrow(table).repartition(max(1, blocks))
    grouped = dataset.groupby(["band", "key"], num_partitions=max(1, blocks))
    return grouped.map_groups(_star, batch_format="numpy").materialize()


def _star(group: dict[str, Any]) -> dict[str, Int64s]:
    """One (band, key) group's rows, each but the smallest joined to the smallest."""
    rows = np.asarray(group["row"], dtype=np.int64)
    if rows.size == 0:
        return {"left": rows, "right": rows}
    center = rows.min()
    others = rows[rows != center]
    return {"left": np.full(others.size, center, dtype=np.int64), "right": others}


def components(edges: Any, size: int, actors: int = 2) -> Int64s:
    """The root (smallest member) of every row's component, for ``size`` rows joined by the
    ``left``/``right`` rows of ``edges`` (a ``ray.data`` dataset), over ``actors`` actors."""
    refs = edges.to_arrow_refs()
    count = max(1, min(actors, len(refs)))
    # The actors mostly wait on blocks: they take no CPU slot from the tasks that feed them.
    found = [ForestActor.options(num_cpus=0).remote() for _ in range(count)]  # type: ignore[attr-defined]
    ray.get([found[number % count].absorb.remote(ref) for number, ref in enumerate(refs)])
    while len(found) > 1:
        merged = [
            found[number].absorb_forest.remote(found[number + 1].forest.remote())
            for number in range(0, len(found) - 1, 2)
        ]
        ray.get(merged)
        found = found[::2]
    roots: Int64s = ray.get(found[0].roots.remote(size))
    return roots


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
    """A share of the edges, kept as a spanning forest of them."""

    def __init__(self) -> None:
        self.left: Int64s = np.zeros(0, np.int64)
        self.right: Int64s = np.zeros(0, np.int64)

    def absorb(self, block: pa.Table) -> int:
        """Take one block of edges; the edges kept."""
        left = block.column("left").to_numpy().astype(np.int64)
        right = block.column("right").to_numpy().astype(np.int64)
        return self.absorb_forest((left, right))

    def absorb_forest(self, edges: tuple[Int64s, Int64s]) -> int:
        self.left, self.right = forest(
            np.concatenate([self.left, edges[0]]), np.concatenate([self.right, edges[1]])
        )
        return int(self.left.size)

    def forest(self) -> tuple[Int64s, Int64s]:
        return self.left, self.right

    def roots(self, size: int) -> Int64s:
        sets = UnionFind(size)
        sets.union(Edges(self.left, self.right))
        return sets.roots()
