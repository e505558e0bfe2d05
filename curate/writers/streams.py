"""Data and rejects files written from a stream of frames, a row group at a time.

The rows of a run live in the work folder, a shard at a time; they reach the output folder
the same way, so writing holds one row group (at most ``MAX_ROW_GROUP_BYTES`` of rows), never
a split. Where the files and row groups are cut depends on the rows alone (their count and
estimated size, known before writing from one pass over them), never on the shards they
come in: the bytes are those ``write_splits`` writes from one frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.schema import Kind
from curate.writers import dataset
from curate.writers.atomic import atomic_path
from curate.writers.dataset import DATA_DIR, DataFile

REJECTS_ROW_GROUP: Final = 50_000
Frames = Callable[[], Iterator[pl.DataFrame]]
"""A split's (or a stage's rejects') rows, in order, a frame at a time; the same at each call."""


@dataclass(frozen=True)
class SplitSize:
    """How many rows a split has and what each weighs (``dataset.row_bytes``): enough to cut
    it into files and row groups before a row is written."""

    row_bytes: npt.NDArray[np.int64]

    @classmethod
    def of(cls, frames: Iterable[pl.DataFrame]) -> SplitSize:
        sizes = [dataset.row_bytes(frame) for frame in frames]
        return cls(np.concatenate(sizes) if sizes else np.zeros(0, np.int64))

    @property
    def rows(self) -> int:
        return int(self.row_bytes.size)

    def file_rows(self, shard_rows: int) -> int:
        """Rows per data file: ``shard_rows`` at most, and files near ``MAX_SHARD_BYTES``."""
        return dataset.file_rows(self.rows, int(self.row_bytes.sum()), shard_rows)

    def files(self, split: str, formats: Iterable[str], shard_rows: int) -> list[DataFile]:
        count = max(1, math.ceil(self.rows / self.file_rows(shard_rows)))
        return [DataFile(split, index, count, fmt) for index in range(count) for fmt in formats]

    def cuts(self, shard_rows: int) -> list[tuple[int, list[int]]]:
        """Per data file, its first row and the sizes of its row groups (as ``write_hub_parquet``
        cuts a file's rows)."""
        per_file = self.file_rows(shard_rows)
        found = []
        for start in range(0, max(self.rows, 1), per_file):
            stop = min(start + per_file, self.rows)
            height = stop - start
            group = dataset.row_group_rows(height, int(self.row_bytes[start:stop].sum())) or height
            found.append((start, [min(group, height - low) for low in range(0, height, max(group, 1))]))
        return found


@dataclass(frozen=True)
class OutputFacts:
    """The output, told without its text: kind, split sizes, and its compact columns."""

    kind: Kind
    sizes: dict[str, SplitSize]
    """Per split, in split order (``train`` first)."""
    rows: pl.DataFrame
    """The output's ``COMPACT`` columns (those it has)."""
    conversations: pl.DataFrame
    """The conversations' ``CONVERSATION_COMPACT`` columns."""
    heights: dict[str, list[int]] = field(default_factory=dict)
    """Per split, its rows in each of the output's shards, in shard order (to the last that has some)."""

    @property
    def height(self) -> int:
        return sum(size.rows for size in self.sizes.values())


def write_split(
    split: str, frames: Frames, size: SplitSize, folder: Path, formats: list[str], shard_rows: int
) -> list[str]:
    """Write one split's rows, streamed, as ``dataset.write_splits`` would from one frame."""
    files = size.files(split, formats, shard_rows)
    chunks = _Rechunked(frames())
    for number, (_, groups) in enumerate(size.cuts(shard_rows)):
        write_data_file([file for file in files if file.index == number], groups, chunks, folder)
    return [file.path for file in files]


def write_data_file(
    files: list[DataFile], groups: list[int], rows: Iterator[pl.DataFrame] | _Rechunked, folder: Path
) -> None:
    """One data file of a split, in each of its formats (``files``): row groups of the sizes
    ``groups`` (``SplitSize.cuts``), taken from ``rows`` (the split's rows from the file's
    first one on). No groups: the files of an empty split, with the columns ``rows`` has."""
    chunks = rows if isinstance(rows, _Rechunked) else _Rechunked(rows)
    if not groups:
        empty = chunks.take(0)
        for file in files:
            dataset.WRITERS[file.format](empty, folder / DATA_DIR / file.name)
        return
    with ExitStack() as stack:
        targets = {
            file.format: stack.enter_context(atomic_path(folder / DATA_DIR / file.name)) for file in files
        }
        parquet: pq.ParquetWriter | None = None
        for count in groups:
            chunk = chunks.take(count)
            if "parquet" in targets:
                table = dataset.hub_table(chunk)
                if parquet is None:
                    parquet = stack.enter_context(_parquet_writer(targets["parquet"], table.schema))
                parquet.write_table(table, row_group_size=count)
            if "jsonl" in targets:
                with targets["jsonl"].open("ab") as handle:
                    chunk.write_ndjson(handle)


def write_rejects(frames: Frames, target: Path) -> None:
    """One stage's rejected rows as one Parquet file, in row groups of ``REJECTS_ROW_GROUP``."""
    chunks = _Rechunked(frames())
    with atomic_path(target) as temporary, ExitStack() as stack:
        writer: pq.ParquetWriter | None = None
        while True:
            chunk = chunks.take(REJECTS_ROW_GROUP)
            if writer is not None and chunk.height == 0:
                break
            table = chunk.to_arrow(compat_level=pl.CompatLevel.oldest())
            if writer is None:
                writer = stack.enter_context(_parquet_writer(temporary, table.schema))
            writer.write_table(table, row_group_size=max(chunk.height, 1))
            if chunk.height < REJECTS_ROW_GROUP:
                break


def _parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(path, schema, compression="zstd", write_statistics=True)


class _Rechunked:
    """Frames cut into chunks of the sizes asked for, whatever sizes they came in."""

    def __init__(self, frames: Iterator[pl.DataFrame]) -> None:
        self.frames = frames
        self.pending: list[pl.DataFrame] = []
        self.held = 0
        self.empty: pl.DataFrame | None = None

    def take(self, rows: int) -> pl.DataFrame:
        while self.held < rows or self.empty is None:
            frame = next(self.frames, None)
            if frame is None:
                break
            if self.empty is None:
                self.empty = frame.clear()
            if frame.height:
                self.pending.append(frame)
                self.held += frame.height
        if not self.pending:
            if self.empty is None:
                raise ValueError("no frame to take rows from")
            return self.empty
        joined = pl.concat(self.pending, how="vertical") if len(self.pending) > 1 else self.pending[0]
        chunk, rest = joined.slice(0, rows), joined.slice(rows)
        self.pending = [rest] if rest.height else []
        self.held = rest.height
        return chunk
