"""The card in a run: written after the manifest, rebuilt by ``curate card``, read by ``datasets``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import DatasetCard

import curate
from curate.card import write_card
from curate.cli import cli
from tests.helpers import run_pipeline
from tests.output_folders import find_nothing, make_folder

RECORDS = [
    {
        "id": "a",
        "language": "en",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
    },
    {
        "id": "b",
        "language": "fr",
        "messages": [{"role": "user", "content": "salut"}, {"role": "assistant", "content": "bonjour"}],
    },
]
PIPELINE = """
name: chats
inputs:
  - name: chats
    path: chats.jsonl
    format: openai
    license: MIT
output:
  dir: out
  card: {card}
"""


def run(folder: Path, card: bool = True) -> curate.RunResult:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record) for record in RECORDS] + ["{not json"]
    (folder / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_pipeline(folder, PIPELINE.format(card=str(card).lower()))


def test_a_run_writes_a_card_that_matches_its_output(tmp_path: Path) -> None:
    result = run(tmp_path)
    out = tmp_path / "out"
    assert {"README.md", "funnel.png", "manifest.json"} <= {p.name for p in out.iterdir()}
    data = DatasetCard.load(out / "README.md").data
    assert data.license == "mit"  # the only license of the rows, derived by the licensing algebra
    assert data.language == ["en", "fr"]
    assert data.tags == ["sft", "conversational", "curate"]
    assert data.configs == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*.parquet"}]}
    ]
    assert result.card() == (out / "README.md").read_text(encoding="utf-8")


def test_no_card_when_the_pipeline_says_so(tmp_path: Path) -> None:
    run(tmp_path, card=False)
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert "README.md" not in names and "funnel.png" not in names


def test_identical_runs_write_identical_cards(tmp_path: Path) -> None:
    run(tmp_path / "a")
    run(tmp_path / "b")
    for name in ("README.md", "funnel.png"):
        assert (tmp_path / "a" / "out" / name).read_bytes() == (tmp_path / "b" / "out" / name).read_bytes()


def test_curate_card_rebuilds_the_same_card(tmp_path: Path) -> None:
    run(tmp_path)
    out = tmp_path / "out"
    before = {name: (out / name).read_bytes() for name in ("README.md", "funnel.png")}
    (out / "README.md").unlink()
    (out / "funnel.png").unlink()
    outcome = CliRunner().invoke(cli, ["card", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output == f"wrote README.md, funnel.png in {out}\n"
    assert {name: (out / name).read_bytes() for name in before} == before


def test_curate_card_refuses_a_folder_without_a_manifest(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(cli, ["card", str(tmp_path)])
    assert outcome.exit_code == 1
    assert "is not a curate output folder: it has no manifest.json" in outcome.output


@pytest.mark.parametrize(
    "formats", [("parquet", "jsonl"), ("jsonl",)], ids=["parquet-and-jsonl", "jsonl-only"]
)
def test_load_dataset_reads_the_splits_the_card_declares(tmp_path: Path, formats: tuple[str, ...]) -> None:
    datasets = pytest.importorskip("datasets")
    folder = make_folder(tmp_path / "out", formats=formats)
    write_card(folder, scanner=find_nothing)
    declared = DatasetCard.load(folder / "README.md").data.configs[0]["data_files"]
    loaded = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert list(loaded) == [item["split"] for item in declared]
    assert {split: loaded[split].num_rows for split in loaded} == manifest["output"]["splits"]
    assert {"prompt", "chosen", "rejected"} <= set(loaded["train"].column_names)


PROMPTS = (
    "I am Emily Carter, emily.carter@example.com, (415) 555-0132. How do tides work?",
    "I am Emily Carter, write to emily.carter@example.com. Why is the sky blue?",
    "Emily Carter here. What makes bread rise?",
)
"""The phone number has no context word nearby, so pattern recognizers score it low."""
PLANTED_RECORDS = [
    {
        "id": f"{side}{index}",
        "model": model,
        "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}],
    }
    for index, prompt in enumerate(PROMPTS)
    for side, model, answer in (("a", "gpt-4", "A careful, complete answer."), ("b", "vicuna-13b", "Dunno."))
]
SCRUBBED = """
name: scrubbed
inputs:
  - name: chats
    path: chats.jsonl
    format: openai
    license: MIT
stages:
  - pii: {}
  - pairs: {strategies: [model_rank], model_rank: {ranking: ["gpt-4*", "vicuna*"]}}
output:
  dir: out
"""


@pytest.mark.slow
def test_a_scrubbed_run_shows_examples_without_the_planted_values(tmp_path: Path) -> None:
    pytest.importorskip("curate.pii.scan", reason="the pii module's residual scanner is not built yet")
    lines = [json.dumps(record) for record in PLANTED_RECORDS]
    (tmp_path / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_pipeline(tmp_path, SCRUBBED)
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "**Example 1**" in card
    assert "A careful, complete answer." in card
    # The context-free phone number is scrubbed by the stage, so no row needs passing over.
    assert "passed over" not in card
    for value in ("Emily Carter", "emily.carter@example.com", "(415) 555-0132", "555-0132"):
        assert value not in card
