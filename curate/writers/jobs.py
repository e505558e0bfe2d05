"""The output folder's data and rejects files, as jobs that can be written anywhere.

Where a split's files and row groups are cut is known before a row is written
(``SplitSize.cuts``), so each data file is a job of its own: its first row, its row groups and
where the split's rows are; each stage's rejects are one more. A job is written by whoever
runs it: this process, one after the other (``write_in_process``), or the Ray executor's
workers, several at once (``curate.executors.ray.writing``). The bytes are the same either
way, and a job holds one row group at a time.

A job's rows are a ``Frames`` (the rows from the first, a frame at a time); one that can
start further on without reading what comes before (``SkippingFrames``: the work folder's
shards) is asked to, and must be picklable to be sent to another process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import polars as pl

from curate.writers.dataset import DataFile
from curate.writers.streams import Frames, SplitSize, write_data_file, write_rejects


@runtime_checkable
class SkippingFrames(Protocol):
    """Rows that can be read from any row on."""

    def __call__(self) -> Iterator[pl.DataFrame]: ...

    def starting_at(self, row: int) -> Iterator[pl.DataFrame]:
        """The rows from row ``row`` on (at least one frame, empty at the end: its columns)."""
        ...


@dataclass(frozen=True)
class DataFileJob:
    """One data file of a split, in every format the output has."""

    files: tuple[DataFile, ...]
    start: int
    """The file's first row, over the split's rows."""
    groups: tuple[int, ...]
    """Rows of each of its row groups; none for an empty split."""
    rows: Frames

    @property
    def paths(self) -> list[str]:
        """Its files, relative to the output folder."""
        return [file.path for file in self.files]

    def write(self, folder: Path) -> None:
        """Write the files into ``folder``."""
        write_data_file(list(self.files), list(self.groups), rows_from(self.rows, self.start), folder)


@dataclass(frozen=True)
class RejectsJob:
    """One stage's ``rejects/<key>.parquet``."""

    key: str
    rows: Frames

    @property
    def paths(self) -> list[str]:
        return [f"rejects/{self.key}.parquet"]

    def write(self, folder: Path) -> None:
        write_rejects(self.rows, folder / self.paths[0])


FileJob = DataFileJob | RejectsJob
RunJobs = Callable[[Sequence[FileJob], Path], None]
"""Writes every job into the (staged) output folder it is given."""


def file_jobs(
    splits: Mapping[str, tuple[Frames, SplitSize]],
    rejects: Mapping[str, Frames],
    formats: Sequence[str],
    shard_rows: int,
) -> list[FileJob]:
    """The jobs of a run's data files (split by split, file by file) and rejects files."""
    jobs: list[FileJob] = []
    for name, (frames, size) in splits.items():
        files = size.files(name, formats, shard_rows)
        for number, (start, groups) in enumerate(size.cuts(shard_rows)):
            mine = tuple(file for file in files if file.index == number)
            jobs.append(DataFileJob(mine, start, tuple(groups), frames))
    jobs.extend(RejectsJob(key, frames) for key, frames in rejects.items())
    return jobs


def write_in_process(jobs: Sequence[FileJob], folder: Path) -> None:
    for job in jobs:
        job.write(folder)


def rows_from(rows: Frames, start: int) -> Iterator[pl.DataFrame]:
    """``rows()`` from row ``start`` on: asked of ``rows`` when it can skip, else by reading
    the rows before and leaving them."""
    if isinstance(rows, SkippingFrames):
        yield from rows.starting_at(start)
        return
    skipped = 0
    last: pl.DataFrame | None = None
    for frame in rows():
        last = frame
        if skipped + frame.height <= start and skipped < start:
            skipped += frame.height
            continue
        yield frame.slice(start - skipped) if skipped < start else frame
        skipped, last = start, None
    if last is not None:
        yield last.clear()  # every row was before ``start``: none, with their columns
