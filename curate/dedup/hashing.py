"""Stable 64-bit hashing on numpy arrays: the building blocks of shingles and signatures.

Everything here is defined by this module alone (no library's hash whose output may change
between versions), so a signature index written today matches one computed next year.
Arithmetic is modulo 2**64 (numpy's unsigned wrap-around).
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Final

import numpy as np

from curate.dedup.arrays import U64

GOLDEN: Final = 0x9E3779B97F4A7C15
BYTE_BASE: Final = 0x100000001B3  # odd, so it has an inverse modulo 2**64
BYTE_BASE_INVERSE: Final = pow(BYTE_BASE, -1, 2**64)


def mix64(values: U64) -> U64:
    """The splitmix64 finaliser, applied element-wise: a bijection that scatters every bit."""
    x = values ^ (values >> np.uint64(30))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def string_code(key: str) -> int:
    """A 64-bit code of ``key`` (BLAKE2b of its UTF-8 bytes), equal on every run and machine."""
    return int.from_bytes(blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def splitmix_stream(seed: int, count: int) -> U64:
    """``count`` pseudo-random 64-bit words from ``seed`` (fixed forever, unlike numpy's RNGs)."""
    steps = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(GOLDEN)
    return mix64(steps + np.uint64(seed % 2**64))


class PowerTable:
    """``base**i`` and ``base**-i`` modulo 2**64 for positions ``i``, grown on demand."""

    def __init__(self) -> None:
        self.forward: U64 = np.ones(1, dtype=np.uint64)
        self.inverse: U64 = np.ones(1, dtype=np.uint64)

    def ensure(self, size: int) -> None:
        if size <= self.forward.size:
            return
        size = max(size, 2 * self.forward.size)
        self.forward = _powers(BYTE_BASE, size)
        self.inverse = _powers(BYTE_BASE_INVERSE, size)


def _powers(base: int, size: int) -> U64:
    powers = np.full(size, base, dtype=np.uint64)
    powers[0] = 1
    return np.cumprod(powers, dtype=np.uint64)
