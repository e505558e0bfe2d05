"""``split``: assign rows to ``train`` / ``test`` by prompt cluster, reproducibly for a seed.

Rows that share a prompt cluster (from ``dedup`` or ``pairs``), a source group or an exact
prompt are one unit and land in one split, so no prompt or near-duplicate of it is in both.
The result is a ``_split`` column, which the writer turns into ``data/train-*`` and
``data/test-*`` files. Nothing is rejected.

>>> from curate.stages.split import Split
>>> Split.from_options(test_size=0.1, seed=3).options.test_size
0.1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import polars as pl
from pydantic import Field, model_validator

from curate import schema
from curate.markdown import paragraphs, report_tables, table
from curate.options import StageOptions
from curate.splitting.clusters import choose_test, components, conversation_keys, pair_keys
from curate.stages.base import (
    CompactStage,
    RowFetcher,
    RunContext,
    StageOutput,
    StageReport,
    no_rejects,
    register,
)


class SplitOptions(StageOptions):
    test_size: float | int = Field(
        description="The test split: a fraction of the rows (0 < x < 1) or a number of rows (>= 1)."
    )
    seed: int | None = Field(None, description="Seed of the assignment; default the pipeline's seed.")

    @model_validator(mode="after")
    def _size(self) -> Self:
        size = self.test_size
        if isinstance(size, float) and not 0 < size < 1:
            raise ValueError(
                "test_size as a fraction must be between 0 and 1 (exclusive); use an integer for rows"
            )
        if isinstance(size, int) and size < 1:
            raise ValueError("test_size as a number of rows must be at least 1")
        return self

    def target(self, rows: int) -> int:
        if isinstance(self.test_size, int):
            return min(self.test_size, rows)
        return round(self.test_size * rows)


class SplitSide(StageReport):
    rows: int
    clusters: int = Field(description="Prompt clusters (with their groups and exact prompts) on this side.")


class SplitReport(StageReport):
    """How many rows, and how many prompt clusters, went to each side."""

    test_size: float | int
    target_test_rows: int = Field(description="The test rows aimed at; whole clusters make it approximate.")
    seed: int
    train: SplitSide
    test: SplitSide


DECIDE_BYTES_PER_ROW = 300
"""What ``decide`` holds per row (measured: ``driver_memory``)."""
JOIN_BYTES_PER_ROW = 80
"""Of ``DECIDE_BYTES_PER_ROW``, what joining the rows' key codes takes in process (the stars'
sort and edges, the union-find): ``edge_memory``."""


@register("split")
class Split(CompactStage[SplitOptions, SplitReport]):
    """Train and test splits that never share a prompt cluster."""

    Options = SplitOptions
    Report = SplitReport
    accepts = ("conversations", "pairs")

    def __init__(self, options: SplitOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self._report: SplitReport | None = None

    def summarize(self, frame: pl.DataFrame) -> list[list[str]]:
        """The keys that link each row to others: its prompt cluster, group and exact prompt."""
        return _keys(frame)

    def decide(self, summaries: Sequence[list[list[str]]], rows: RowFetcher) -> pl.DataFrame:
        """``_split`` of every row: whole components of linked rows, chosen by a seeded order."""
        keys = [keys for summary in summaries for keys in summary]
        row_component, names = components(keys, self.context.joiner)
        del keys
        sizes = np.bincount(row_component, minlength=len(names))
        total = row_component.size
        target = self.options.target(total)
        test = choose_test(sizes, names, target, self.seed)
        chosen = np.zeros(len(names), dtype=bool)
        chosen[sorted(test)] = True
        is_test = chosen[row_component]
        tested = int(is_test.sum())
        self._report = SplitReport(
            test_size=self.options.test_size,
            target_test_rows=target,
            seed=self.seed,
            train=SplitSide(rows=total - tested, clusters=len(names) - len(test)),
            test=SplitSide(rows=tested, clusters=len(test)),
        )
        side = pl.when(pl.col("_split")).then(pl.lit("test")).otherwise(pl.lit("train"))
        return pl.DataFrame({"_split": is_test}).select(side.cast(pl.String).alias("_split"))

    def apply(self, frame: pl.DataFrame, decisions: pl.DataFrame) -> StageOutput:
        return StageOutput(kept=frame.with_columns(decisions), rejected=no_rejects(frame))

    def driver_memory(self, rows: int) -> int:
        """Each row's keys (Python strings, as the summaries load), their 64-bit codes while
        they are joined, and its component: 268 bytes a row measured
        (``benchmarks/decide_memory.py``; 417 when components were a dictionary union-find
        over the strings and the test side a sort of Python tuples), rounded up."""
        return rows * DECIDE_BYTES_PER_ROW

    def edge_memory(self, rows: int) -> int:
        """The part of ``driver_memory`` a joiner on a cluster keeps off the driver: 80 bytes a
        row at 2.3 keys a row measured (tracemalloc over ``stars`` and ``join``)."""
        return rows * JOIN_BYTES_PER_ROW

    def report(self) -> SplitReport | None:
        return self._report

    @classmethod
    def card_section(cls, report: SplitReport) -> str:
        sides = [
            (name, side.rows, side.clusters)
            for name, side in (("train", report.train), ("test", report.test))
        ]
        return paragraphs(
            "Whole prompt clusters (replies to one prompt, and near-duplicate prompts when `dedup` ran) go"
            f" to one side.\n\n{table(['split', 'rows', 'prompt clusters'], sides, align='lrr')}",
            report_tables(report.model_dump(exclude={"train", "test"})),
        )


def _keys(frame: pl.DataFrame) -> list[list[str]]:
    if schema.kind_of(frame) == "pairs":
        clusters = frame["_prompt_cluster"] if "_prompt_cluster" in frame.columns else None
        return [
            pair_keys(prompt, clusters[index] if clusters is not None else None)
            for index, prompt in enumerate(frame["prompt"].to_list())
        ]
    columns = frame.select("messages", "prompt_cluster", "source", "group")
    return [conversation_keys(*row) for row in columns.iter_rows()]
