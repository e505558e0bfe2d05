"""Whole-data stages run over shards: from compact summaries (dedup, split), by batches (pairs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import curate
from curate.errors import StageError
from curate.executors import partitioned
from curate.executors.compact import ShardRows
from curate.executors.partitioned import batches
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


@pytest.mark.parametrize(
    ("links", "batch_rows", "expected"),
    [
        ([], 2, []),
        ([["a"], ["b"], ["c"]], 2, [0, 0, 1]),
        ([["a"], ["b"], ["a"]], 2, [0, 1, 0]),  # rows 0 and 2 are one part, batched whole
        ([["a"], ["a", "b"], ["b"], ["c"]], 2, [0, 0, 0, 1]),  # a part larger than a batch goes alone
        ([["x"], ["a"], ["b", "a"], ["c"]], 3, [0, 0, 0, 1]),
        ([["a"], ["b"], ["c"]], 1, [0, 1, 2]),
    ],
)
def test_rows_tied_by_links_land_in_one_batch(
    links: list[list[str]], batch_rows: int, expected: list[int]
) -> None:
    assert batches(links, batch_rows).tolist() == expected


@pytest.mark.parametrize(("shard_rows", "batch_rows"), [(3, 1), (5_000, 7)])
def test_pairs_by_batches_gives_the_output_of_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shard_rows: int, batch_rows: int
) -> None:
    """Pairs made batch by batch (down to one prompt group each) and merged back: the same
    pairs in the same order, the same rejects, the same figures as from all rows at once."""
    text = (ROOT / "pipelines" / "demo.yaml").read_text().replace("../data/", f"{ROOT}/data/")
    pipeline = tmp_path / "demo.yaml"
    pipeline.write_text("\n".join(line for line in text.splitlines() if "- pii:" not in line))
    whole = tmp_path / "whole" / "out"
    curate.Pipeline.from_yaml(pipeline).run(output_dir=whole)
    monkeypatch.setattr(partitioned, "BATCH_ROWS", batch_rows)
    batched = tmp_path / "batched" / "out"
    curate.Pipeline.from_yaml(pipeline).run(output_dir=batched, shard_rows=shard_rows)
    files = sorted(p.relative_to(whole) for p in whole.rglob("*.parquet"))
    for path in files:
        assert (batched / path).read_bytes() == (whole / path).read_bytes(), path
    stages = {
        out: {s["name"]: s for s in _manifest_without_timings(out)["stages"]} for out in (whole, batched)
    }
    assert stages[whole]["pairs"] == stages[batched]["pairs"]


def test_a_work_folder_whose_counts_do_not_chain_is_refused(tmp_path: Path) -> None:
    """Figures of a damaged work folder (a step given fewer rows than the one before passed
    on) stop the run instead of publishing a silently smaller output."""
    text = (ROOT / "pipelines" / "demo.yaml").read_text().replace("../data/", f"{ROOT}/data/")
    pipeline = tmp_path / "demo.yaml"
    pipeline.write_text("\n".join(line for line in text.splitlines() if "- pii:" not in line))
    out = tmp_path / "out"
    curate.Pipeline.from_yaml(pipeline).run(output_dir=out, keep_work=True)
    marker = next((tmp_path / "out.work" / "steps").glob("*-pairs/00000.done.json"))
    facts = json.loads(marker.read_text())
    facts["stages"][0]["rows_in"] -= 1
    facts["stages"][0]["rows_rejected"] -= 1
    marker.write_text(json.dumps(facts))
    with pytest.raises(StageError, match="rows went missing between stages: dedup passed on"):
        curate.Pipeline.from_yaml(pipeline).run(output_dir=out, resume=True)
