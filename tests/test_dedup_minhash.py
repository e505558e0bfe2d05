"""MinHash signatures, LSH parameters and band hashes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHashLSH

from curate.dedup.minhash import (
    EMPTY,
    VERIFIED_WEIGHTS,
    Permutations,
    band_hashes,
    candidate_probability,
    lsh_parameters,
    signatures,
)


@pytest.mark.parametrize(
    ("threshold", "num_perm", "weights", "expected"),
    [
        (0.8, 128, VERIFIED_WEIGHTS, (14, 9)),  # dedup's default and the demo's
        (0.9, 128, VERIFIED_WEIGHTS, (8, 16)),
        (0.5, 64, VERIFIED_WEIGHTS, (21, 3)),
        (0.8, 128, (0.5, 0.5), (9, 13)),  # datasketch's default weights
        (0.9, 128, (0.5, 0.5), (5, 25)),  # the example in datasketch's MinHashLSH docstring
        # One band is the optimum here; MinHashLSH refuses it (b < 2), curate's banding does not.
        (1.0, 128, VERIFIED_WEIGHTS, (1, 128)),
        (0.9, 16, (0.5, 0.5), (1, 15)),
    ],
)
def test_lsh_parameters_are_datasketchs_choice(
    threshold: float, num_perm: int, weights: tuple[float, float], expected: tuple[int, int]
) -> None:
    assert lsh_parameters(threshold, num_perm, weights) == expected
    if expected[0] >= 2:
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=weights)
        assert (lsh.b, lsh.r) == expected


def test_lsh_parameters_leave_the_global_random_stream_alone() -> None:
    lsh_parameters.cache_clear()
    random.seed(5)
    expected = random.random()
    random.seed(5)
    lsh_parameters(0.7, 96, VERIFIED_WEIGHTS)
    assert random.random() == expected


def test_lsh_parameters_pass_on_datasketchs_other_refusals() -> None:
    with pytest.raises(ValueError, match=r"Weights must sum to 1\.0"):
        lsh_parameters(0.8, 128, (0.5, 0.6))


@pytest.mark.parametrize(
    ("weights", "expected", "at_threshold"),
    [((0.5, 0.5), (9, 13), 0.40), (VERIFIED_WEIGHTS, (14, 9), 0.87)],
)
def test_weighting_false_negatives_nominates_more_pairs_at_the_threshold(
    weights: tuple[float, float], expected: tuple[int, int], at_threshold: float
) -> None:
    bands, rows = lsh_parameters(0.8, 128, weights)
    assert (bands, rows) == expected
    assert round(candidate_probability(0.8, bands, rows), 2) == at_threshold
    assert candidate_probability(0.95, bands, rows) > 0.99
    assert candidate_probability(0.4, bands, rows) < 0.01


def sets_with_jaccard(size: int, jaccard: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two sets of distinct 32-bit values whose Jaccard is ``jaccard``."""
    shared = round(2 * size * jaccard / (1 + jaccard))
    values = rng.choice(2**32, size * 2, replace=False).astype(np.uint32)
    left = values[:size]
    right = np.concatenate([left[:shared], values[size : 2 * size - shared]])
    return left, right


@pytest.mark.parametrize("jaccard", [0.0, 0.3, 0.6, 0.8, 0.9, 1.0])
def test_agreement_estimates_jaccard(jaccard: float) -> None:
    rng = np.random.default_rng(7)
    permutations = Permutations.from_seed(128, seed=3)
    errors = []
    for _ in range(40):
        left, right = sets_with_jaccard(300, jaccard, rng)
        found = signatures(np.concatenate([left, right]), np.array([left.size, right.size]), permutations)
        errors.append(float((found[0] == found[1]).mean()) - jaccard)
    # 40 estimates of sd sqrt(J(1-J)/128) <= 0.044: their mean is within 0.02 of the truth.
    assert abs(float(np.mean(errors))) < 0.02
    assert float(np.std(errors)) <= np.sqrt(jaccard * (1 - jaccard) / 128) * 1.5 + 1e-9


def test_signature_is_the_minimum_of_each_permutation() -> None:
    permutations = Permutations.from_seed(8, seed=0)
    shingles = np.array([5, 1, 2**32 - 1, 77], dtype=np.uint32)
    found = signatures(shingles, np.array([3, 0, 1]), permutations)
    expected_first = (shingles[:3, None].astype(np.uint64) * permutations.a + permutations.b) % 2**32
    assert found[0].tolist() == expected_first.min(axis=0).tolist()
    assert found[1].tolist() == [int(EMPTY)] * 8
    assert found[2].tolist() == ((77 * permutations.a.astype(np.uint64) + permutations.b) % 2**32).tolist()


def test_permutations_depend_on_the_seed_only() -> None:
    one, again, other = (
        Permutations.from_seed(64, 1),
        Permutations.from_seed(64, 1),
        Permutations.from_seed(64, 2),
    )
    assert one.a.tolist() == again.a.tolist() and one.b.tolist() == again.b.tolist()
    assert one.a.tolist() != other.a.tolist()
    assert bool(np.all(one.a % 2 == 1))


def test_band_hashes_change_only_in_the_band_that_changed() -> None:
    base = np.arange(12, dtype=np.uint32).reshape(1, 12)
    changed = base.copy()
    changed[0, 5] += 1
    bands = band_hashes(np.concatenate([base, changed]), bands=3, rows=4)
    assert (bands[0] == bands[1]).tolist() == [True, False, True]
