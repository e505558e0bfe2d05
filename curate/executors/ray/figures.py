"""What Ray says a step took: its tasks, nodes and time, from the dataset's own statistics.

``ray.data`` keeps, per operator of a dataset it ran, the wall and CPU time of every task,
the blocks and rows they produced and the nodes they ran on. A record step's figures add up
every operator of its dataset (reading, the step's ``map_batches``); a whole-data step's add
up the datasets of its passes, each kept too, with the time the step spent on the driver
between them. They go to the end-of-run table and the manifest's ``executor`` block, never
into anything compared between runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from curate.record_executor import RayPassRecord, RayStepRecord


def step_figures(dataset: Any, step: str, stages: tuple[str, ...], pool: str) -> RayStepRecord | None:
    """The figures of ``dataset`` (a step's, iterated to the end), or None when Ray keeps none."""
    totals = _totals(dataset)
    if totals is None:
        return None
    return RayStepRecord(step=step, stages=list(stages), pool=pool, **totals)


def pass_figures(dataset: Any, name: str) -> RayPassRecord | None:
    """The figures of one pass's ``dataset`` (iterated to the end), or None when Ray keeps none."""
    totals = _totals(dataset)
    return RayPassRecord(name=name, **totals) if totals is not None else None


def whole_figures(
    step: str, stage: str, pool: str, passes: Sequence[RayPassRecord], driver_seconds: float
) -> RayStepRecord | None:
    """A whole-data step's figures: its passes added up, each kept; None when none ran on Ray
    (a resumed run that found them finished)."""
    if not passes:
        return None
    return RayStepRecord(
        step=step,
        stages=[stage],
        pool=pool,
        tasks=sum(found.tasks for found in passes),
        blocks=sum(found.blocks for found in passes),
        nodes=max(found.nodes for found in passes),
        task_seconds=sum(found.task_seconds for found in passes),
        cpu_seconds=sum(found.cpu_seconds for found in passes),
        passes=list(passes),
        driver_seconds=driver_seconds,
    )


def _totals(dataset: Any) -> dict[str, Any] | None:
    try:
        summary = dataset._get_stats_summary()
    except Exception:  # statistics are a private API of ray.data: never worth failing a run
        return None
    tasks = blocks = nodes = 0
    wall = cpu = 0.0
    for operator in _operators(summary):
        if getattr(operator, "is_sub_operator", False) or operator.wall_time is None:
            continue
        tasks += operator.wall_time.count
        wall += operator.wall_time.sum
        cpu += operator.cpu_time.sum if operator.cpu_time is not None else 0.0
        blocks += int(operator.output_num_rows.count) if operator.output_num_rows is not None else 0
        nodes = max(nodes, operator.node_count.count if operator.node_count is not None else 0)
    return {"tasks": tasks, "blocks": blocks, "nodes": nodes, "task_seconds": wall, "cpu_seconds": cpu}


def _operators(summary: Any) -> Iterator[Any]:
    yield from summary.operators_stats
    for parent in summary.parents:
        yield from _operators(parent)
