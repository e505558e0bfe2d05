"""A pipeline's stages planned into steps, and one shard run through a step's record stages.

A **step** is either a whole-data stage alone, or the record stages between two whole-data
stages, fused so that each shard passes through all of them at once. The first step also
reads the inputs. What a stage did to one shard is kept as plain data (``StageFacts``), so
it can be written beside the shard, read back on ``--resume`` and added up in shard order.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from curate import schema
from curate.record import StageStats, merge_reports
from curate.stages.base import Stage, StageOutput, check, checked_report, tagged


@dataclass(frozen=True)
class Step:
    """Stages run together: record stages shard by shard, or one whole-data stage."""

    number: int
    stages: tuple[int, ...]
    """Positions of the step's stages in the pipeline."""
    names: tuple[str, ...]
    reads: bool
    whole: bool

    @property
    def key(self) -> str:
        """The step's folder in the work folder, e.g. ``01-read+normalize+quality``."""
        parts = (("read",) if self.reads else ()) + self.names
        return f"{self.number:02d}-{'+'.join(parts) or 'pass'}"


def plan(stages: Sequence[Stage[Any]]) -> list[Step]:
    """Steps for ``stages``: reading fused with the first record stages, then alternating."""
    steps: list[Step] = []
    pending: list[int] = []

    def close(reads: bool) -> None:
        names = tuple(stages[i].name for i in pending)
        steps.append(Step(len(steps) + 1, tuple(pending), names, reads, whole=False))
        pending.clear()

    for position, stage in enumerate(stages):
        if stage.whole_data:
            if pending or not steps:
                close(reads=not steps)
            steps.append(Step(len(steps) + 1, (position,), (stage.name,), False, whole=True))
        else:
            pending.append(position)
    if pending or not steps:
        close(reads=not steps)
    return steps


def run_stages(
    stages: Iterable[tuple[int, Stage[Any]]], frame: pl.DataFrame, *, whole: bool = False
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], list[dict[str, Any]]]:
    """Pass ``frame`` through ``stages``: the rows kept, each stage's rejects, each stage's facts.

    Each stage is ``reset`` first (unless ``whole``: it sees every row once), so its report
    covers this shard alone.
    """
    rejects: dict[str, pl.DataFrame] = {}
    facts = []
    for position, stage in stages:
        if not whole:
            stage.reset()
        started = time.perf_counter()
        output = stage.process(frame)
        seconds = time.perf_counter() - started
        facts.append(shard_facts(position, stage, frame, output, seconds, report_of(stage)))
        rejects[f"rejects-{position}"] = tagged(output.rejected, stage.name)
        frame = output.kept
    return frame, rejects, facts


def shard_facts(
    position: int,
    stage: Stage[Any],
    frame: pl.DataFrame,
    output: StageOutput,
    seconds: float,
    report: dict[str, Any] | None,
) -> dict[str, Any]:
    """What ``stage`` did to the shard ``frame`` (checked first: every row accounted for)."""
    check(stage, frame, output)
    return {
        "position": position,
        "name": stage.name,
        "rows_in": frame.height,
        "rows_out": output.kept.height,
        "rows_rejected": output.rejected.height,
        "rows_consumed": output.consumed,
        "seconds": seconds,
        "unit_in": schema.kind_of(frame),
        "unit_out": schema.kind_of(output.kept),
        "reasons": dict(Counter(output.rejected["reason"].to_list())),
        "report": report,
    }


def report_of(stage: Stage[Any]) -> dict[str, Any] | None:
    """The stage's report as the manifest stores it; it must be the ``Report`` the stage declares."""
    report = checked_report(stage)
    return None if report is None else report.model_dump()


def stage_stats(stage: Stage[Any], shards: Sequence[dict[str, Any]]) -> StageStats:
    """One stage's figures over every shard, from the facts of each, in shard order."""
    reasons: Counter[str] = Counter()
    for facts in shards:
        reasons.update(facts["reasons"])
    consumed = [facts["rows_consumed"] for facts in shards]
    model = stage.Report
    reports = [
        None if facts["report"] is None or model is None else model.model_validate(facts["report"])
        for facts in shards
    ]
    merged = merge_reports(reports)
    return StageStats(
        name=stage.name,
        rows_in=sum(facts["rows_in"] for facts in shards),
        rows_out=sum(facts["rows_out"] for facts in shards),
        rows_rejected=sum(facts["rows_rejected"] for facts in shards),
        seconds=sum(facts["seconds"] for facts in shards),
        unit_in=shards[0]["unit_in"] if shards else "conversations",
        unit_out=shards[0]["unit_out"] if shards else "conversations",
        reasons=dict(sorted(reasons.items())),
        rows_consumed=(
            None
            if all(value is None for value in consumed)
            else sum(f["rows_out"] if c is None else c for f, c in zip(shards, consumed, strict=True))
        ),
        report=merged.model_dump() if merged is not None else {},
    )
