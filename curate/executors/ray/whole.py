"""Whole-data steps on Ray: the passes over shards as tasks, only the decision on the driver.

A ``CompactStage`` (dedup, split) is summarized and applied shard by shard in
``map_batches``, one shard per call (``summarize_shard``, ``apply_shard`` of
``curate.executors.compact``); ``decide`` runs once here, on the driver, on the summaries in
shard order. A ``PartitionedStage`` (pairs) gets its links and its scattered rows shard by
shard and its batches batch by batch as calls (``curate.executors.partitioned``); the plan of
the batches (the parts of linked rows) and the merge of their output run here. Every call
writes its shard into the work folder as the local executor's pass does, the marker last,
under the same key, so what a pass reads back does not depend on the order calls finish in,
and a run killed anywhere resumes in the pass it was in, on either executor.

A stage that loads something in ``setup`` (dedup's earlier releases) runs in an actor pool,
set up once per actor, as a record step's would; the others are built for each call. A call
is given its shard as slices of the step before in the work folder, never the rows.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from curate.dedup.arrays import Int64s
from curate.errors import CurateError, StageError
from curate.executors.compact import (
    CompactNames,
    ShardRows,
    apply_shard,
    decide_step,
    decisions_of,
    summarize_shard,
)
from curate.executors.partitioned import (
    PartitionedNames,
    link_shard,
    merge,
    plan_batches,
    process_batch,
    scatter_shard,
)
from curate.executors.pool import Built
from curate.executors.ray.figures import pass_figures, whole_figures
from curate.executors.ray.shards import DONE_SCHEMA, PAYLOAD, SHARD, Failure, ShardInput, first_line, slices
from curate.executors.ray.tasks import build, loads_models, node_id
from curate.executors.steps import Step
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.record_executor import RayPassRecord, RayStepRecord
from curate.stages.base import CompactStage, PartitionedStage, RunContext, Stage
from curate.writers.disk import disk_faults

Pass = Literal["summarize", "apply", "link", "scatter", "batch"]


@dataclass(frozen=True)
class PassCall:
    """One call of a whole-data step's pass: a shard (or a batch) and what the pass needs of it."""

    kind: Pass
    key: str
    shard: ShardInput | None = None
    """Where the shard's rows are (every pass but ``batch``)."""
    offset: int = 0
    """The shard's first row over the step's rows (``apply``, ``scatter``)."""
    batches: Int64s | None = None
    """The batch of each of the shard's rows (``scatter``)."""
    whole: dict[str, Any] | None = None
    """The decisions' facts, for the first shard of ``apply`` (the whole step's report)."""

    def row(self) -> pa.Table:
        """This call as a one-row block of ``ray.data``."""
        payload = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        return pa.table(
            {SHARD: pa.array([self.key], pa.string()), PAYLOAD: pa.array([payload], pa.large_binary())}
        )


@dataclass
class WholeOnRay:
    """The passes of one whole-data step: calls on the cluster, the decision here."""

    work: WorkFolder
    step: Step
    stage: Stage[Any]
    context: RunContext
    reporter: Reporter
    cpus: int
    actor_cpus: float
    source: str
    """The step before, whose kept rows the passes are given."""
    previous: list[str]
    heights: list[int]
    shard_rows: int
    retries: int
    """``executor.max_retries``: runs of a call whose worker died, restarts of an actor."""
    passes: list[RayPassRecord] = field(default_factory=list)
    """Ray's figures of each pass that ran calls, in order."""
    driver_seconds: float = 0.0
    """The time spent here between the passes: ``decide``, or pairs' plan and merge."""

    def figures(self) -> RayStepRecord | None:
        """The step's figures on Ray (None when no pass ran a call)."""
        pool = "actors" if loads_models([(self.step.stages[0], self.stage)]) else "tasks"
        return whole_figures(self.step.key, self.stage.name, pool, self.passes, self.driver_seconds)

    def run_compact(self, stage: CompactStage[Any, Any]) -> None:
        names = CompactNames(self.step.key)
        shards = self._shards()
        calls = [
            PassCall("summarize", key, shard)
            for key, shard, _ in shards
            if not self._done(names.summaries, key)
        ]
        self._run(calls, f"{stage.name}: summarize", sum(self.heights))
        with self._on_driver(stage):
            decide_step(
                self.work, names, stage, ShardRows(self.work, self.source, self.previous), self.reporter
            )
        whole = self.work.facts(names.decisions, "all")
        calls = [
            PassCall("apply", key, shard, offset, whole=whole if number == 0 else None)
            for number, (key, shard, offset) in enumerate(shards)
            if not self._done(self.step.key, key)
        ]
        self._run(calls, f"{stage.name}: apply", sum(self.heights), log=self.step.key)

    def run_partitioned(self, stage: PartitionedStage[Any, Any], batch_rows: int | None) -> None:
        names = PartitionedNames(self.step.key)
        shards = self._shards()
        calls = [PassCall("link", key, shard) for key, shard, _ in shards if not self._done(names.links, key)]
        self._run(calls, f"{stage.name}: link", sum(self.heights))
        with self._on_driver():
            batch_of = plan_batches(self.work, names, batch_rows, stage.context.joiner)
        calls = []
        for key, shard, offset in shards:
            if not self._done(names.scatter, key):
                rows = sum(length for _, _, length in shard.pieces)
                calls.append(
                    PassCall("scatter", key, shard, offset, batches=batch_of[offset : offset + rows])
                )
        self._run(calls, f"{stage.name}: scatter", None)
        count = int(batch_of.max(initial=-1)) + 1 or 1
        del batch_of
        keys = [f"{batch:05d}" for batch in range(count)]
        calls = [PassCall("batch", key) for key in keys if not self._done(names.batches, key)]
        self._run(calls, stage.name, None, log=names.batches)
        with self._on_driver(stage):
            merge(self.work, names, self.step, stage, self.shard_rows)

    @contextmanager
    def _on_driver(self, stage: Stage[Any] | None = None) -> Iterator[None]:
        """Work here, between the passes, counted in ``driver_seconds``; with ``stage`` set up
        for it and torn down after."""
        started = time.perf_counter()
        if stage is not None:
            stage.setup()
        try:
            yield
        finally:
            if stage is not None:
                stage.teardown()
            self.driver_seconds += time.perf_counter() - started

    def _shards(self) -> list[tuple[str, ShardInput, int]]:
        """The shards the local executor re-cuts the step before into: key, slices, first row."""
        found = []
        offset = 0
        for number, pieces in enumerate(slices(self.previous, self.heights, self.shard_rows)):
            key = f"{number:05d}"
            found.append((key, ShardInput(key, source=self.source, pieces=pieces), offset))
            offset += sum(length for _, _, length in pieces)
        return found

    def _done(self, step: str, key: str) -> bool:
        return self.work.done(step, key)

    def _run(self, calls: list[PassCall], label: str, total: int | None, log: str | None = None) -> None:
        """Run ``calls`` on the cluster, each writing its shard; raise the first curate error."""
        import ray.data
        from ray.data import ActorPoolStrategy
        from ray.exceptions import RayError

        if not calls:
            return
        position = self.step.stages[0]
        built: Built = [(position, self.stage.name, self.stage.options)]
        arguments = {"work": str(self.work.path), "step": self.step, "built": built, "context": self.context}
        dataset: Any = ray.data.from_arrow([call.row() for call in calls])
        if loads_models([(position, self.stage)]):
            mapped = dataset.map_batches(
                PassActor,
                fn_constructor_kwargs=arguments,
                batch_size=1,
                batch_format="pyarrow",
                compute=ActorPoolStrategy(min_size=1, max_size=max(1, int(self.cpus // self.actor_cpus))),
                num_cpus=self.actor_cpus,
                max_restarts=self.retries,
                max_task_retries=self.retries,
            )
        else:
            mapped = dataset.map_batches(
                run_pass,
                fn_kwargs=arguments,
                batch_size=1,
                batch_format="pyarrow",
                max_retries=self.retries,
            )
        self.reporter.start(label, total if total is not None else len(calls))
        try:
            for done in mapped.iter_rows():
                if done["error"] is not None:
                    raise Failure.loads(done["error"]).error()
                self.reporter.advance(done["rows"] if total is not None else 1)
                if log is not None:
                    # The events the local passes log, with the node the call ran on.
                    kind = "batch" if log.endswith(".batches") else "shard"
                    where = {"step": log, kind: done["shard"], "rows": done["rows"], "node": done["node"]}
                    self.work.log(f"{kind}_done", **where)
        except RayError as exc:
            raise StageError(
                f"a Ray task of step {self.step.key} ({label}) failed ({first_line(exc)}; one whose worker"
                f" dies is run again up to {self.retries} times, executor.max_retries); the finished shards"
                " are kept: rerun with --resume to continue from them"
            ) from exc
        self.reporter.finish()
        figures = pass_figures(mapped, calls[0].kind)
        if figures is not None:
            self.passes.append(figures)


def run_pass(batch: pa.Table, work: str, step: Step, built: Built, context: RunContext) -> pa.Table:
    """``map_batches`` function of a step whose stage loads nothing: built for each call."""
    stage = _built(built, context)
    stage.setup()
    try:
        return _calls(WorkFolder(Path(work)), step, stage, batch)
    finally:
        stage.teardown()


class PassActor:
    """``map_batches`` class of a step whose stage loads something: built and set up once per actor."""

    def __init__(self, work: str, step: Step, built: Built, context: RunContext) -> None:
        self.work = WorkFolder(Path(work))
        self.step = step
        self.stage = _built(built, context)
        self.stage.setup()

    def __call__(self, batch: pa.Table) -> pa.Table:
        return _calls(self.work, self.step, self.stage, batch)


def _built(built: Built, context: RunContext) -> Stage[Any]:
    [(_, stage)] = build(built, context)
    return stage


def _calls(work: WorkFolder, step: Step, stage: Stage[Any], batch: pa.Table) -> pa.Table:
    done = []
    for payload in batch.column(PAYLOAD).to_pylist():
        call: PassCall = pickle.loads(payload)
        try:
            with disk_faults(work.path):
                rows = _one(work, step, stage, call)
        except CurateError as error:
            done.append({"shard": call.key, "rows": 0, "node": node_id(), "error": Failure.of(error).dumps()})
            continue
        done.append({"shard": call.key, "rows": rows, "node": node_id(), "error": None})
    return pa.Table.from_pylist(done, schema=DONE_SCHEMA)


def _one(work: WorkFolder, step: Step, stage: Stage[Any], call: PassCall) -> int:
    """Run one call's pass; the rows it was given."""
    if call.kind == "batch":
        assert isinstance(stage, PartitionedStage)
        return process_batch(work, PartitionedNames(step.key), step.stages[0], stage, int(call.key))
    assert call.shard is not None
    frame = call.shard.rows(work)
    if isinstance(stage, CompactStage):
        names = CompactNames(step.key)
        if call.kind == "summarize":
            summarize_shard(work, names, stage, call.key, frame)
        else:
            decisions = decisions_of(work, names, call.offset, frame.height)
            apply_shard(work, step, stage, call.key, frame, decisions, call.whole)
    elif isinstance(stage, PartitionedStage):
        parts = PartitionedNames(step.key)
        if call.kind == "link":
            link_shard(work, parts, stage, call.key, frame)
        else:
            assert call.batches is not None
            scatter_shard(work, parts, call.key, frame, call.offset, call.batches)
    return frame.height
