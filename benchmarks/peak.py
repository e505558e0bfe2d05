"""The peak of a memory figure while a block of code runs, sampled from a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Peak:
    """What ``sampled`` saw: the figure when the block started, and its highest value."""

    start: int
    peak: int


@contextmanager
def sampled(measure: Callable[[], int], every: float = 0.005) -> Iterator[Peak]:
    """Sample ``measure()`` every ``every`` seconds while the block runs, and once after it."""
    found = Peak(measure(), 0)
    found.peak = found.start
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(every):
            found.peak = max(found.peak, measure())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield found
    finally:
        stop.set()
        sampler.join()
        found.peak = max(found.peak, measure())
