"""A whole-data stage over independent parts of the rows, a bounded batch of parts at a time.

1. ``links`` of each shard (kept in ``<step>.links/``): keys that tie rows together;
2. the parts (rows tied directly or through others), packed in the order of their first row
   into batches of about ``BATCH_ROWS`` rows (a larger part is a batch alone);
3. every shard's rows, with their number (``ROW``) and batch, sorted by batch into
   ``<step>.scatter/``, so that a batch is read back from the row groups that hold it;
4. ``process`` on each batch (``<step>.batches/``);
5. the batches' kept rows merged by the stage's ``order_by`` columns and their rejected rows
   by ``ROW``, cut into the step's own shards of ``shard_rows``.

Every pass writes its shards as it finishes them, so a killed run resumes in the pass it
was in. Batches depend on the rows, never on the shard size or the number of workers, and
the merge restores one order whatever the batches: the output is the same either way.
Passes 1, 3 and 4 are functions of one shard or batch (``link_shard``, ``scatter_shard``,
``process_batch``), which the Ray executor runs as tasks; 2 and 5 run where the step is run,
2 joining the linked rows through the stage's ``RunContext.joiner`` (in this process, or on
the cluster when the Ray executor gives its own).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import numpy as np
import polars as pl

from curate.dedup.arrays import Int64s
from curate.dedup.joining import IN_PROCESS, Joiner
from curate.executors.links import Links, part_of_rows
from curate.executors.steps import Step, shard_facts, stage_stats
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.stages.base import ROW, PartitionedStage, tagged

BATCH_ROWS: Final = 20_000
"""Rows a batch of parts aims at: what ``process`` holds at once, with its Python objects."""
SCATTER_ROW_GROUP: Final = 1_000
BATCH = "_batch"
FACTS: Final = {
    "name",
    "rows_in",
    "rows_out",
    "rows_rejected",
    "rows_consumed",
    "seconds",
    "unit_in",
    "unit_out",
    "reasons",
}

Shards = Callable[[], Iterator[pl.DataFrame]]


def run_partitioned_step(
    work: WorkFolder,
    step: Step,
    stage: PartitionedStage[Any, Any],
    shards: Shards,
    shard_rows: int,
    reporter: Reporter,
    batch_rows: int | None = None,
) -> None:
    """Run ``stage`` (the step's only stage) over the frames ``shards()`` yields, by batches
    of about ``batch_rows`` rows (default ``BATCH_ROWS``)."""
    names = PartitionedNames(step.key)
    stage.setup()
    try:
        reporter.start(f"{stage.name}: link", None)
        for number, frame in enumerate(shards()):
            key = f"{number:05d}"
            if not work.done(names.links, key):
                link_shard(work, names, stage, key, frame)
            reporter.advance(frame.height)
        reporter.finish()
        batch_of = plan_batches(work, names, batch_rows, stage.context.joiner)
        offset = 0
        for number, frame in enumerate(shards()):
            key = f"{number:05d}"
            if not work.done(names.scatter, key):
                scatter_shard(work, names, key, frame, offset, batch_of[offset : offset + frame.height])
            offset += frame.height
        count = int(batch_of.max(initial=-1)) + 1 or 1
        reporter.start(stage.name, count)
        for batch in range(count):
            key = f"{batch:05d}"
            if not work.done(names.batches, key):
                rows = process_batch(work, names, step.stages[0], stage, batch)
                work.log("batch_done", step=names.batches, batch=key, rows=rows)
            reporter.advance(1)
        reporter.finish()
        merge(work, names, step, stage, shard_rows)
    finally:
        stage.teardown()


def link_shard(
    work: WorkFolder,
    names: PartitionedNames,
    stage: PartitionedStage[Any, Any],
    key: str,
    frame: pl.DataFrame,
) -> None:
    """Pass 1 on one shard: its rows' links, kept as the shard's state (as codes)."""
    work.write_shard(names.links, key, {}, {"rows": frame.height}, state=Links.encode(stage.links(frame)))


def plan_batches(
    work: WorkFolder, names: PartitionedNames, batch_rows: int | None, joiner: Joiner = IN_PROCESS
) -> Int64s:
    """Pass 2, here: the batch of every row, from every shard's links in shard order, the
    rows sharing a link joined by ``joiner`` (the stage's: ``RunContext.joiner``)."""
    if not work.done(names.plan, "all"):
        # The batch size is fixed for the step once its rows are scattered: a resumed
        # run keeps it, whatever its own setting.
        work.write_shard(names.plan, "all", {}, {"batch_rows": batch_rows or BATCH_ROWS})
    links = Links.concat([_links(work, names.links, key) for key in work.finished(names.links)])
    return batches_of(links, work.facts(names.plan, "all")["batch_rows"], joiner)


def batches(links: list[list[str]], batch_rows: int) -> Int64s:
    """The batch of each row: parts of rows tied by shared links, whole, packed in order of
    their first row into batches of at most ``batch_rows`` rows (a larger part goes alone)."""
    return batches_of(Links.encode(links), batch_rows)


def batches_of(links: Links, batch_rows: int, joiner: Joiner = IN_PROCESS) -> Int64s:
    """``batches`` of links kept as codes, their parts found by ``joiner``."""
    part_of = part_of_rows(links, joiner)
    sizes = np.bincount(part_of)
    part_batch = np.zeros(sizes.size, dtype=np.int64)
    batch, filled = 0, 0
    for part, size in enumerate(sizes.tolist()):
        if filled and filled + size > batch_rows:
            batch, filled = batch + 1, 0
        part_batch[part] = batch
        filled += size
    found: Int64s = part_batch[part_of]
    return found


class PartitionedNames:
    """Where a partitioned step's passes keep their shards in the work folder."""

    def __init__(self, step: str) -> None:
        self.links = f"{step}.links"
        self.plan = f"{step}.plan"
        self.scatter = f"{step}.scatter"
        self.batches = f"{step}.batches"


def _links(work: WorkFolder, step: str, key: str) -> Links:
    found = work.state(step, key)
    if not isinstance(found, Links):
        raise TypeError(f"the links of shard {key} in {work.step(step)} are not curate's")
    return found


def scatter_shard(
    work: WorkFolder, names: PartitionedNames, key: str, frame: pl.DataFrame, offset: int, batch_of: Int64s
) -> None:
    """Pass 3 on one shard (its first row is row ``offset`` of the step): its rows with ``ROW``
    and their batch (``batch_of``, one per row), sorted by batch, in small row groups."""
    numbered = frame.with_columns(
        pl.int_range(offset, offset + frame.height, dtype=pl.Int64).alias(ROW),
        pl.Series(BATCH, batch_of, dtype=pl.Int64),
    ).sort(BATCH, maintain_order=True)
    work.write_shard(names.scatter, key, {"rows": numbered}, {}, row_group_size=SCATTER_ROW_GROUP)


def process_batch(
    work: WorkFolder, names: PartitionedNames, position: int, stage: PartitionedStage[Any, Any], batch: int
) -> int:
    """Pass 4 on one batch: ``process`` on its rows, in row order, written as batch ``batch``;
    the rows it was given."""
    key = f"{batch:05d}"
    files = [work.path_of(names.scatter, shard, "rows") for shard in work.finished(names.scatter)]
    frame = pl.scan_parquet(files).filter(pl.col(BATCH) == batch).collect().sort(ROW).drop(BATCH)
    stage.reset()
    started = time.perf_counter()
    output = stage.process(frame)
    seconds = time.perf_counter() - started
    report = stage.report()
    facts = shard_facts(
        position, stage, frame, output, seconds, report.model_dump() if report is not None else None
    )
    kept = output.kept.sort(list(stage.order_by), maintain_order=True) if stage.order_by else output.kept
    rejected = tagged(output.rejected, stage.name).sort(ROW, maintain_order=True)
    work.write_shard(names.batches, key, {"kept": kept, "rejected": rejected}, {"stages": [facts]})
    return frame.height


def merge(
    work: WorkFolder, names: PartitionedNames, step: Step, stage: PartitionedStage[Any, Any], shard_rows: int
) -> None:
    """The step's shards: kept and rejected rows of every batch, each in one order."""
    position = step.stages[0]
    done = work.finished(names.batches)
    kept = _Merged(work, names.batches, done, "kept", list(stage.order_by))
    rejected = _Merged(work, names.batches, done, "rejected", [ROW])
    count = max(1, math.ceil(kept.size / shard_rows), math.ceil(rejected.size / shard_rows))
    for number in range(count):
        key = f"{number:05d}"
        if work.done(step.key, key):
            continue
        window = slice(number * shard_rows, (number + 1) * shard_rows)
        # The whole step's figures go with its first shard (the others count nothing).
        facts = _totals(work, names.batches, done, stage, kept) if number == 0 else _nothing(stage)
        parts = {
            "kept": kept.rows(window).drop(stage.order_by),
            f"rejects-{position}": rejected.rows(window).drop(ROW),
        }
        work.write_shard(step.key, key, parts, {"stages": [{**facts, "position": position}]})


class _Merged:
    """The rows of one part of every batch, in the order of ``by`` over all of them.

    Each batch's rows are sorted already, so the rows a window of the merged order takes
    from one batch are consecutive there: a slice, read alone.
    """

    def __init__(self, work: WorkFolder, step: str, batches: list[str], part: str, by: list[str]) -> None:
        self.files = [work.path_of(step, batch, part) for batch in batches]
        keys = [
            pl.scan_parquet(file)
            .select(by)
            .with_columns(
                pl.lit(number, pl.Int64).alias("_file"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_at")
            )
            for number, file in enumerate(self.files)
        ]
        order = pl.concat(keys).collect().sort([*by, "_file"]) if keys else pl.DataFrame()
        self.file = order["_file"].to_numpy() if keys else np.zeros(0, np.int64)
        self.at = order["_at"].to_numpy() if keys else np.zeros(0, np.int64)
        self.size = int(self.file.size)

    def rows(self, window: slice) -> pl.DataFrame:
        files, ats = self.file[window], self.at[window]
        pieces, where = [], []
        for file in np.unique(files):
            chosen = np.flatnonzero(files == file)
            first, last = int(ats[chosen].min()), int(ats[chosen].max())
            piece = pl.scan_parquet(self.files[file]).slice(first, last - first + 1).collect()
            pieces.append(piece[ats[chosen] - first])
            where.append(chosen)
        if not pieces:
            return pl.read_parquet(self.files[0]).clear()
        merged = pl.concat(pieces, how="vertical")
        ordered: pl.DataFrame = merged[np.argsort(np.concatenate(where), kind="stable")]
        return ordered


def _totals(
    work: WorkFolder, step: str, batches: list[str], stage: PartitionedStage[Any, Any], kept: _Merged
) -> dict[str, Any]:
    """The figures of every batch together, as the facts of one shard."""
    stats = stage_stats(stage, [work.facts(step, batch)["stages"][0] for batch in batches])
    merged = stage.Report.model_validate(stats.report) if stats.report and stage.Report else None
    report = stage.final_report(merged, pl.scan_parquet(kept.files))
    return {
        **stats.model_dump(include=FACTS),
        "report": report.model_dump() if report is not None else None,
    }


def _nothing(stage: PartitionedStage[Any, Any]) -> dict[str, Any]:
    return {
        "name": stage.name,
        "rows_in": 0,
        "rows_out": 0,
        "rows_rejected": 0,
        "rows_consumed": None,
        "seconds": 0.0,
        "unit_in": "conversations",
        "unit_out": stage.produces or "conversations",
        "reasons": {},
        "report": None,
    }
