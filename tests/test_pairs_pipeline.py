"""A pairs pipeline end to end: output folder, rejects, manifest, and ``datasets.load_dataset``."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from curate import schema
from tests.helpers import run_pipeline
from tests.pairs_support import PIPELINE, preference_records, write_jsonl

CONTAMINATED_PROMPT = "Please explain how bees make honey, in two sentences. (variant 0)"


def run_pairs_pipeline(folder: Path, formats: str = "[parquet]", copies: int = 2) -> Path:
    """Run the test pairs pipeline into ``folder / "out"`` and return that folder."""
    data = write_jsonl(folder / "rows.jsonl", preference_records(copies))
    evals = write_jsonl(folder / "eval.jsonl", [{"id": "e1", "prompt": CONTAMINATED_PROMPT}])
    text = PIPELINE.format(data=data.name, evals=evals.name, out="out", formats=formats)
    run_pipeline(folder, text)
    return folder / "out"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_pairs_pipeline(tmp_path_factory.mktemp("pairs"), "[parquet, jsonl]")


def test_pairs_from_four_strategies_with_every_row_accounted_for(output: Path) -> None:
    train = pl.read_parquet(output / "data" / "train-*.parquet")
    test = pl.read_parquet(output / "data" / "test-*.parquet")
    pairs = pl.concat([train, test])
    assert pairs.columns == list(schema.PAIR)
    assert set(pairs["strategy"].to_list()) == {"battle", "ranked", "model_rank", "given"}
    assert pairs.height == 23
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    stages = {stage["name"]: stage for stage in manifest["stages"]}
    assert stages["pairs"]["rows_in"] == stages["pairs"]["rows_consumed"] + stages["pairs"]["rows_rejected"]
    assert stages["pairs"]["report"]["pairs_by_strategy"] == {
        "battle": 6,
        "given": 6,
        "model_rank": 6,
        "ranked": 6,
    }
    assert stages["pairs"]["report"]["groups_without_pair"] == {"tie": 2}
    assert stages["pairs"]["reasons"] == {"tie": 4, "unpaired": 6}
    assert stages["decontaminate"]["reasons"] == {"contaminated:eval.jsonl:e1": 1}
    rejects = pl.read_parquet(output / "rejects" / "pairs.parquet")
    assert set(rejects["reason"].to_list()) == {"tie", "unpaired"}
    assert stages["split"]["report"]["test"]["rows"] == test.height


def test_licenses_are_combined_per_pair(output: Path) -> None:
    pairs = pl.read_parquet(output / "data" / "*.parquet")
    licenses = dict(pairs.group_by("strategy").agg(pl.col("license").unique()).iter_rows())
    assert {strategy: sorted(keys) for strategy, keys in licenses.items()} == {
        "battle": ["CC-BY-4.0"],
        "ranked": ["Apache-2.0"],
        "model_rank": ["ODC-BY-1.0"],
        "given": ["MIT"],
    }


def test_no_prompt_in_both_splits(output: Path) -> None:
    train = pl.read_parquet(output / "data" / "train-*.parquet")
    test = pl.read_parquet(output / "data" / "test-*.parquet")
    assert test.height > 0

    def prompts(frame: pl.DataFrame) -> set[str]:
        return {json.dumps(prompt) for prompt in frame["prompt"].to_list()}

    assert prompts(train).isdisjoint(prompts(test))


@pytest.mark.parametrize("formats", ["[parquet]", "[parquet, jsonl]"])
def test_load_dataset_reads_train_and_test(
    tmp_path: Path, formats: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    out = run_pairs_pipeline(tmp_path, formats)
    assert sorted(path.suffix for path in (out / "data").iterdir()) == sorted(
        [".parquet", ".parquet"] + ([".jsonl", ".jsonl"] if "jsonl" in formats else [])
    )
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "test"}
    for split in ("train", "test"):
        expected = pl.read_parquet(out / "data" / f"{split}-*.parquet")
        assert loaded[split].num_rows == expected.height
        assert loaded[split].column_names == list(schema.PAIR)
        assert loaded[split][0]["chosen"] == expected["chosen"][0].to_list()


def test_reruns_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        outputs.append(run_pairs_pipeline(tmp_path / name, "[parquet, jsonl]"))
    first, second = outputs
    for path in sorted((first / "data").iterdir()):
        assert path.read_bytes() == (second / "data" / path.name).read_bytes(), path.name
