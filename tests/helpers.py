"""Small builders shared by tests: rows, frames and pipeline files."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path
from typing import Any

import polars as pl

import curate
from curate import schema
from curate.executors.pool import ShardRunner, finish_shard
from curate.executors.steps import stage_stats
from curate.executors.workdir import RunKey, WorkFolder
from curate.record import StageStats
from curate.stages.base import RunContext, Stage


def conversation(
    id: str = "c1",
    *turns: tuple[str, str],
    source: str = "test",
    **columns: Any,
) -> dict[str, Any]:
    """One conversation row; ``turns`` are ``(role, content)``, default a user/assistant pair."""
    messages = [
        {"role": role, "content": content}
        for role, content in (turns or (("user", "hi"), ("assistant", "hello")))
    ]
    row: dict[str, Any] = {
        "id": id,
        "source": source,
        "messages": messages,
        "license": "MIT",
        "consent": "granted",
    }
    row.update(columns)
    return row


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    """A conversations frame from rows made by ``conversation``."""
    return schema.conversations(rows)


def write_pipeline(folder: Path, text: str) -> Path:
    """Write a pipeline file (dedented) into ``folder`` and return its path."""
    path = folder / "pipeline.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run_pipeline(folder: Path, text: str, **options: Any) -> curate.RunResult:
    """Write and run a pipeline file; the output goes to ``folder/out`` unless it says otherwise."""
    return curate.Pipeline.from_yaml(write_pipeline(folder, text)).run(**options)


def figures(stage: Stage[Any]) -> dict[str, Any]:
    """A stage's report as the manifest stores it (``{}`` when it reports nothing)."""
    report = stage.report()
    return report.model_dump() if report is not None else {}


def run_in_shards(
    stage: Stage[Any], rows: pl.DataFrame, shard_rows: int, *, set_up: bool = True
) -> tuple[pl.DataFrame, pl.DataFrame, StageStats]:
    """Run one record stage over ``rows`` in shards, as the executor does: its kept rows, its
    rejects and its figures (counts and reports of the shards, merged).

    ``set_up=False`` is for a stage the caller set up already (and tears down itself)."""
    with tempfile.TemporaryDirectory() as scratch:
        key = RunKey(curate_version="test", config_hash="", inputs=(), shard_rows=shard_rows, limit=None)
        work, _ = WorkFolder.open(Path(scratch) / "work", key, resume=False, restart=False)
        slices = [rows.slice(start, shard_rows) for start in range(0, max(rows.height, 1), shard_rows)]
        if set_up:
            with ShardRunner(work, "01-test", [(0, stage)], RunContext(), workers=1) as runner:
                for number, part in enumerate(slices):
                    runner.submit(f"{number:05d}", part, {}, {})
        else:
            for number, part in enumerate(slices):
                finish_shard(work, "01-test", [(0, stage)], f"{number:05d}", part, {}, {})
        shards = work.finished("01-test")
        kept = pl.concat([work.frame("01-test", shard, "kept") for shard in shards])
        rejected = pl.concat([work.frame("01-test", shard, "rejects-0") for shard in shards])
        stats = stage_stats(stage, [work.facts("01-test", shard)["stages"][0] for shard in shards])
    return kept, rejected, stats


def load_sentences(folder: Path) -> list[tuple[str, str]]:
    """(language code, sentence) for every line of the ``<code>.txt`` files in ``folder``."""
    return [
        (path.stem, line)
        for path in sorted(folder.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def pairs_of(count: int) -> pl.DataFrame:
    """``count`` pairs whose prompts and chosen replies differ in length (for file cuts)."""
    rows = [
        {
            "prompt": [{"role": "user", "content": f"question {i} " + "x" * (i * 7 % 50)}],
            "chosen": [{"role": "assistant", "content": "good " * (1 + i % 9)}],
            "rejected": [{"role": "assistant", "content": "bad"}],
            "id": f"p{i}",
            "source": "s",
        }
        for i in range(count)
    ]
    return schema.pairs(rows)
