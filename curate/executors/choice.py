"""Which executor runs a pipeline: the pipeline file's ``executor`` settings, a run's choice over them.

The Ray executor is imported only when chosen, so curate runs without Ray installed; choosing
it then is an ``ExecutorError`` (exit code 2) that says how to install it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from curate.config import ExecutorConfig, PipelineConfig
from curate.errors import ExecutorError
from curate.executors.local import LocalExecutor
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.stages.base import RunContext, Stage


def executor_settings(
    declared: ExecutorConfig, kind: Literal["local", "ray"] | None, address: str | None
) -> ExecutorConfig:
    """``declared`` (the pipeline file's) with a run's ``kind`` and Ray ``address`` over it; for
    Ray, after checking that it is installed."""
    chosen = declared.model_copy(update={"kind": kind or declared.kind})
    if address is not None:
        if chosen.kind != "ray":
            raise ExecutorError(
                "a Ray address was given but the run uses the local executor: add --executor ray"
                " (or executor: {kind: ray} in the pipeline file)"
            )
        chosen = chosen.model_copy(update={"address": address})
    if chosen.kind == "ray":
        from curate.executors.ray.cluster import require_ray

        require_ray()
    return chosen


def make_executor(
    settings: ExecutorConfig,
    config: PipelineConfig,
    stages: Sequence[Stage[Any]],
    context: RunContext,
    work: WorkFolder,
    reporter: Reporter,
    **options: Any,
) -> LocalExecutor:
    """The executor ``settings`` choose, given what ``LocalExecutor`` takes."""
    if settings.kind == "ray":
        from curate.executors.ray.executor import RayExecutor

        return RayExecutor(config, stages, context, work, reporter, settings=settings, **options)
    return LocalExecutor(config, stages, context, work, reporter, **options)
