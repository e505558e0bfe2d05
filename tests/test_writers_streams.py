"""Data and rejects files written from frames streamed a shard at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.writers import dataset, streams
from curate.writers.streams import SplitSize, write_rejects, write_split
from tests.helpers import pairs_of


def _slices(frame: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    return [frame.slice(start, size) for start in range(0, max(frame.height, 1), size)]


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(0, 60), piece=st.integers(1, 25), shard_rows=st.integers(1, 40))
def test_streamed_files_are_the_bytes_of_files_written_whole(
    tmp_path_factory: pytest.TempPathFactory, rows: int, piece: int, shard_rows: int
) -> None:
    """Whatever the sizes the rows arrive in, the files and their row groups are the same."""
    frame = pairs_of(rows)
    whole, streamed = tmp_path_factory.mktemp("whole"), tmp_path_factory.mktemp("streamed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dataset, "MAX_SHARD_BYTES", 3_000)
        patch.setattr(dataset, "MAX_ROW_GROUP_BYTES", 900)
        expected = dataset.write_splits({"train": frame}, whole, ["parquet", "jsonl"], shard_rows)

        def frames() -> Iterator[pl.DataFrame]:
            return iter(_slices(frame, piece))

        size = SplitSize.of(frames())
        written = write_split("train", frames, size, streamed, ["parquet", "jsonl"], shard_rows)
    assert written == expected
    for path in expected:
        assert (streamed / path).read_bytes() == (whole / path).read_bytes(), path


@pytest.mark.parametrize(("rows", "piece", "group"), [(0, 1, 4), (3, 1, 4), (10, 3, 4), (9, 9, 3)])
def test_rejects_are_written_in_row_groups_of_a_fixed_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int, piece: int, group: int
) -> None:
    monkeypatch.setattr(streams, "REJECTS_ROW_GROUP", group)
    frame = pl.DataFrame(
        {"id": [f"r{i}" for i in range(rows)], "reason": ["x"] * rows},
        schema={"id": pl.String, "reason": pl.String},
    )
    target = tmp_path / "rejects.parquet"
    write_rejects(lambda: iter(_slices(frame, piece)), target)
    assert pl.read_parquet(target).equals(frame)
    metadata = pq.ParquetFile(target).metadata
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sizes == ([group] * (rows // group) + ([rows % group] if rows % group else [])) or [0]


def test_a_run_that_collects_nothing_writes_the_same_folder_and_reads_it_back(tmp_path: Path) -> None:
    import curate
    from curate.errors import CurateError

    root = Path(curate.__file__).resolve().parents[1]
    text = (root / "pipelines" / "demo.yaml").read_text().replace("../data/", f"{root}/data/")
    pipeline = tmp_path / "demo.yaml"
    pipeline.write_text("\n".join(line for line in text.splitlines() if "- pii:" not in line))
    kept = curate.Pipeline.from_yaml(pipeline).run(output_dir=tmp_path / "a" / "out")
    lean = curate.Pipeline.from_yaml(pipeline).run(output_dir=tmp_path / "b" / "out", collect=False)
    for path in sorted((tmp_path / "a" / "out").rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            twin = tmp_path / "b" / "out" / path.relative_to(tmp_path / "a" / "out")
            assert twin.read_bytes() == path.read_bytes(), path
    published = [c for c in kept.output.columns if not c.startswith("_") or c == "_split"]
    # Read back split by split (train, then test), where the in-memory output interleaves them.
    assert lean.output.sort("id").equals(kept.output.select(published).sort("id"))
    assert lean.rejects_of("dedup").equals(kept.rejects_of("dedup"))
    with pytest.raises(CurateError, match="kept no conversations in memory"):
        _ = lean.conversations
