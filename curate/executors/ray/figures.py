"""What Ray says a step took: its tasks, nodes and time, from the dataset's own statistics.

``ray.data`` keeps, per operator of a dataset it ran, the wall and CPU time of every task,
the blocks and rows they produced and the nodes they ran on. A step's figures add up every
operator of its dataset (reading, the step's ``map_batches``); they go to the end-of-run
table and the manifest's ``executor`` block, never into anything compared between runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from curate.record import RayStepRecord


def step_figures(dataset: Any, step: str, stages: tuple[str, ...], pool: str) -> RayStepRecord | None:
    """The figures of ``dataset`` (a step's, iterated to the end), or None when Ray keeps none."""
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
    return RayStepRecord(
        step=step,
        stages=list(stages),
        pool=pool,
        tasks=tasks,
        blocks=blocks,
        nodes=nodes,
        task_seconds=wall,
        cpu_seconds=cpu,
    )


def _operators(summary: Any) -> Iterator[Any]:
    yield from summary.operators_stats
    for parent in summary.parents:
        yield from _operators(parent)
