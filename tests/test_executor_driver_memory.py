"""A whole-data step that would not fit the driver stops before it starts, saying what to do."""

from __future__ import annotations

from typing import Any

import pytest

from curate.errors import ExecutorError
from curate.executors.ray import driver
from curate.stages import Dedup, Pairs, Split

MIB = 2**20


@pytest.mark.parametrize(
    ("stage", "rows", "limit", "stops"),
    [
        (Dedup(), 1_000, 10 * MIB, False),
        (Dedup(), 100_000, 10 * MIB, True),  # ~1,200 bytes a row at num_perm 128, edges included
        (Dedup(num_perm=64), 15_000, 15 * MIB, False),  # fewer permutations, fewer bands
        (Dedup(num_perm=512), 15_000, 15 * MIB, True),
        (Split(test_size=0.1), 15_000, 4 * MIB, True),  # ~300 bytes a row
        (Split(test_size=0.1), 10_000, 8 * MIB, False),
        (Pairs(strategies=["battle"]), 10_000, 8 * MIB, False),
        (Pairs(strategies=["battle"]), 100_000, 8 * MIB, True),
        (Dedup(), 0, 0, False),
    ],
)
def test_a_step_stops_when_its_decision_would_not_fit_the_limit(
    stage: Any, rows: int, limit: int, stops: bool
) -> None:
    if not stops:
        driver.check_driver_memory(stage, rows, limit)
        return
    with pytest.raises(ExecutorError) as raised:
        driver.check_driver_memory(stage, rows, limit)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{stage.name}: deciding over {rows:,} rows takes about ")
    assert "executor.driver_memory allows" in message and "--resume" in message


def test_without_a_limit_the_driver_s_available_memory_is_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(driver, "available_memory", lambda: 3 * 2**30)
    driver.check_driver_memory(Dedup(), 1_000_000, None)  # ~0.5 GiB
    with pytest.raises(ExecutorError, match=r"more than the 3\.0 GiB the driver has available"):
        driver.check_driver_memory(Dedup(), 10_000_000, None)


def test_the_available_memory_is_read_from_this_machine() -> None:
    assert driver.available_memory() > 0


@pytest.mark.parametrize(
    ("stage", "rows", "clusters", "place"),
    [
        # dedup at num_perm 128: ~530 bytes a row, and at most ~670 more of candidate edges
        (Dedup(), 10_000, "auto", "driver"),
        (Dedup(), 20_000, "auto", "cluster"),  # edges included, over 16 MiB; without, under
        (Dedup(), 40_000, "auto", "too large"),  # over 16 MiB even without the edges
        (Dedup(), 10_000, "driver", "driver"),
        (Dedup(), 20_000, "driver", "too large"),
        (Dedup(), 1_000, "cluster", "cluster"),
        (Dedup(), 40_000, "cluster", "too large"),
        # split and pairs join their rows through the joiner too (~80 and ~70 bytes a row)
        (Split(test_size=0.1), 1_000, "auto", "driver"),
        (Split(test_size=0.1), 1_000, "cluster", "cluster"),
        (Pairs(strategies=["battle"]), 1_000, "cluster", "cluster"),
        (Pairs(strategies=["battle"]), 70_000, "auto", "cluster"),  # 16.7 MiB, 12.0 without joining
        (Split(test_size=0.1), 100_000, "auto", "too large"),
    ],
)
def test_clusters_are_joined_on_the_driver_while_they_fit_else_on_the_cluster(
    stage: Any, rows: int, clusters: Any, place: str
) -> None:
    """``executor.clusters``: ``auto`` picks the driver while the whole figure fits the limit,
    the cluster while the part without edges does; a step neither fits stops with one line."""
    limit = 16 * MIB
    if place != "too large":
        assert driver.check_driver_memory(stage, rows, limit, clusters) == place
        return
    with pytest.raises(ExecutorError) as raised:
        driver.check_driver_memory(stage, rows, limit, clusters)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{stage.name}: deciding over {rows:,} rows")
    joined = " with its clusters on Ray, more than" in message
    assert joined == (clusters != "driver")
    assert ("executor.clusters: auto" in message) == (clusters == "driver")
