"""What a run's steps left in the work folder, as the writer and the manifest take it.

The output rows, the conversations behind them and every stage's rejects stay in the work
folder's shards; this reads them back a shard at a time (``Frames``), by split, or as a few
compact columns (the license derivation's, the dedup index's), never all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import polars as pl

from curate import schema
from curate.executors.workdir import WorkFolder
from curate.schema import FormatVariant, Kind
from curate.writers.dataset import row_bytes
from curate.writers.streams import Frames, OutputFacts, SplitSize
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

    def split(self, name: str) -> Frames:
        """One split's rows as the data files hold them (published columns, in the format
        variant), a shard at a time."""

        def frames() -> Iterator[pl.DataFrame]:
            for frame in self.shards(self.output):
                chosen = frame.filter(pl.col(SPLIT) == name) if SPLIT in frame.columns else frame
                yield export(chosen.select(schema.public_columns(chosen)), self.variant)

        return frames

    def rejects(self, key: str) -> Frames:
        parts = self.reject_parts[key]

        def frames() -> Iterator[pl.DataFrame]:
            if not parts:
                yield pl.DataFrame(schema=schema.READ_REJECT)
            for step, shard, part in parts:
                yield self.work.frame(step, shard, part)

        return frames

    def facts(self) -> OutputFacts:
        """Kind, split sizes and compact columns of the output, in one pass over its shards."""
        kind: Kind | None = None
        sizes: dict[str, list[npt.NDArray[np.int64]]] = {}
        compact = []
        for frame in self.shards(self.output):
            kind = kind or schema.kind_of(frame)
            splits = (
                frame[SPLIT].unique(maintain_order=True).to_list() if SPLIT in frame.columns else ["train"]
            )
            for name in splits:
                rows = frame.filter(pl.col(SPLIT) == name) if SPLIT in frame.columns else frame
                published = export(rows.select(schema.public_columns(rows)), self.variant)
                sizes.setdefault(name, []).append(row_bytes(published))
            if self.output[1]:
                compact.append(frame.select([name for name in COMPACT if name in frame.columns]))
        names = sorted(sizes, key=schema.split_order) or ["train"]
        return OutputFacts(
            kind=kind or "conversations",
            sizes={name: SplitSize(_joined(sizes.get(name, []))) for name in names},
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


def _joined(arrays: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame()
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
