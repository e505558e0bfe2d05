"""Which executor runs a pipeline: the pipeline file's ``executor`` settings, a run's choice over them.

The Ray executor is imported only when chosen, so curate runs without Ray installed; choosing
it then is an ``ExecutorError`` (exit code 2) that says how to install it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from curate.config import ExecutorConfig, PipelineConfig
from curate.config_issues import validated
from curate.errors import ExecutorError
from curate.executors.local import LocalExecutor
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.stages.base import RunContext, Stage

RAY_OPTIONS = (
    "num_cpus",
    "object_store_memory",
    "spill_dir",
    "actor_cpus",
    "max_retries",
    "driver_memory",
    "clusters",
)
"""Settings of the ``executor`` block a run may give over the file's (``curate run --ray-cpus``,
``--object-store-memory``, ``--spill-dir``, ``--clusters``; ``Pipeline.run(executor_options=...)``)."""


def executor_settings(
    declared: ExecutorConfig,
    kind: Literal["local", "ray"] | None,
    address: str | None,
    options: Mapping[str, Any] | None = None,
) -> ExecutorConfig:
    """``declared`` (the pipeline file's) with a run's ``kind``, Ray ``address`` and Ray
    ``options`` (keys of ``RAY_OPTIONS``; a relative ``spill_dir`` is taken from the current
    folder) over it; for Ray, after checking that it is installed."""
    chosen = declared.model_copy(update={"kind": kind or declared.kind})
    given = {key: value for key, value in (options or {}).items() if value is not None}
    if address is not None:
        given["address"] = address
    if given:
        if chosen.kind != "ray":
            what = (
                "a Ray address was"
                if list(given) == ["address"]
                else f"Ray settings ({', '.join(given)}) were"
            )
            raise ExecutorError(
                f"{what} given but the run uses the local executor: add --executor ray"
                " (or executor: {kind: ray} in the pipeline file)"
            )
        unknown = sorted(set(given) - {"address", *RAY_OPTIONS})
        if unknown:
            raise ExecutorError(
                f"unknown executor options: {', '.join(unknown)} (known: {', '.join(RAY_OPTIONS)})"
            )
        merged = {**chosen.model_dump(exclude_unset=True), "kind": chosen.kind, **given}
        chosen = validated(ExecutorConfig, merged, "executor options", context={"base_dir": Path.cwd()})
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
