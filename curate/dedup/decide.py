"""The dedup decisions: earlier release, duplicate of which row, prompt cluster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from curate.dedup import clusters
from curate.dedup.arrays import U64, Bools, Floats, Int64s
from curate.dedup.clusters import Sketches
from curate.dedup.exact import ExactSets
from curate.dedup.index import ReleaseIndex, match_release
from curate.dedup.joining import IN_PROCESS, Joiner
from curate.dedup.sketch import ConversationSketch

KEPT = -1
HELD_PER_PERMUTATION = 1
HELD_PER_ROW = 400
"""What ``decide`` holds per row whoever joins the clusters: ids, keys, ranking, band hashes,
roots and decisions; the signatures stay mapped from the work folder and are read by row.
``benchmarks/decide_memory.py`` measured 278 bytes a row at 128 permutations with the clusters
joined here and 397 with them joined on Ray (development-set figures, see its README)."""
HELD_PER_EDGE = 48
"""What an in-process candidate edge holds at the peak: its ends, their pair codes sorted
and deduplicated, then the verification's estimates (``decide_memory.py --edges``: 36 bytes a
star edge while they are found)."""


def held(rows: int, num_perm: int, bands: int) -> tuple[int, int]:
    """About the bytes ``decide`` holds over ``rows`` rows: whatever the joiner, and at most
    for candidate edges in this process (every row with a candidate in every band: the
    worst case), which a joiner elsewhere keeps off this process."""
    return rows * (HELD_PER_PERMUTATION * num_perm + HELD_PER_ROW), rows * bands * HELD_PER_EDGE


@dataclass(frozen=True)
class Decisions:
    """Per row (row order): ``KEPT`` (-1) or what the row duplicates; prompt clusters."""

    release: Int64s
    """Which release (position in ``against``) has the row, or ``KEPT``."""
    release_match: Int64s
    """The matching row of that release's index."""
    duplicate_of: Int64s
    """The kept row this row duplicates, or ``KEPT``."""
    similarity: Floats
    """Jaccard with the row named by ``release_match`` or ``duplicate_of``..."""
    measured: Bools
    """...computed exactly (else estimated from the signatures)."""
    exact: Bools
    """Equal after normalisation to that row."""
    prompt_root: Int64s
    """The best row of the row's prompt cluster (``KEPT`` for dropped rows)."""
    duplicate_sets: Int64s
    """Sizes of the duplicate clusters that lost rows (kept and dropped rows), descending."""

    @property
    def kept(self) -> Bools:
        kept: Bools = (self.release == KEPT) & (self.duplicate_of == KEPT)
        return kept


@dataclass(frozen=True)
class BandKeys:
    """The LSH band keys of some rows, computed where their shard was summarized (so the driver
    does not read every signature again to hash them): of the whole conversation (prompt and
    reply) and of the prompt, each rows x bands, one array per shard."""

    lsh: tuple[int, int]
    whole: tuple[U64, ...]
    prompt: tuple[U64, ...]

    @classmethod
    def of(cls, sketch: ConversationSketch, lsh: tuple[int, int]) -> BandKeys:
        whole = clusters.band_keys((sketch.prompt.signatures, sketch.reply.signatures), lsh)
        return cls(lsh, (whole,), (clusters.band_keys((sketch.prompt.signatures,), lsh),))

    @classmethod
    def concat(cls, parts: Sequence[BandKeys | None]) -> BandKeys | None:
        """Every shard's keys one after the other; None unless every shard has them, made
        alike (a work folder summarized before they were kept: ``decide`` computes them)."""
        found = [part for part in parts if part is not None]
        if not found or len(found) < len(parts) or any(part.lsh != found[0].lsh for part in found):
            return None
        whole, prompt = (
            chain.from_iterable(p.whole for p in found),
            chain.from_iterable(p.prompt for p in found),
        )
        return cls(found[0].lsh, tuple(whole), tuple(prompt))

    def made_with(self, lsh: tuple[int, int]) -> BandKeys | None:
        """These keys, if they were made with ``lsh``."""
        return self if self.lsh == lsh else None


def conversation_sketches(
    sketch: ConversationSketch,
    groups: Int64s,
    lsh: tuple[int, int],
    exact: ExactSets | None = None,
    hashes: U64 | None = None,
) -> Sketches:
    """Whole conversations: keys and signatures combined from prompt and reply, the reply
    kept as a guard (answers to one prompt are alternatives, not duplicates)."""
    return Sketches.build(
        keys=sketch.whole_keys,
        parts=(sketch.prompt.signatures, sketch.reply.signatures),
        has_shingles=sketch.has_shingles,
        groups=groups,
        lsh=lsh,
        reply=(sketch.reply.keys, sketch.reply.signatures),
        exact=exact,
        hashes=hashes,
    )


def _joined(arrays: tuple[U64, ...] | None) -> U64 | None:
    if arrays is None:
        return None
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def decide(
    sketch: ConversationSketch,
    groups: Int64s,
    order: Int64s,
    releases: Sequence[ReleaseIndex],
    threshold: float,
    lsh: tuple[int, int],
    shingle_sets: ExactSets | None = None,
    joiner: Joiner = IN_PROCESS,
    band_keys: BandKeys | None = None,
) -> Decisions:
    """Decide for every row; ``order`` lists rows best first by the keep policy.

    With ``shingle_sets``, candidates are verified on exact shingle sets; matches with an
    earlier release, whose index holds signatures only, are always estimated. ``joiner``
    finds the candidate pairs of the clusters and joins them (the same answer wherever).
    ``band_keys`` are the rows' LSH band keys when the shards' summaries hold them (else
    they are computed here, the same).
    """
    size = order.size
    release = np.full(size, KEPT, dtype=np.int64)
    release_match = np.full(size, KEPT, dtype=np.int64)
    duplicate_of = np.full(size, KEPT, dtype=np.int64)
    similarity = np.ones(size, dtype=np.float64)
    measured = np.zeros(size, dtype=bool)
    exact = np.zeros(size, dtype=bool)
    whole = conversation_sketches(
        sketch, groups, lsh, shingle_sets, _joined(band_keys.whole if band_keys else None)
    )

    for number, earlier in enumerate(releases):
        stored = conversation_sketches(earlier.sketch, np.full(earlier.size, clusters.NO_GROUP), lsh)
        found = match_release(stored, whole, np.flatnonzero(release == KEPT).astype(np.int64), threshold)
        release[found.rows] = number
        release_match[found.rows] = found.matches
        similarity[found.rows] = found.similarity
        exact[found.rows] = measured[found.rows] = found.exact
        del stored

    members = order[release[order] == KEPT]
    remaining, sizes = _duplicates(
        whole, members, threshold, joiner, duplicate_of, similarity, measured, exact
    )
    del whole  # its band hashes; the prompts' come next

    prompts = Sketches.build(
        keys=sketch.prompt.keys,
        parts=(sketch.prompt.signatures,),
        has_shingles=sketch.prompt.has_shingles,
        groups=groups,
        lsh=lsh,
        exact=shingle_sets,
        part="prompt",
        hashes=_joined(band_keys.prompt if band_keys else None),
    )
    prompt_root = np.full(size, KEPT, dtype=np.int64)
    prompt_root[remaining] = remaining[clusters.prompt_roots(prompts, remaining, threshold, joiner)]
    return Decisions(
        release=release,
        release_match=release_match,
        duplicate_of=duplicate_of,
        similarity=similarity,
        measured=measured,
        exact=exact,
        prompt_root=prompt_root,
        duplicate_sets=np.sort(sizes)[::-1].astype(np.int64),
    )


def _duplicates(
    whole: Sketches,
    members: Int64s,
    threshold: float,
    joiner: Joiner,
    duplicate_of: Int64s,
    similarity: Floats,
    measured: Bools,
    exact: Bools,
) -> tuple[Int64s, Int64s]:
    """Fill in the duplicates among ``members`` (best first); return the rows kept and the
    sizes of the clusters that lost rows."""
    roots, kept = clusters.duplicate_roots(whole, members, threshold, joiner)
    dropped = np.flatnonzero(~kept)
    rows, targets = members[dropped], members[roots[dropped]]
    duplicate_of[rows] = targets
    exact[rows] = whole.keys[rows] == whole.keys[targets]
    similarity[rows], measured[rows] = clusters.similarity(whole, rows, whole, targets, threshold)
    similarity[rows[exact[rows]]] = 1.0
    measured[rows] |= exact[rows]
    counts = np.bincount(roots, minlength=members.size)
    sizes = counts[(counts > 1) & (np.bincount(roots[dropped], minlength=members.size) > 0)]
    return members[kept], sizes
