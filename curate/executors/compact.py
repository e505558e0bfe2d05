"""A whole-data stage that decides from compact summaries, run in three passes over shards.

1. ``summarize`` each shard of the step before (kept in ``<step>.summaries/``);
2. ``decide`` once, on every summary in shard order (kept in ``<step>.decisions/all``, with
   the stage's checkpoint and report);
3. ``apply`` each shard's slice of the decisions (the step's own shards).

Each pass writes its shards as it finishes them, so a killed run resumes in the pass it was
in. The rows themselves are held one shard at a time; what ``decide`` holds grows with the
input only by the summaries (signatures, ids, keys) and the decisions (a few columns).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from curate.executors.steps import Step, shard_facts
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.stages.base import CompactStage, tagged

Shards = Callable[[], Iterator[pl.DataFrame]]
"""The step's input, a shard at a time, the same shards in the same order at each call."""


def run_compact_step(
    work: WorkFolder,
    step: Step,
    stage: CompactStage[Any, Any],
    shards: Shards,
    rows: ShardRows,
    reporter: Reporter,
) -> None:
    """Run ``stage`` (the step's only stage) over the frames ``shards()`` yields, twice."""
    position = step.stages[0]
    summaries, decided = f"{step.key}.summaries", f"{step.key}.decisions"
    stage.setup()
    try:
        reporter.start(f"{stage.name}: summarize", None)
        for number, frame in enumerate(shards()):
            key = f"{number:05d}"
            if not work.done(summaries, key):
                started = time.perf_counter()
                summary = stage.summarize(frame)
                seconds = time.perf_counter() - started
                done = {"rows": frame.height, "seconds": seconds}
                work.write_shard(summaries, key, {}, done, state=summary)
            reporter.advance(frame.height)
        reporter.finish()
        if not work.done(decided, "all"):
            reporter.start(f"{stage.name}: decide", None)
            started = time.perf_counter()
            found = [work.state(summaries, key) for key in work.finished(summaries)]
            decisions = stage.decide(found, rows)
            report = stage.report()
            facts: dict[str, Any] = {
                "seconds": time.perf_counter()
                - started
                + sum(work.facts(summaries, key)["seconds"] for key in work.finished(summaries)),
                "report": report.model_dump() if report is not None else None,
            }
            work.write_shard(decided, "all", {"decisions": decisions}, facts, state=stage.checkpoint())
            reporter.finish()
            del found
        stage.restore(work.state(decided, "all"))
        _apply(work, step, stage, position, shards, decided, reporter)
    finally:
        stage.teardown()


def _apply(
    work: WorkFolder,
    step: Step,
    stage: CompactStage[Any, Any],
    position: int,
    shards: Shards,
    decided: str,
    reporter: Reporter,
) -> None:
    whole = work.facts(decided, "all")
    decisions: pl.DataFrame | None = None
    offset = 0
    reporter.start(f"{stage.name}: apply", None)
    for number, frame in enumerate(shards()):
        key = f"{number:05d}"
        if not work.done(step.key, key):
            if decisions is None:
                decisions = work.frame(decided, "all", "decisions")
            started = time.perf_counter()
            output = stage.apply(frame, decisions.slice(offset, frame.height))
            seconds = time.perf_counter() - started
            # The whole step's report and the time spent deciding go with its first shard.
            first = number == 0
            facts = shard_facts(
                position,
                stage,
                frame,
                output,
                seconds + (whole["seconds"] if first else 0.0),
                whole["report"] if first else None,
            )
            parts = {"kept": output.kept, f"rejects-{position}": tagged(output.rejected, stage.name)}
            work.write_shard(step.key, key, parts, {"stages": [facts]})
            work.log("shard_done", step=step.key, shard=key, rows=frame.height)
        offset += frame.height
        reporter.advance(frame.height)
    reporter.finish()


class ShardRows:
    """Rows of a step's shards, by their number over all of them, read back from the work folder.

    Rows are asked for in small sets (candidate pairs to check), so the last shard read is kept.
    """

    def __init__(self, work: WorkFolder, step: str, shards: list[str]) -> None:
        self.work = work
        self.step = step
        self.shards = shards
        heights = [work.rows(step, shard) for shard in shards]
        self.offsets = np.zeros(len(shards) + 1, dtype=np.int64)
        np.cumsum(heights, out=self.offsets[1:])
        self._cached: tuple[int, pl.DataFrame] | None = None

    def __call__(self, rows: npt.NDArray[np.int64]) -> pl.DataFrame:
        rows = np.asarray(rows, dtype=np.int64)
        shard_of = np.searchsorted(self.offsets, rows, side="right") - 1
        parts, positions = [], []
        for shard in np.unique(shard_of):
            where = np.flatnonzero(shard_of == shard)
            parts.append(self._frame(int(shard))[rows[where] - self.offsets[shard]])
            positions.append(where)
        if not parts:
            return self._frame(0).clear() if self.shards else pl.DataFrame()
        found = pl.concat(parts, how="vertical")
        ordered: pl.DataFrame = found[np.argsort(np.concatenate(positions), kind="stable")]
        return ordered

    def _frame(self, shard: int) -> pl.DataFrame:
        if self._cached is None or self._cached[0] != shard:
            self._cached = (shard, self.work.frame(self.step, self.shards[shard], "kept"))
        frame: pl.DataFrame = self._cached[1]
        return frame
