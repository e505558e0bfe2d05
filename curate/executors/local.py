"""The local executor: a pipeline's steps over shards, each finished shard checkpointed.

Reading and the record stages before the first whole-data stage run shard by shard as the
inputs stream in. A whole-data stage sees every row its step is given, or, when it decides
from compact summaries (``CompactStage``), the rows a shard at a time in two passes
(``curate.executors.compact``). Record stages after it run shard by shard again. Every
finished shard goes to the work folder before the next is counted, so a killed run resumes
where it stopped (``curate.executors.workdir``). With more than one worker and more than one
shard, record steps spread shards over spawned processes that each build the step's stages
and load their models once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Self

import polars as pl

from curate import schema
from curate.config import PipelineConfig
from curate.errors import StageError
from curate.executors import pool
from curate.executors.compact import ShardRows, run_compact_step
from curate.executors.partitioned import run_partitioned_step
from curate.executors.reads import InputSeen, hub_record, read_facts, read_totals, timed
from curate.executors.steps import Step, plan, run_stages, stage_stats
from curate.executors.workdir import WorkFolder
from curate.memory import trim
from curate.progress import Reporter
from curate.readers.load import InputStream
from curate.readers.locate import Located
from curate.readers.memory import InMemory
from curate.record import InputFile, InputRecord, StageStats
from curate.record_executor import ExecutorRecord
from curate.stages.base import CompactStage, PartitionedStage, RunContext, Stage
from curate.writers.jobs import FileJob, write_in_process

DEFAULT_SHARD_ROWS = 5_000


@dataclass
class Execution:
    """What a run's steps left: the figures of reading and of every stage, and where the rows are."""

    inputs: list[InputRecord]
    stats: list[StageStats]
    rejects: dict[str, list[tuple[str, str, str]]]
    """Per rejects key (``read``, stage names), the (step, shard, part) frames in order."""
    output: tuple[str, list[str]]
    """The step and the shards that hold the output rows."""
    conversations: tuple[str, list[str]]
    """The step and the shards that hold the conversations the ``pairs`` stage was given."""


class LocalExecutor:
    """Runs ``stages`` (built from ``config``) over shards, checkpointed in ``work``.

    ``data`` holds the records of the inputs given in memory, by input name; the others are
    read from their files.
    """

    def __init__(
        self,
        config: PipelineConfig,
        stages: Sequence[Stage[Any]],
        context: RunContext,
        work: WorkFolder,
        reporter: Reporter,
        *,
        fingerprints: dict[str, list[dict[str, Any]]],
        located: Mapping[str, Located] | None = None,
        shard_rows: int = DEFAULT_SHARD_ROWS,
        workers: int = 1,
        limit: int | None = None,
        force: bool = False,
        batch_rows: int | None = None,
        data: Mapping[str, InMemory] | None = None,
    ) -> None:
        self.config = config
        self.stages = list(stages)
        self.context = context
        self.work = work
        self.reporter = reporter
        self.fingerprints = fingerprints
        self.located = dict(located or {})
        self.shard_rows = shard_rows
        self.workers = workers
        self.limit = limit
        self.force = force
        self.batch_rows = batch_rows
        self.data = dict(data or {})
        self.steps = plan(self.stages)

    def run(self) -> Execution:
        inputs: list[InputRecord] = []
        previous: list[str] = []
        conversations: tuple[str, list[str]] | None = None
        for step in self.steps:
            self.work.log("step_start", step=step.key)
            if step.reads:
                inputs = self._read_step(step)
            elif step.whole:
                self._whole_step(step, previous)
            else:
                self._record_step(step, previous)
            if conversations is None and any(self.stages[i].produces == "pairs" for i in step.stages):
                conversations = (self.steps[step.number - 2].key, previous)
            previous = self.work.finished(step.key)
            self.work.log("step_done", step=step.key, shards=len(previous))
            if step.reads and not self.force:
                self._check_pairs_possible(step, previous)
            trim()  # what the step held, given back before the next one
        last = self.steps[-1].key
        return Execution(
            inputs=inputs,
            stats=self._stats(),
            rejects=self._rejects(),
            output=(last, previous),
            conversations=conversations or (last, previous),
        )

    def record(self) -> ExecutorRecord | None:
        """The manifest's ``executor`` block: none for the local executor."""
        return None

    def write_files(self, jobs: Sequence[FileJob], folder: Path) -> None:
        """Write the output folder's data and rejects files, one after the other, here."""
        write_in_process(jobs, folder)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """Let go of what the run held until its output was written (nothing, here)."""

    def frames(self, where: tuple[str, list[str]], part: str = "kept") -> pl.DataFrame:
        """The rows of ``part`` of the shards at ``where``, concatenated in shard order."""
        step, shards = where
        frames = [self.work.frame(step, shard, part) for shard in shards]
        return _concat(frames) if frames else schema.empty()

    # Steps -----------------------------------------------------------------------------

    def _read_step(self, step: Step) -> list[InputRecord]:
        records = []
        with self._runner(step) as runner:
            runner.prepare(self.reporter)
            for number, spec in enumerate(self.config.inputs):
                if self.limit is not None:
                    spec = spec.model_copy(update={"limit": min(spec.limit or self.limit, self.limit)})
                stream = InputStream(
                    spec,
                    self.config.base_dir,
                    strict=self.context.strict,
                    data=self.data.get(spec.name),
                    located=self.located.get(spec.name),
                )
                self.reporter.start(f"read {spec.name}", None)
                for shard, seconds in timed(stream.shards(self.shard_rows)):
                    key = f"{number:02d}-{shard.number:05d}"
                    self.reporter.advance(shard.records)
                    if self.work.done(step.key, key):
                        continue
                    read = read_facts(number, shard, seconds)
                    runner.submit(key, shard.frame, {"rejects-read": shard.rejects}, {"read": read})
                self.reporter.finish()
                if stream.detected:
                    self.reporter.message(f"input {spec.name}: format auto chose {stream.format}")
                records.append((spec, stream))
        reads = self._reads()
        return [
            self._input_record(spec, InputSeen.of(stream), [read for read in reads if read["input"] == n])
            for n, (spec, stream) in enumerate(records)
        ]

    def _record_step(self, step: Step, previous: list[str]) -> None:
        source = self.steps[step.number - 2].key
        with self._runner(step) as runner:
            runner.prepare(self.reporter)
            self.reporter.start("+".join(step.names), sum(self.work.rows(source, key) for key in previous))
            for number, frame in enumerate(self._reshard(source, previous)):
                key = f"{number:05d}"
                self.reporter.advance(frame.height)
                if not self.work.done(step.key, key):
                    runner.submit(key, frame, {}, {})
        self.reporter.finish()

    def _whole_step(self, step: Step, previous: list[str]) -> None:
        position = step.stages[0]
        stage = self.stages[position]
        source = self.steps[step.number - 2].key
        if isinstance(stage, CompactStage):
            rows = ShardRows(self.work, source, previous)
            run_compact_step(
                self.work, step, stage, lambda: self._reshard(source, previous), rows, self.reporter
            )
            return
        if isinstance(stage, PartitionedStage):
            run_partitioned_step(
                self.work,
                step,
                stage,
                lambda: self._reshard(source, previous),
                self.shard_rows,
                self.reporter,
                self.batch_rows,
            )
            return
        if self.work.done(step.key, "all"):
            stage.restore(self.work.state(step.key, "all"))
            return
        frame = self.frames((source, previous))
        self.reporter.start(stage.name, frame.height)
        stage.setup()
        try:
            kept, rejects, facts = run_stages([(position, stage)], frame, whole=True)
        finally:
            stage.teardown()
        self.reporter.advance(frame.height)
        self.reporter.finish()
        parts = {"kept": kept, **rejects}
        self.work.write_shard(step.key, "all", parts, {"stages": facts}, state=stage.checkpoint())

    def _check_pairs_possible(self, step: Step, shards: list[str]) -> None:
        """Stop before the slow stages when no configured strategy can pair the rows read."""
        for stage in self.stages[len(step.stages) :]:
            if stage.adds_replies:
                return
            estimate = getattr(stage, "estimate_in_batches", None)
            if stage.produces == "pairs" and callable(estimate):
                found = estimate(lambda: (self.work.frame(step.key, shard, "kept") for shard in shards))
                self.work.log(
                    "pairing_estimate", can_pair=found.can_pair, groups=found.groups, complete=found.complete
                )
                if found.complete and not found.can_pair:
                    raise StageError(
                        f"the {stage.name} stage cannot form any pair: {found.explain()} Stopped before"
                        " the slow stages; pass --force to run them anyway (or add a generate stage"
                        " and a judge)."
                    )
                return

    def _reshard(self, step: str, shards: list[str]) -> Iterator[pl.DataFrame]:
        """The rows of ``step``'s shards again, in order, in slices of ``shard_rows`` (the last
        may be shorter; at least one slice, empty when there are no rows)."""
        pending: list[pl.DataFrame] = []
        count = 0
        empty = True
        for shard in shards:
            frame = self.work.frame(step, shard, "kept")
            while frame.height:
                take = min(self.shard_rows - count, frame.height)
                pending.append(frame.slice(0, take))
                frame = frame.slice(take)
                count += take
                if count == self.shard_rows:
                    yield _concat(pending)
                    pending, count, empty = [], 0, False
        if pending:
            yield _concat(pending)
        elif empty:
            yield self.frames((step, shards[:1]))

    def _runner(self, step: Step) -> pool.ShardRunner:
        stages = [(position, self.stages[position]) for position in step.stages]
        return pool.ShardRunner(
            self.work,
            step.key,
            stages,
            self.context,
            self.workers,
        )

    # Figures ---------------------------------------------------------------------------

    def _reads(self) -> list[dict[str, Any]]:
        """What reading each finished shard of the first step found, in shard order."""
        first = self.steps[0].key
        return [self.work.facts(first, shard)["read"] for shard in self.work.finished(first)]

    def _stats(self) -> list[StageStats]:
        reads = self._reads()
        records, rows, rejected, reasons = read_totals(reads)
        stats = [
            StageStats(
                name="read",
                rows_in=records,
                rows_out=rows,
                rows_rejected=rejected,
                seconds=sum(read["seconds"] for read in reads),
                reasons=reasons,
                unit_in="records",
                rows_consumed=records - rejected,
            )
        ]
        for step in self.steps:
            facts = [self.work.facts(step.key, shard)["stages"] for shard in self.work.finished(step.key)]
            for offset, position in enumerate(step.stages):
                stats.append(stage_stats(self.stages[position], [shard[offset] for shard in facts]))
        for before, after in pairwise(stats):
            if after.rows_in != before.rows_out:
                raise StageError(
                    f"rows went missing between stages: {before.name} passed on {before.rows_out:,},"
                    f" {after.name} was given {after.rows_in:,}; the work folder {self.work.path} may be"
                    " damaged: run again with --restart"
                )
        return stats

    def _rejects(self) -> dict[str, list[tuple[str, str, str]]]:
        first = self.steps[0].key
        found: dict[str, list[tuple[str, str, str]]] = {
            "read": [(first, shard, "rejects-read") for shard in self.work.finished(first)]
        }
        for step in self.steps:
            for position in step.stages:
                key = _unique_key(self.stages[position].name, found)
                part = f"rejects-{position}"
                found[key] = [(step.key, shard, part) for shard in self.work.finished(step.key)]
        return found

    def _input_record(self, spec: Any, seen: InputSeen, reads: list[dict[str, Any]]) -> InputRecord:
        records, rows, rejected, reasons = read_totals(reads)
        return InputRecord(
            name=spec.name,
            format=seen.format,
            format_detected=seen.detected,
            files=[InputFile.model_validate(file) for file in self.fingerprints[spec.name]],
            records=records,
            rows=rows,
            rejected=rejected,
            reasons=reasons,
            license=seen.license,
            consent=spec.consent,
            data=seen.data,
            hub=hub_record(self.located.get(spec.name)),
        )


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")


def _unique_key(name: str, taken: dict[str, Any]) -> str:
    if name not in taken:
        return name
    index = 2
    while f"{name}-{index}" in taken:
        index += 1
    return f"{name}-{index}"
