"""Each ``output.format_variant`` through a whole run: what ``datasets`` and TRL read, what the
manifest and card say, and ``RunResult.to_datasets`` giving what the files hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest
from huggingface_hub import DatasetCard

import curate
from curate.inspect import inspect_path
from tests.helpers import run_pipeline
from tests.pairs_support import PIPELINE, preference_records, turn, write_jsonl

TRL_COLUMNS = {
    "conversational": {"prompt": list, "chosen": list, "rejected": list},
    "standard": {"prompt": str, "chosen": str, "rejected": str},
    "kto": {"prompt": list, "completion": list, "label": bool},
}
"""The columns TRL's trainer reads, and the Python type of their values, by variant."""


def thumbed(count: int) -> list[dict[str, Any]]:
    """Replies alone with a thumb: no pair, but a row each in a ``kto`` output."""
    return [
        {
            "id": f"thumb-{number}",
            "messages": [
                turn("user", f"Question {number} about the tides?"),
                turn("assistant", f"Answer {number} about the tides, with some detail."),
            ],
            "signal": {"thumbs": "up" if number % 2 else "down"},
            "license": "MIT",
            "language": "en",
        }
        for number in range(count)
    ]


def run_variant(folder: Path, variant: str, **options: Any) -> curate.RunResult:
    folder.mkdir(parents=True, exist_ok=True)
    data = write_jsonl(folder / "rows.jsonl", preference_records(2) + thumbed(6))
    evals = write_jsonl(
        folder / "eval.jsonl", [{"id": "e1", "prompt": "nothing in the data looks like this"}]
    )
    text = PIPELINE.format(data=data.name, evals=evals.name, out="out", formats="[parquet, jsonl]")
    text = text.replace("model_rank, given]", "model_rank, given, thumbs]")
    text = text.replace("  card: false\n", f"  card: true\n  format_variant: {variant}\n")
    return run_pipeline(folder, text, **options)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, curate.RunResult]:
    return {variant: run_variant(tmp_path_factory.mktemp(variant), variant) for variant in TRL_COLUMNS}


def load(result: curate.RunResult, tmp_path: Path) -> datasets.DatasetDict:
    assert result.output_dir is not None
    return datasets.load_dataset(str(result.output_dir), cache_dir=str(tmp_path / "cache"))


@pytest.mark.parametrize("variant", list(TRL_COLUMNS))
def test_each_variant_loads_with_the_columns_trl_reads(
    runs: dict[str, curate.RunResult], variant: str, tmp_path: Path
) -> None:
    loaded = load(runs[variant], tmp_path)
    assert set(loaded) == {"train", "test"}
    for split in loaded.values():
        row = split[0]
        for column, kind in TRL_COLUMNS[variant].items():
            assert isinstance(row[column], kind), (column, row[column])
    if variant == "kto":
        assert loaded["train"].features["label"] == datasets.Value("bool")
        assert set(loaded["train"]["label"]) | set(loaded["test"]["label"]) == {True, False}


@pytest.mark.parametrize("variant", list(TRL_COLUMNS))
def test_trl_reads_the_format_it_expects(
    runs: dict[str, curate.RunResult], variant: str, tmp_path: Path
) -> None:
    data_utils = pytest.importorskip("trl.data_utils", reason="the [train] extra (trl) is not installed")
    example = load(runs[variant], tmp_path)["train"][0]
    assert data_utils.is_conversational(example) == (variant != "standard")


@pytest.mark.parametrize("variant", list(TRL_COLUMNS))
def test_to_datasets_is_what_the_files_hold(
    runs: dict[str, curate.RunResult], variant: str, tmp_path: Path
) -> None:
    loaded = load(runs[variant], tmp_path)
    built = runs[variant].to_datasets()
    assert list(built) == list(loaded)
    for name, split in loaded.items():
        assert built[name].features == split.features
        assert built[name].to_list() == split.to_list()


def test_to_datasets_needs_no_written_folder(tmp_path: Path) -> None:
    result = run_variant(tmp_path, "kto", write=False)
    assert result.output_dir is None and not (tmp_path / "out").exists()
    built = result.to_datasets()
    assert sum(split.num_rows for split in built.values()) == result.output.height
    assert built["train"].column_names[:3] == ["prompt", "completion", "label"]


@pytest.mark.parametrize("variant", list(TRL_COLUMNS))
def test_the_manifest_and_card_state_the_variant(runs: dict[str, curate.RunResult], variant: str) -> None:
    folder = runs[variant].output_dir
    assert folder is not None
    output = json.loads((folder / "manifest.json").read_text())["output"]
    card = (folder / "README.md").read_text()
    if variant == "conversational":
        assert "format_variant" not in output
    else:
        assert output["format_variant"] == variant
        assert f"format_variant: {variant}" in card  # the pipeline section
    assert output["rows"] == sum(output["splits"].values()) == runs[variant].output.height
    tags = DatasetCard.load(folder / "README.md").data.tags
    trainer = "KTOTrainer" if variant == "kto" else "DPOTrainer"
    assert f"from trl import {trainer[:3]}Config, {trainer}" in card
    assert ("kto" in tags) == (variant == "kto")
    assert card == runs[variant].card(), "the card in memory is the card written"
    summary = inspect_path(folder)
    assert (f"format_variant {variant}" in summary) == (variant != "conversational")


def test_kto_keeps_what_a_pair_cannot(runs: dict[str, curate.RunResult]) -> None:
    kto, dpo = runs["kto"], runs["conversational"]
    assert kto.output.height == 2 * dpo.output.height + 6, "both sides of every pair, and each thumb"
    assert "thumbs" in kto.output["strategy"].to_list()
    pairs = kto.manifest.stage("pairs")
    assert pairs is not None and pairs.report["kto_unpaired"] == {"thumbs": 6}
    assert f"{kto.output.height} labelled replies" in repr(kto)


def test_standard_leaves_out_prompts_with_a_system_turn(runs: dict[str, curate.RunResult]) -> None:
    reasons = runs["standard"].rejects_of("pairs")["reason"].to_list()
    logs = 3 * 2 * 2  # 3 of the 12 topics are model_rank logs, 2 copies, 2 replies each
    assert reasons.count("multi_turn_prompt") == logs, "the model_rank logs start with a system turn"
    assert "model_rank" not in runs["standard"].output["strategy"].to_list()


def test_a_kto_row_is_explained_by_its_one_conversation(runs: dict[str, curate.RunResult]) -> None:
    result = runs["kto"]
    row = result.to_datasets()["train"][0]
    explained = result.explain(row["id"])
    assert [record.id for record in explained.records] == [row["completion_id"]]
    assert all(record.found for record in explained.records)


def test_kto_output_does_not_depend_on_the_shard_size(
    runs: dict[str, curate.RunResult], tmp_path: Path
) -> None:
    small = run_variant(tmp_path, "kto", shard_rows=7)
    assert small.output_dir is not None and runs["kto"].output_dir is not None
    for name in ("train-00000-of-00001.parquet", "test-00000-of-00001.jsonl"):
        assert (small.output_dir / "data" / name).read_bytes() == (
            runs["kto"].output_dir / "data" / name
        ).read_bytes()
