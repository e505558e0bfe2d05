"""Inputs read as a stream of bounded shards add up to the input read whole."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.config import InputConfig
from curate.readers.load import InputStream, read_input


def battle(number: int) -> dict[str, object]:
    side = [{"role": "user", "content": f"q{number}"}, {"role": "assistant", "content": f"a{number}"}]
    other = [side[0], {"role": "assistant", "content": f"b{number}"}]
    return {"question_id": f"q{number}", "model_a": "x", "model_b": "y", "winner": "model_a",
            "conversation_a": side, "conversation_b": other}  # fmt: skip


def write_input(folder: Path, records: int, broken: set[int]) -> InputConfig:
    lines = ["{not json" if i in broken else json.dumps(battle(i)) for i in range(records)]
    (folder / "arena.jsonl").write_text("\n".join(lines) + "\n")
    return InputConfig.model_validate(
        {"name": "arena", "path": "arena.jsonl", "format": "arena", "license": "MIT"},
        context={"base_dir": folder},
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.integers(0, 40),
    shard_rows=st.integers(1, 30),
    broken=st.sets(st.integers(0, 39), max_size=6),
)
def test_shards_add_up_to_the_whole_read(
    tmp_path: Path, records: int, shard_rows: int, broken: set[int]
) -> None:
    spec = write_input(tmp_path, records, broken)
    whole = read_input(spec, tmp_path)
    stream = InputStream(spec, tmp_path)
    shards = list(stream.shards(shard_rows))

    assert [shard.number for shard in shards] == list(range(len(shards)))
    assert pl.concat([shard.frame for shard in shards]).equals(whole.frame)
    assert pl.concat([shard.rejects for shard in shards]).equals(whole.rejects)
    assert sum(shard.records for shard in shards) == stream.records == whole.records == records
    # A battle's two rows stay in one shard, so a shard exceeds shard_rows by one row at most.
    assert all(shard.frame.height <= shard_rows + 1 for shard in shards)
    assert all(shard.frame["group"].n_unique() * 2 == shard.frame.height for shard in shards)


def test_the_same_files_give_the_same_shards(tmp_path: Path) -> None:
    spec = write_input(tmp_path, 25, {3})
    first = [shard.frame for shard in InputStream(spec, tmp_path).shards(8)]
    second = [shard.frame for shard in InputStream(spec, tmp_path).shards(8)]
    assert len(first) == len(second) == 6
    assert all(a.equals(b) for a, b in zip(first, second, strict=True))
