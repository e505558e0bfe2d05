"""Data files in the Hugging Face layout: ``data/<split>-00000-of-00001.parquet`` (+ .jsonl).

The names are made and read back here, in one place: the runner lists them in the manifest
before anything is written, the writer writes exactly those, and the card and ``publish``
find a folder's data files with ``DataFile.parse``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from curate.writers.atomic import atomic_path

DATA_DIR: Final = "data"
_NAME = re.compile(r"^(?P<split>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.(?P<format>parquet|jsonl)$")


@dataclass(frozen=True)
class DataFile:
    """One shard of one split in one format.

    >>> DataFile("train", 0, 1, "parquet").path
    'data/train-00000-of-00001.parquet'
    >>> DataFile.parse("test-00001-of-00002.jsonl")
    DataFile(split='test', index=1, count=2, format='jsonl')
    """

    split: str
    index: int
    count: int
    format: str

    @property
    def name(self) -> str:
        return f"{self.split}-{self.index:05d}-of-{self.count:05d}.{self.format}"

    @property
    def path(self) -> str:
        """Relative to the output folder."""
        return f"{DATA_DIR}/{self.name}"

    @classmethod
    def parse(cls, name: str) -> DataFile | None:
        """The data file a file name denotes, or None when it is not one."""
        match = _NAME.match(name)
        if match is None:
            return None
        return cls(match["split"], int(match["index"]), int(match["count"]), match["format"])


def data_files(rows: Mapping[str, int], formats: Iterable[str], shard_rows: int) -> list[DataFile]:
    """The files that hold splits of ``rows`` rows each, in writing order."""
    formats = list(formats)
    files = []
    for split, height in rows.items():
        count = max(1, math.ceil(height / shard_rows))
        files += [DataFile(split, index, count, fmt) for index in range(count) for fmt in formats]
    return files


def write_parquet(frame: pl.DataFrame, target: Path) -> None:
    with atomic_path(target) as temporary:
        frame.write_parquet(temporary, compression="zstd", statistics=True)


def write_jsonl(frame: pl.DataFrame, target: Path) -> None:
    with atomic_path(target) as temporary:
        frame.write_ndjson(temporary)


WRITERS = {"parquet": write_parquet, "jsonl": write_jsonl}


def write_splits(
    splits: Mapping[str, pl.DataFrame], folder: Path, formats: Iterable[str], shard_rows: int
) -> list[str]:
    """Write every split in every format under ``folder``; return the files' paths (``data/...``)."""
    rows = {split: frame.height for split, frame in splits.items()}
    written = []
    for file in data_files(rows, formats, shard_rows):
        shard = splits[file.split].slice(file.index * shard_rows, shard_rows)
        WRITERS[file.format](shard, folder / DATA_DIR / file.name)
        written.append(file.path)
    return written
