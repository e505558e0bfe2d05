"""The output's files as jobs: written in any order, alone, from rows that start anywhere, they
are the bytes a split written in one stream gives."""

from __future__ import annotations

import hashlib
import pickle
import random
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.executors.outputs import SplitRows
from curate.executors.workdir import WorkFolder
from curate.writers import dataset
from curate.writers.jobs import DataFileJob, RejectsJob, file_jobs, rows_from
from curate.writers.streams import SplitSize, write_rejects, write_split
from tests.helpers import pairs_of


def _pairs(count: int, split: str | None = None) -> pl.DataFrame:
    frame = pairs_of(count)
    return frame if split is None else frame.with_columns(_split=pl.lit(split))


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@settings(max_examples=20, deadline=None)
@given(
    rows=st.integers(0, 50),
    piece=st.integers(1, 20),
    shard_rows=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
def test_jobs_in_any_order_write_the_streamed_split(
    tmp_path_factory: pytest.TempPathFactory, rows: int, piece: int, shard_rows: int, seed: int
) -> None:
    frame = _pairs(rows)

    def frames() -> Iterator[pl.DataFrame]:
        return iter([frame.slice(start, piece) for start in range(0, max(rows, 1), piece)])

    streamed, jobs_folder = tmp_path_factory.mktemp("streamed"), tmp_path_factory.mktemp("jobs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dataset, "MAX_SHARD_BYTES", 3_000)
        patch.setattr(dataset, "MAX_ROW_GROUP_BYTES", 900)
        size = SplitSize.of(frames())
        write_split("train", frames, size, streamed, ["parquet", "jsonl"], shard_rows)
        write_rejects(frames, streamed / "rejects" / "pairs.parquet")
        jobs = file_jobs({"train": (frames, size)}, {"pairs": frames}, ["parquet", "jsonl"], shard_rows)
        expected_files = set(size.files("train", ["parquet", "jsonl"], shard_rows))
        random.Random(seed).shuffle(jobs)
        for job in jobs:
            job.write(jobs_folder)
    assert _digests(jobs_folder) == _digests(streamed)
    assert sum(isinstance(job, RejectsJob) for job in jobs) == 1
    assert {file for job in jobs if isinstance(job, DataFileJob) for file in job.files} == expected_files


@pytest.mark.parametrize(
    ("sizes", "start"), [([3, 0, 4], 0), ([3, 0, 4], 3), ([3, 0, 4], 5), ([2, 2], 4), ([], 0)]
)
def test_rows_from_a_start_are_the_rows_after_it(sizes: list[int], start: int) -> None:
    frames_given = [_pairs(size) for size in sizes]
    everything = pl.concat(frames_given) if frames_given else _pairs(0)

    def frames() -> Iterator[pl.DataFrame]:
        return iter(frames_given or [_pairs(0)])

    found = list(rows_from(frames, start))
    assert found, "at least one frame, for the columns"
    assert pl.concat(found).equals(everything.slice(start))


def _work(tmp_path: Path, shards: list[list[str]]) -> tuple[WorkFolder, list[str]]:
    """A work folder whose step ``out`` holds shards of pairs, each row in the split named."""
    work = WorkFolder(tmp_path / "work")
    keys = []
    number = 0
    for splits in shards:
        key = f"{len(keys):05d}"
        rows = [_pairs(1, split).with_columns(id=pl.lit(f"p{number + i}")) for i, split in enumerate(splits)]
        number += len(splits)
        frame = pl.concat(rows) if rows else _pairs(0, "train")
        work.write_shard("out", key, {"kept": frame}, {})
        keys.append(key)
    return work, keys


@pytest.mark.parametrize(
    "shards",
    [
        [["train", "test", "train"], ["test"], [], ["train", "train"]],
        [["test", "test"], ["train"]],
        [[]],
    ],
)
def test_a_split_read_from_a_row_skips_shards_and_equals_reading_all(
    tmp_path: Path, shards: list[list[str]]
) -> None:
    work, keys = _work(tmp_path, shards)
    for split in ("train", "test"):
        heights = [sum(name == split for name in splits) for splits in shards]
        known = SplitRows(work.path, "out", tuple(keys), split, "conversational", tuple(heights))
        unknown = SplitRows(work.path, "out", tuple(keys), split, "conversational")
        whole = pl.concat(list(unknown()))
        assert whole.height == sum(heights)
        for start in range(sum(heights) + 1):
            assert pl.concat(list(known.starting_at(start))).equals(whole.slice(start)), (split, start)
        assert pickle.loads(pickle.dumps(known)) == known, "a job's rows go to other processes"
