"""Whole-data stages that decide from compact summaries, run over shards by the executor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import curate
from curate.executors.compact import ShardRows
from curate.executors.workdir import RunKey, WorkFolder
from tests.helpers import conversation, frame

ROOT = Path(curate.__file__).resolve().parents[1]


def test_rows_are_read_back_by_their_number_over_all_shards(tmp_path: Path) -> None:
    key = RunKey(curate_version="test", config_hash="", inputs=(), shard_rows=3, limit=None)
    work, _ = WorkFolder.open(tmp_path / "work", key, resume=False, restart=False)
    shards = {"00000": ["a", "b"], "00001": [], "00002": ["c", "d", "e"]}
    for shard, ids in shards.items():
        rows = frame(*[conversation(id) for id in ids]) if ids else frame(conversation("x")).clear()
        work.write_shard("01-read", shard, {"kept": rows}, {})
    rows = ShardRows(work, "01-read", list(shards))
    assert rows(np.array([4, 0, 2, 2, 1], dtype=np.int64))["id"].to_list() == ["e", "a", "c", "c", "b"]
    assert rows(np.array([], dtype=np.int64)).height == 0


def _manifest_without_timings(folder: Path) -> Any:
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in ("seconds", "shard_rows")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(json.loads((folder / "manifest.json").read_text()))


@pytest.mark.parametrize("shard_rows", [1, 4])
def test_dedup_over_small_shards_gives_the_output_of_one_shard(tmp_path: Path, shard_rows: int) -> None:
    """The demo's near and exact duplicates, split across shards of a few rows: the same rows
    are dropped for the same reasons, and the same prompt clusters are formed."""
    text = (ROOT / "pipelines" / "demo.yaml").read_text().replace("../data/", f"{ROOT}/data/")
    pipeline = tmp_path / "demo.yaml"
    pipeline.write_text("\n".join(line for line in text.splitlines() if "- pii:" not in line))
    outputs = {}
    for rows in (shard_rows, 5_000):
        out = tmp_path / f"shards-{rows}" / "out"  # one name: the dedup index records it
        curate.Pipeline.from_yaml(pipeline).run(output_dir=out, shard_rows=rows)
        outputs[rows] = out
    small, whole = outputs[shard_rows], outputs[5_000]
    files = sorted(p.relative_to(whole) for p in whole.rglob("*.parquet"))
    assert files == sorted(p.relative_to(small) for p in small.rglob("*.parquet"))
    for path in files:
        assert (small / path).read_bytes() == (whole / path).read_bytes(), path
    stages = [_manifest_without_timings(out)["stages"] for out in (small, whole)]
    # Record stages' reports count cache hits per shard; counts, reasons and whole-data reports agree.
    for stage in stages:
        for figures in stage:
            if figures["name"] not in ("dedup", "pairs", "split"):
                figures.pop("report", None)
    assert stages[0] == stages[1]
