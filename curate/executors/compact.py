"""A whole-data stage that decides from compact summaries, run in three passes over shards.

1. ``summarize`` each shard of the step before (kept in ``<step>.summaries/``);
2. ``decide`` once, on every summary in shard order (kept in ``<step>.decisions/all``, with
   the stage's checkpoint and report);
3. ``apply`` each shard's slice of the decisions (the step's own shards).

Each pass writes its shards as it finishes them, so a killed run resumes in the pass it was
in. The rows themselves are held one shard at a time; what ``decide`` holds grows with the
input only by the summaries (signatures, ids, keys) and the decisions (a few columns).
Passes 1 and 3 are functions of one shard (``summarize_shard``, ``apply_shard``), which the
Ray executor runs as tasks; ``apply`` is given only its shard and the shard's decisions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from curate.executors.steps import Step, shard_facts
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.stages.base import CompactStage, tagged

Shards = Callable[[], Iterator[pl.DataFrame]]
"""The step's input, a shard at a time, the same shards in the same order at each call."""
DECISION_ROW_GROUP: Final = 10_000
"""Rows per row group of the decisions file, so that one shard's slice is read alone."""


def run_compact_step(
    work: WorkFolder,
    step: Step,
    stage: CompactStage[Any, Any],
    shards: Shards,
    rows: ShardRows,
    reporter: Reporter,
) -> None:
    """Run ``stage`` (the step's only stage) over the frames ``shards()`` yields, twice."""
    names = CompactNames(step.key)
    stage.setup()
    try:
        reporter.start(f"{stage.name}: summarize", None)
        for number, frame in enumerate(shards()):
            key = f"{number:05d}"
            if not work.done(names.summaries, key):
                summarize_shard(work, names, stage, key, frame)
            reporter.advance(frame.height)
        reporter.finish()
        decide_step(work, names, stage, rows, reporter)
        whole = work.facts(names.decisions, "all")
        decisions: pl.DataFrame | None = None
        offset = 0
        reporter.start(f"{stage.name}: apply", None)
        for number, frame in enumerate(shards()):
            key = f"{number:05d}"
            if not work.done(step.key, key):
                if decisions is None:
                    decisions = work.frame(names.decisions, "all", "decisions")
                mine = decisions.slice(offset, frame.height)
                apply_shard(work, step, stage, key, frame, mine, whole if number == 0 else None)
                work.log("shard_done", step=step.key, shard=key, rows=frame.height)
            offset += frame.height
            reporter.advance(frame.height)
        reporter.finish()
    finally:
        stage.teardown()


class CompactNames:
    """Where a compact step's passes keep their shards in the work folder."""

    def __init__(self, step: str) -> None:
        self.summaries = f"{step}.summaries"
        self.decisions = f"{step}.decisions"


def summarize_shard(
    work: WorkFolder, names: CompactNames, stage: CompactStage[Any, Any], key: str, frame: pl.DataFrame
) -> None:
    """Pass 1 on one shard: its summary, kept as the shard's state."""
    started = time.perf_counter()
    summary = stage.summarize(frame)
    seconds = time.perf_counter() - started
    work.write_shard(names.summaries, key, {}, {"rows": frame.height, "seconds": seconds}, state=summary)


def decide_step(
    work: WorkFolder, names: CompactNames, stage: CompactStage[Any, Any], rows: ShardRows, reporter: Reporter
) -> None:
    """Pass 2, once (unless a run before this one finished it): ``decide`` on every summary in
    shard order; then the stage takes back its checkpoint, as a resumed run's does."""
    if not work.done(names.decisions, "all"):
        reporter.start(f"{stage.name}: decide", None)
        started = time.perf_counter()
        finished = work.finished(names.summaries)
        found = [work.state(names.summaries, key) for key in finished]
        decisions = stage.decide(found, rows)
        del found
        report = stage.report()
        facts: dict[str, Any] = {
            "seconds": time.perf_counter()
            - started
            + sum(work.facts(names.summaries, key)["seconds"] for key in finished),
            "report": report.model_dump() if report is not None else None,
        }
        parts = {"decisions": decisions}
        work.write_shard(
            names.decisions, "all", parts, facts, state=stage.checkpoint(), row_group_size=DECISION_ROW_GROUP
        )
        reporter.finish()
    stage.restore(work.state(names.decisions, "all"))


def decisions_of(work: WorkFolder, names: CompactNames, offset: int, rows: int) -> pl.DataFrame:
    """The decisions of ``rows`` rows from row ``offset`` on (read from the row groups that hold them)."""
    path = work.path_of(names.decisions, "all", "decisions")
    return pl.scan_parquet(path).slice(offset, rows).collect()


def apply_shard(
    work: WorkFolder,
    step: Step,
    stage: CompactStage[Any, Any],
    key: str,
    frame: pl.DataFrame,
    decisions: pl.DataFrame,
    whole: dict[str, Any] | None,
) -> None:
    """Pass 3 on one shard: its kept and rejected rows, written as the step's shard ``key``.

    ``whole`` (the decisions' facts) goes with the first shard only: the whole step's report
    and the time spent summarizing and deciding count there.
    """
    position = step.stages[0]
    started = time.perf_counter()
    output = stage.apply(frame, decisions)
    seconds = time.perf_counter() - started
    facts = shard_facts(
        position,
        stage,
        frame,
        output,
        seconds + (whole["seconds"] if whole is not None else 0.0),
        whole["report"] if whole is not None else None,
    )
    parts = {"kept": output.kept, f"rejects-{position}": tagged(output.rejected, stage.name)}
    work.write_shard(step.key, key, parts, {"stages": [facts]})


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
