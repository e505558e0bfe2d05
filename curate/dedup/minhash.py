"""MinHash signatures of many texts at once, and the LSH banding that finds candidate pairs.

A signature holds, for each of ``num_perm`` random permutations of the 32-bit shingle space,
the smallest permuted shingle of a text; two texts agree on a permutation with probability
equal to their Jaccard similarity. The permutations are affine maps ``a * x + b`` modulo
2**32 with ``a`` odd (so each is a bijection; datasketch 2's ``affine32`` scheme), drawn
from the seed by ``splitmix_stream`` so they never change with a library's RNG.

datasketch's ``MinHash.update`` takes one shingle per Python call and applies every
permutation to it (500-600 documents/s here, with its LSH). Here one permutation at a time
is applied to all shingles of a batch, and ``np.minimum.reduceat`` takes each text's
minimum: looping over permutations on 1-D arrays measured ~20x faster than reducing a
shingles x permutations matrix, and the arrays of a ~1 MB batch stay in the CPU cache.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np

from curate.dedup.arrays import U32, U64, Int64s
from curate.dedup.hashing import mix64, splitmix_stream

EMPTY: Final = np.uint32(0xFFFFFFFF)
"""Every slot of the signature of a text without shingles (it never enters LSH)."""


@dataclass(frozen=True)
class Permutations:
    """The ``num_perm`` affine permutations ``a * x + b`` (mod 2**32) fixed by a seed."""

    a: U32
    b: U32

    @classmethod
    def from_seed(cls, num_perm: int, seed: int) -> Permutations:
        words = splitmix_stream(seed, 2 * num_perm)
        a = (words[:num_perm] >> np.uint64(32)).astype(np.uint32) | np.uint32(1)
        b = (words[num_perm:] >> np.uint64(32)).astype(np.uint32)
        return cls(a=a, b=b)

    @property
    def size(self) -> int:
        return int(self.a.size)


def signatures(shingles: U32, counts: Int64s, permutations: Permutations) -> U32:
    """Signatures (texts x ``num_perm``, uint32) of texts given as runs of shingle hashes.

    ``counts[i]`` is the number of shingles of text ``i``; a text with none gets ``EMPTY``.
    """
    texts = counts.size
    result = np.full((permutations.size, texts), EMPTY, dtype=np.uint32)
    present = np.flatnonzero(counts > 0)
    if present.size:
        starts = (np.cumsum(counts) - counts)[present]
        permuted = np.empty_like(shingles)
        row = np.empty(present.size, dtype=np.uint32)
        for index in range(permutations.size):
            np.multiply(shingles, permutations.a[index], out=permuted)
            np.add(permuted, permutations.b[index], out=permuted)
            np.minimum.reduceat(permuted, starts, out=row)
            result[index, present] = row
    return np.ascontiguousarray(result.T)


VERIFIED_WEIGHTS: Final = (0.1, 0.9)
"""(false positive, false negative) weights for ``lsh_parameters`` when every candidate is
verified, as dedup's are: a false positive then costs one comparison, a false negative loses
a duplicate. At 0.8 and 128 permutations they give 14 bands x 9 rows, which nominates 87% of
pairs at J = 0.8 where datasketch's default (0.5, 0.5) gives 9 x 13 and 40%."""


@lru_cache(maxsize=64)
def lsh_parameters(
    threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)
) -> tuple[int, int]:
    """Bands x rows for a Jaccard ``threshold``: the ``b`` and ``r`` of datasketch's ``MinHashLSH``.

    datasketch minimises the weighted areas of false positives (``P(candidate)`` below the
    threshold) and false negatives (``1 - P(candidate)`` above it) under the S-curve
    ``P = 1 - (1 - s**r)**b`` over every ``b * r <= num_perm``. Near a threshold of 1 the
    optimum is a single band, which ``MinHashLSH`` refuses to build an index with
    (``b < 2``); curate's banding handles one band, so it is then taken from the optimiser
    the constructor ran (``datasketch.lsh._optimal_param``).
    """
    # Imported here: datasketch imports scipy, ~0.5 s that only a dedup run should pay.
    import datasketch
    from datasketch.lsh import _optimal_param

    try:
        with random_state_kept():
            lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
    except ValueError:
        bands, rows = _optimal_param(threshold, num_perm, *weights)
        if bands >= 2:  # refused for another reason (a weight, the threshold): say so
            raise
        return int(bands), int(rows)
    return int(lsh.b), int(lsh.r)


@contextmanager
def random_state_kept() -> Iterator[None]:
    """Restore the global ``random`` state on exit: ``MinHashLSH`` draws a random name for
    its storage from it, and building an index should not move the caller's random stream."""
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two texts of Jaccard ``similarity`` share at least one band."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def band_hashes(signatures: U32, bands: int, rows: int) -> U64:
    """One 64-bit hash per (text, band): texts x bands. Equal bands give equal hashes."""
    texts = signatures.shape[0]
    weights = splitmix_stream(0xBA_4D5, rows) | np.uint64(1)
    result = np.empty((texts, bands), dtype=np.uint64)
    for band in range(bands):
        block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
        result[:, band] = mix64((block * weights).sum(axis=1, dtype=np.uint64) + np.uint64(band))
    return result
