"""What a run's steps left in the work folder, as the writer and the manifest take it.

The output rows, the conversations behind them and every stage's rejects stay in the work
folder's shards; this reads them back a shard at a time (``Frames``), by split, or as a few
compact columns (the license derivation's, the dedup index's), never all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from curate import schema
from curate.executors.workdir import WorkFolder
from curate.schema import FormatVariant, Kind
from curate.writers.dataset import row_bytes
from curate.writers.streams import OutputFacts, SplitSize
from curate.writers.variants import export

SPLIT = "_split"
COMPACT = ("id", "source", "license", "model", "judge", "chosen_id", "rejected_id", SPLIT)
"""Columns of the output the manifest (license derivation) and stage artifacts (the dedup
index's released ids) read: short values, one row per output row."""
CONVERSATION_COMPACT = ("id", "source", "model")

Where = tuple[str, list[str]]


class WorkOutputs:
    """The output, conversations and rejects of a run, read from its work folder."""

    def __init__(
        self,
        work: WorkFolder,
        output: Where,
        conversations: Where,
        rejects: dict[str, list[tuple[str, str, str]]],
        variant: FormatVariant = "conversational",
    ) -> None:
        self.work = work
        self.output = output
        self.conversations = conversations
        self.reject_parts = rejects
        self.variant = variant

    def shards(self, where: Where, part: str = "kept") -> Iterator[pl.DataFrame]:
        step, shards = where
        found = False
        for shard in shards:
            found = True
            yield self.work.frame(step, shard, part)
        if not found:
            yield schema.empty()

    def split(self, name: str, heights: Sequence[int] | None = None) -> SplitRows:
        """One split's rows as the data files hold them (published columns, in the format
        variant), a shard at a time; with ``heights`` (the split's rows in each shard,
        ``OutputFacts.heights``), readable from any row on without the shards before it."""
        step, shards = self.output
        return SplitRows(self.work.path, step, tuple(shards), name, self.variant, tuple(heights or ()))

    def rejects(self, key: str) -> RejectRows:
        return RejectRows(self.work.path, tuple(self.reject_parts[key]))

    def facts(self) -> OutputFacts:
        """Kind, split sizes and compact columns of the output, in one pass over its shards."""
        kind: Kind | None = None
        sizes: dict[str, list[npt.NDArray[np.int64]]] = {}
        heights: dict[str, list[int]] = {}
        compact = []
        for number, frame in enumerate(self.shards(self.output)):
            kind = kind or schema.kind_of(frame)
            splits = (
                frame[SPLIT].unique(maintain_order=True).to_list() if SPLIT in frame.columns else ["train"]
            )
            for name in splits:
                rows = frame.filter(pl.col(SPLIT) == name) if SPLIT in frame.columns else frame
                published = export(rows.select(schema.public_columns(rows)), self.variant)
                sizes.setdefault(name, []).append(row_bytes(published))
                shard_heights = heights.setdefault(name, [])
                shard_heights.extend([0] * (number - len(shard_heights)))
                shard_heights.append(rows.height)
            if self.output[1]:
                compact.append(frame.select([name for name in COMPACT if name in frame.columns]))
        names = sorted(sizes, key=schema.split_order) or ["train"]
        return OutputFacts(
            kind=kind or "conversations",
            sizes={name: SplitSize(_joined(sizes.get(name, []))) for name in names},
            heights={name: heights.get(name, []) for name in names},
            rows=_concat(compact),
            conversations=_concat(list(self._columns(self.conversations, CONVERSATION_COMPACT))),
        )

    def collect(self, where: Where) -> pl.DataFrame:
        """Every row of ``where`` in one frame (for a result kept in memory)."""
        return _concat(list(self.shards(where)))

    def _columns(self, where: Where, wanted: tuple[str, ...]) -> Iterator[pl.DataFrame]:
        step, shards = where
        for shard in shards:
            path = self.work.path_of(step, shard, "kept")
            present = [name for name in wanted if name in pl.read_parquet_schema(path)]
            yield pl.read_parquet(path, columns=present)


@dataclass(frozen=True)
class SplitRows:
    """Where one split's published rows are in the work folder: a ``Frames`` that can start
    at any row, and be sent to another process."""

    work: Path
    step: str
    shards: tuple[str, ...]
    split: str
    variant: FormatVariant
    heights: tuple[int, ...] = ()
    """The split's rows in each shard (shards past the end hold none); empty when unknown."""

    def __call__(self) -> Iterator[pl.DataFrame]:
        return self.starting_at(0)

    def starting_at(self, row: int) -> Iterator[pl.DataFrame]:
        """The rows from ``row`` on; with ``heights``, the shards wholly before it are not read."""
        work = WorkFolder(self.work)
        before = 0
        given = False
        for number, shard in enumerate(self.shards):
            height = self.heights[number] if number < len(self.heights) else 0
            if self.heights and row > 0 and before + height <= row:
                before += height
                continue
            frame = self._published(work.frame(self.step, shard, "kept"))
            if before < row:
                cut = min(row - before, frame.height)
                before += cut
                frame = frame.slice(cut)
            given = True
            yield frame
        if not given:  # no shard, or every row before ``row``: no rows, with their columns
            last = work.frame(self.step, self.shards[-1], "kept") if self.shards else schema.empty()
            yield self._published(last).clear()

    def _published(self, frame: pl.DataFrame) -> pl.DataFrame:
        chosen = frame.filter(pl.col(SPLIT) == self.split) if SPLIT in frame.columns else frame
        return export(chosen.select(schema.public_columns(chosen)), self.variant)


@dataclass(frozen=True)
class RejectRows:
    """Where one stage's rejected rows are in the work folder (picklable)."""

    work: Path
    parts: tuple[tuple[str, str, str], ...]

    def __call__(self) -> Iterator[pl.DataFrame]:
        if not self.parts:
            yield pl.DataFrame(schema=schema.READ_REJECT)
        work = WorkFolder(self.work)
        for step, shard, part in self.parts:
            yield work.frame(step, shard, part)


def _joined(arrays: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame()
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
