"""Data files in the Hugging Face layout: ``data/<split>-00000-of-00001.parquet`` (+ .jsonl)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

from curate.writers.atomic import atomic_path


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
    """Write every split in every format; return the paths written, relative to ``folder``'s parent."""
    written = []
    formats = list(formats)
    for split, frame in splits.items():
        count = max(1, math.ceil(frame.height / shard_rows))
        for index in range(count):
            shard = frame.slice(index * shard_rows, shard_rows)
            for fmt in formats:
                name = f"{split}-{index:05d}-of-{count:05d}.{fmt}"
                WRITERS[fmt](shard, folder / name)
                written.append(f"{folder.name}/{name}")
    return written
