"""The manifest's ``executor`` block: the cluster a run used and what Ray's statistics say each
step took on it (timings: they differ from run to run, as ``seconds`` do)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_serializer

from curate.record_base import Record


class RayPassRecord(Record):
    """What Ray's statistics say one pass of a whole-data step took (`summarize`, `link`, ...)."""

    name: Literal["summarize", "apply", "link", "scatter", "batch"] = Field(description="The pass.")
    tasks: int = Field(description="Ray tasks run (one per shard, or per batch), retries included.")
    blocks: int = Field(description="Blocks the tasks produced.")
    nodes: int = Field(description="Nodes the pass's busiest operator ran on.")
    task_seconds: float = Field(description="Wall time of the tasks, added up.")
    cpu_seconds: float = Field(description="CPU time of the tasks, added up.")

    @field_serializer("task_seconds", "cpu_seconds")
    def _milliseconds(self, seconds: float) -> float:
        return round(seconds, 3)


class RayStepRecord(Record):
    """What Ray's own statistics say one step took on the cluster (timings: they differ
    from run to run, as ``seconds`` do). A whole-data step's figures add up its passes, which
    ``passes`` lists, and ``driver_seconds`` is what its decision (or plan and merge) took on
    the driver."""

    optional_keys = frozenset({"passes", "driver_seconds"})

    step: str = Field(description="The step, as the work folder names it (`01-read+normalize`).")
    stages: list[str] = Field(description="Its stages (`read` first for the step that reads).")
    pool: Literal["tasks", "actors"] = Field(description="Plain Ray tasks, or an actor pool (a model).")
    tasks: int = Field(description="Ray tasks run (reading and one per shard), retries included.")
    blocks: int = Field(description="Blocks the tasks produced.")
    nodes: int = Field(description="Nodes the step's busiest operator ran on.")
    task_seconds: float = Field(description="Wall time of the tasks, added up.")
    cpu_seconds: float = Field(description="CPU time of the tasks, added up.")
    passes: list[RayPassRecord] | None = Field(
        None, description="A whole-data step's passes that ran on Ray, in order; absent for a record step."
    )
    driver_seconds: float | None = Field(
        None,
        description=(
            "A whole-data step's time on the driver between its passes (`decide`; pairs' plan and"
            " merge); absent for a record step."
        ),
    )

    @field_serializer("task_seconds", "cpu_seconds", "driver_seconds")
    def _milliseconds(self, seconds: float | None) -> float | None:
        return round(seconds, 3) if seconds is not None else None


class ExecutorRecord(Record):
    """The executor that ran a run's steps, when it was not the local one."""

    optional_keys = frozenset({"steps", "max_retries"})

    kind: Literal["ray"] = Field(description="The executor.")
    ray_version: str = Field(description="The Ray the run used.")
    cpus: int = Field(description="CPUs of the cluster when the run started.")
    nodes: int = Field(description="Nodes of the cluster when the run started.")
    max_retries: int | None = Field(
        None, description="Times a task whose worker died was run again (and an actor restarted)."
    )
    steps: list[RayStepRecord] | None = Field(
        None,
        description=(
            "The steps this run gave Ray (record steps, and whole-data steps' passes), with Ray's"
            " figures for each."
        ),
    )
