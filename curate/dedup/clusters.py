"""Clusters of similar rows: star edges within equal keys, LSH bands, union-find.

Rows are visited best first (``members`` lists row numbers in keep-policy order) and the
union-find runs over those positions, so the root of a component, always its smallest
position, is the row to keep.

Candidate pairs come from rows that share a key: an exact key, or the hash of one LSH band.
Within a run of equal keys every row is paired with the run's best row only (a star, not
all pairs: 100,000 copies of "hi" make 99,999 edges, not 5e9). LSH candidates are then
verified (``similar``): by their estimated Jaccard where it is clearly on one side of the
threshold, by their exact Jaccard where it is not. A ``Joiner`` (``curate.dedup.joining``)
finds the band stars and joins the edges into components, in this process or elsewhere; the
candidates are verified block by block as it yields them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from curate.dedup.arrays import U32, U64, Bools, Floats, Int64s, sorted_distinct
from curate.dedup.joining import IN_PROCESS, Joiner
from curate.dedup.joining import Edges as Edges
from curate.dedup.joining import UnionFind as UnionFind
from curate.dedup.joining import star_edges as star_edges
from curate.dedup.minhash import band_hashes
from curate.dedup.stacked import Signatures

if TYPE_CHECKING:
    from curate.dedup.exact import ExactSets

NO_GROUP = -1
CHUNK_ROWS = 16_384
"""Rows or pairs handled at once where each costs a signature or two (~1 KB)."""


@dataclass(frozen=True)
class Sketches:
    """What clustering needs of every row, in row order.

    A row's signature is the element-wise minimum of its ``parts`` (the MinHash of a union
    of shingle sets): a conversation is its prompt and its reply. When ``reply_keys`` is
    given, two rows are near duplicates only if their replies are too (see ``similar``).
    """

    keys: U64
    parts: tuple[Signatures, ...]
    has_shingles: Bools
    groups: Int64s
    bands: U64
    reply_keys: U64 | None = None
    reply_signatures: Signatures | None = None
    exact: ExactSets | None = None
    """When given, candidates are verified on exact shingle sets instead of estimates..."""
    part: str = "whole"
    """...of this part of the conversation."""

    @classmethod
    def build(
        cls,
        keys: U64,
        parts: tuple[Signatures, ...],
        has_shingles: Bools,
        groups: Int64s,
        lsh: tuple[int, int],
        reply: tuple[U64, Signatures] | None = None,
        exact: ExactSets | None = None,
        part: str = "whole",
        hashes: U64 | None = None,
    ) -> Sketches:
        """``hashes``: the rows' LSH band keys when they were computed already (``band_keys``,
        where the shards were summarized); else they are computed here from ``parts``."""
        if hashes is None:
            hashes = band_keys(parts, lsh)
        reply_keys, reply_signatures = reply if reply is not None else (None, None)
        return cls(keys, parts, has_shingles, groups, hashes, reply_keys, reply_signatures, exact, part)

    def signatures(self, rows: Int64s) -> U32:
        return _minimum(self.parts, rows)


def band_keys(parts: tuple[Signatures, ...], lsh: tuple[int, int]) -> U64:
    """The LSH band keys (rows x bands) of the rows whose signature is the minimum of ``parts``."""
    bands, rows = lsh
    size = len(parts[0])
    hashes = np.empty((size, bands), dtype=np.uint64)
    for start in range(0, size, CHUNK_ROWS):
        chunk = np.arange(start, min(start + CHUNK_ROWS, size))
        hashes[chunk] = band_hashes(_minimum(parts, chunk), bands, rows)
    return hashes


def _minimum(parts: tuple[Signatures, ...], rows: Int64s) -> U32:
    return reduce(np.minimum, [part[rows] for part in parts])


def similarity(
    left: Sketches, left_rows: Int64s, right: Sketches, right_rows: Int64s, threshold: float
) -> tuple[Floats, Bools]:
    """Jaccard of row pairs, one row from each side, and which values are exact.

    The estimate (share of equal signature slots) is kept where it is clearly on one side of
    ``threshold``; within ``margin`` of it, and when ``left`` is ``right`` with exact sets,
    the exact Jaccard replaces it.
    """
    estimate = _share_equal(left.signatures, left_rows, right.signatures, right_rows)
    return _refine(left, right, left_rows, right_rows, estimate, threshold, left.part)


def margin(threshold: float, num_perm: int) -> float:
    """How far from the threshold an estimate must be to be trusted: four standard deviations
    of a MinHash estimate at the threshold (a pair beyond it is misjudged once in ~30,000)."""
    return 4 * float(np.sqrt(threshold * (1 - threshold) / num_perm)) + 1 / num_perm


def _refine(
    left: Sketches,
    right: Sketches,
    left_rows: Int64s,
    right_rows: Int64s,
    estimate: Floats,
    threshold: float,
    part: str,
) -> tuple[Floats, Bools]:
    exact = np.zeros(estimate.size, dtype=bool)
    if left is right and left.exact is not None:
        exact = np.abs(estimate - threshold) <= margin(threshold, left.parts[0].shape[1])
        estimate[exact] = left.exact.jaccard(left_rows[exact], right_rows[exact], part)
    return estimate, exact


def _share_equal(
    left: Callable[[Int64s], U32], left_rows: Int64s, right: Callable[[Int64s], U32], right_rows: Int64s
) -> Floats:
    result = np.empty(left_rows.size, dtype=np.float64)
    for start in range(0, left_rows.size, CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        result[start:stop] = (left(left_rows[start:stop]) == right(right_rows[start:stop])).mean(axis=1)
    return result


def similar(
    left: Sketches, left_rows: Int64s, right: Sketches, right_rows: Int64s, threshold: float
) -> tuple[Bools, Floats, Bools]:
    """Which pairs are near duplicates, their Jaccard, and whether it is exact (see
    ``similarity``).

    With a reply guard, the replies must also be equal after normalisation or reach the
    threshold: answers to one long prompt stay apart even when the prompt outweighs them.
    """
    whole, exact = similarity(left, left_rows, right, right_rows, threshold)
    verified = whole >= threshold
    if left.reply_keys is not None and right.reply_keys is not None:
        assert left.reply_signatures is not None and right.reply_signatures is not None
        check = np.flatnonzero(verified & (left.reply_keys[left_rows] != right.reply_keys[right_rows]))
        rows_left, rows_right = left_rows[check], right_rows[check]
        replies_left, replies_right = left.reply_signatures, right.reply_signatures
        reply = _share_equal(replies_left.__getitem__, rows_left, replies_right.__getitem__, rows_right)
        reply, _ = _refine(left, right, rows_left, rows_right, reply, threshold, "reply")
        verified[check] = reply >= threshold
    return verified, whole, exact


def apart(edges: Edges, groups: Int64s) -> Edges:
    """Drop edges within one group: alternatives to one prompt are never duplicates."""
    left, right = groups[edges.left], groups[edges.right]
    return edges.where((left == NO_GROUP) | (left != right))


def group_edges(groups: Int64s) -> Edges:
    """Join every position of a group to the group's first position."""
    grouped = np.flatnonzero(groups != NO_GROUP).astype(np.int64)
    return star_edges(groups[grouped]).through(grouped)


def similar_edges(
    sketches: Sketches,
    members: Int64s,
    threshold: float,
    keep_groups_apart: bool,
    joiner: Joiner = IN_PROCESS,
) -> Iterator[Edges]:
    """Exact and verified near edges among ``members`` (rows, best first), as positions, in
    blocks: the near candidates are verified block by block as ``joiner`` finds them."""
    groups = sketches.groups[members]
    exact = star_edges(sketches.keys[members])
    if keep_groups_apart:
        exact = apart(exact, groups)
    yield exact
    # A row joined to an exact copy adds nothing to LSH: the copy has the same signature.
    distinct = np.setdiff1d(np.arange(members.size), exact.right, assume_unique=True)
    distinct = distinct[sketches.has_shingles[members[distinct]]]
    width = max(members.size, 1)
    for found in joiner.stars(distinct, sketches.bands[members[distinct]]):
        unique = sorted_distinct(found.left * width + found.right)
        candidates = Edges(unique // width, unique % width)
        del found, unique
        verified, _, _ = similar(
            sketches, members[candidates.left], sketches, members[candidates.right], threshold
        )
        near = candidates.where(verified)
        yield apart(near, groups) if keep_groups_apart else near


class Counted:
    """Blocks of edges passed through, counting the edges."""

    def __init__(self, blocks: Iterable[Edges]) -> None:
        self.blocks = blocks
        self.size = 0

    def __iter__(self) -> Iterator[Edges]:
        for block in self.blocks:
            self.size += block.size
            yield block


def duplicate_roots(
    sketches: Sketches, members: Int64s, threshold: float, joiner: Joiner = IN_PROCESS
) -> tuple[Int64s, Bools]:
    """Duplicate clusters among ``members`` (rows, best first), by position in ``members``:
    each one's root (the row kept for it), and which are kept.

    A row is kept when it is its cluster's root or shares the root's group. The search is
    repeated on the kept rows until it finds nothing, so that running it again on its own
    output finds nothing either (a star compares with one centre per key, and a centre that
    is dropped can hide a pair that only shows once it is gone). ``joiner`` finds the
    candidates and joins each round's edges into the rounds' before.
    """
    size = members.size
    roots = np.arange(size, dtype=np.int64)
    groups = sketches.groups[members]
    alive = np.arange(size, dtype=np.int64)
    kept = np.ones(size, dtype=bool)
    while True:
        edges = Counted(
            found.through(alive) for found in similar_edges(sketches, members[alive], threshold, True, joiner)
        )
        roots = joiner.join(size, edges, roots)
        if edges.size == 0:
            break
        kept = (roots == np.arange(size)) | ((groups != NO_GROUP) & (groups == groups[roots]))
        survivors = np.flatnonzero(kept).astype(np.int64)
        if survivors.size == alive.size:
            break
        alive = survivors
    return roots, kept


def prompt_roots(
    sketches: Sketches, members: Int64s, threshold: float, joiner: Joiner = IN_PROCESS
) -> Int64s:
    """Prompt clusters among ``members`` (rows, best first): near-duplicate prompts and rows
    of one group share a root, given as a position in ``members``."""
    edges = similar_edges(sketches, members, threshold, False, joiner)
    return joiner.join(members.size, chain(edges, [group_edges(sketches.groups[members])]))
