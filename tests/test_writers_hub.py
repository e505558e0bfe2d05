"""Data files as ``datasets`` writes them: Hub types, features metadata, bounded shards, same bytes.

``MAX_SHARD_BYTES`` is 500 MB; the tests lower it to see a split cut into several files.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate import schema
from curate.writers import dataset as data
from curate.writers.dataset import data_files, estimated_bytes, write_splits
from tests.helpers import run_pipeline
from tests.output_folders import pair

TRL_ROWS = {
    "prompt": [[{"role": "user", "content": "What is 2+2?"}]],
    "chosen": [[{"role": "assistant", "content": "4"}]],
    "rejected": [[{"role": "assistant", "content": "5"}]],
}


def pairs(count: int, start: int = 0) -> pl.DataFrame:
    return schema.pairs([pair(index) for index in range(start, start + count)])


def written(folder: Path, frame: pl.DataFrame, shard_rows: int = 1_000) -> dict[str, bytes]:
    write_splits({"train": frame}, folder, ["parquet"], shard_rows)
    return {path.name: path.read_bytes() for path in sorted((folder / "data").iterdir())}


def test_columns_have_the_types_datasets_gives_a_hub_dataset(tmp_path: Path) -> None:
    written(tmp_path, pairs(3))
    path = tmp_path / "data" / "train-00000-of-00001.parquet"
    arrow = pq.read_schema(path)
    text = [field.name for field in arrow if pa.types.is_string(field.type)]
    assert text == ["strategy", "source", "license", "language", "chosen_id", "rejected_id", "id"]
    assert pa.types.is_list(arrow.field("prompt").type)
    assert pa.types.is_string(arrow.field("prompt").type.value_type.field("content").type)
    assert not [field.name for field in arrow if "large" in str(field.type)]
    features = json.loads(arrow.metadata[b"huggingface"])["info"]["features"]
    loaded = datasets.Dataset.from_parquet(str(path), cache_dir=str(tmp_path / "cache"))
    assert features == loaded.features.to_dict()
    assert loaded.features["prompt"] == datasets.List(
        {"role": datasets.Value("string"), "content": datasets.Value("string")}
    )


@pytest.mark.parametrize(
    "order", [("role", "content"), ("content", "role")], ids=["role-first", "content-first"]
)
def test_the_output_concatenates_with_a_trl_dataset_without_a_cast(
    tmp_path: Path, order: tuple[str, str]
) -> None:
    """``datasets`` builds TRL datasets with either field order (the Hub's have content first)."""
    written(tmp_path, pairs(3))
    ours = datasets.Dataset.from_parquet(
        str(tmp_path / "data" / "train-00000-of-00001.parquet"), cache_dir=str(tmp_path / "cache")
    )
    theirs = datasets.Dataset.from_dict(
        {
            column: [[{key: turn[key] for key in order} for turn in rows[0]]]
            for column, rows in TRL_ROWS.items()
        }
    )
    both = datasets.concatenate_datasets([ours, theirs])
    assert both.num_rows == 4
    assert both[3]["chosen"][0]["content"] == "4"


def test_a_split_larger_than_the_shard_size_is_cut_evenly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = pairs(10)
    monkeypatch.setattr(data, "MAX_SHARD_BYTES", estimated_bytes(frame) // 3)
    files = written(tmp_path, frame)
    assert list(files) == [f"train-0000{index}-of-00004.parquet" for index in range(4)]
    heights = [pq.read_metadata(tmp_path / "data" / name).num_rows for name in files]
    assert heights == [3, 3, 3, 1]
    assert [file.name for file in data_files({"train": frame}, ["parquet"], 1_000)] == list(files)
    assert written(tmp_path / "again", frame) == files
    loaded = datasets.load_dataset("parquet", data_dir=str(tmp_path / "data"), cache_dir=str(tmp_path / "c"))
    assert sorted(loaded["train"]["id"]) == sorted(frame["id"])


def test_shard_rows_still_bounds_files_when_bytes_do_not() -> None:
    assert data.rows_per_file(pairs(10), shard_rows=4) == 4
    assert [file.name for file in data_files({"train": pairs(10)}, ["jsonl"], 4)][
        -1
    ] == "train-00002-of-00003.jsonl"


def test_sizes_come_from_the_content_so_files_do_not_depend_on_how_rows_were_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frame filtered out of a bigger one, or glued from parts, holds bigger buffers than it uses."""
    frame = pairs(10)
    monkeypatch.setattr(data, "MAX_SHARD_BYTES", estimated_bytes(frame) // 3)
    filtered = pairs(30).filter(pl.col("id").is_in(frame["id"].to_list()))
    filtered = filtered.sort(pl.col("id").replace_strict(frame["id"], range(10)))
    glued = pl.concat([frame.slice(0, 4), frame.slice(4)], rechunk=False)
    assert estimated_bytes(filtered) == estimated_bytes(glued) == estimated_bytes(frame)
    expected = written(tmp_path / "a", frame)
    assert written(tmp_path / "b", filtered) == expected
    assert written(tmp_path / "c", glued) == expected


def test_row_groups_stay_under_the_row_group_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pairs(10)
    monkeypatch.setattr(data, "MAX_ROW_GROUP_BYTES", estimated_bytes(frame) // 5)
    written(tmp_path, frame)
    metadata = pq.read_metadata(tmp_path / "data" / "train-00000-of-00001.parquet")
    assert [metadata.row_group(index).num_rows for index in range(metadata.num_row_groups)] == [2, 2, 2, 2, 2]


def test_a_run_lists_the_files_it_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        json.dumps(
            {
                "id": f"c{n}",
                "messages": [
                    {"role": "user", "content": f"hi {n}"},
                    {"role": "assistant", "content": "hello " * 40},
                ],
            }
        )
        for n in range(12)
    ]
    (tmp_path / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(data, "MAX_SHARD_BYTES", 1_000)
    result = run_pipeline(
        tmp_path,
        """
        name: chats
        inputs: [{name: chats, path: chats.jsonl, format: openai, license: MIT}]
        output: {dir: out, formats: [parquet, jsonl]}
        """,
    )
    on_disk = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out" / "data").iterdir()
    )
    assert len(on_disk) > 2
    assert sorted(result.manifest.output.files) == on_disk
    assert (
        datasets.load_dataset(str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"))["train"].num_rows
        == 12
    )
