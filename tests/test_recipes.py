"""The ready pipelines in ``pipelines/``: each validates, reads from the Hub, and runs on a local
sample of its dataset's layout through ``curate run RECIPE --input NAME=PATH``.

Samples come from ``../shared/data`` where one of the same layout exists (WildChat, HH-RLHF;
those tests skip without it), else from a few records each test writes. The WildChat recipe's
models and judge are a loopback server (``tests.chat_server``) named through the recipe's
``${CURATE_*}`` variables.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from curate.cli import cli
from tests.chat_server import ChatServer
from tests.judge_support import referee

ROOT = Path(__file__).resolve().parents[1]
PIPELINES = ROOT / "pipelines"
RECIPES = sorted(path for path in PIPELINES.glob("*.yaml") if path.name != "demo.yaml")
TOPICS = [
    ("How do tides work?", "The Moon's gravity pulls the oceans into two bulges that the Earth turns under."),
    ("Why is the sky blue?", "Air scatters short blue wavelengths of sunlight far more than red ones."),
    (
        "How do bees make honey?",
        "Bees store nectar, add enzymes and fan it until most of its water evaporates.",
    ),
    ("What is a prime number?", "A whole number above one whose only divisors are one and itself."),
    (
        "Why does bread rise?",
        "Yeast ferments sugars and the carbon dioxide it gives off is trapped by gluten.",
    ),
    ("What causes thunder?", "Lightning heats the air so fast that it expands with a shock wave we hear."),
]


def run(recipe: str, tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    """Run ``recipe`` into ``tmp_path/out``; its manifest and card."""
    out = tmp_path / "out"
    outcome = CliRunner().invoke(
        cli, ["run", str(PIPELINES / recipe), "--out", str(out), "-q", *options], catch_exceptions=False
    )
    assert outcome.exit_code == 0, outcome.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest, (out / "README.md").read_text(encoding="utf-8")


def output(tmp_path: Path) -> pl.DataFrame:
    return pl.concat(
        [pl.read_parquet(path) for path in sorted((tmp_path / "out" / "data").glob("*.parquet"))]
    )


def relative(path: Path) -> str:
    return Path(os.path.relpath(path, PIPELINES)).as_posix()


# Every recipe ---------------------------------------------------------------------------


@pytest.mark.parametrize("recipe", RECIPES, ids=[path.stem for path in RECIPES])
def test_every_recipe_validates_without_network(recipe: Path) -> None:
    outcome = CliRunner().invoke(cli, ["validate", str(recipe)])
    assert outcome.exit_code == 0, outcome.output
    assert "valid" in outcome.output


@pytest.mark.parametrize("recipe", RECIPES, ids=[path.stem for path in RECIPES])
def test_every_recipe_reads_its_inputs_from_the_hub(recipe: Path) -> None:
    inputs = yaml.safe_load(recipe.read_text(encoding="utf-8"))["inputs"]
    for entry in inputs:
        assert "path" not in entry and "/" in entry["dataset"], entry
        assert entry["license"] == "auto"


def test_recipes_run_on_their_samples_in_this_module() -> None:
    tested = {
        name.removeprefix("test_").split("_recipe")[0] for name in globals() if name.endswith("_recipe")
    }
    assert tested == {path.stem.replace("-", "_") for path in RECIPES}


# Input overrides ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--input", "nosuch=x.jsonl"], "--input: the pipeline has no input 'nosuch' (its inputs: hh_rlhf)"),
        (["--input", "hh_rlhf"], "--input: 'hh_rlhf' is not NAME=PATH"),
        (["--input", "hh_rlhf=missing.jsonl"], "inputs[0].path: no file matches"),
    ],
)
def test_a_bad_input_override_is_one_line_and_exit_2(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    outcome = CliRunner().invoke(
        cli, ["run", str(PIPELINES / "hh-rlhf-dpo.yaml"), "--out", str(tmp_path), *arguments]
    )
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output
    assert message in outcome.output and len(outcome.output.strip().splitlines()) == 1


def test_an_override_keeps_the_inputs_other_settings(tmp_path: Path) -> None:
    import curate

    sample = tmp_path / "hh.jsonl"
    sample.write_text(
        json.dumps(
            {"chosen": "\n\nHuman: Hi?\n\nAssistant: Hello!", "rejected": "\n\nHuman: Hi?\n\nAssistant: No."}
        )
    )
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "name: r\ninputs:\n  - {name: hh, dataset: Anthropic/hh-rlhf, split: test, revision: v1,"
        " format: preference, license: auto}\nstages: []\n"
    )
    (spec,) = curate.Pipeline.from_yaml(recipe, inputs={"hh": sample}).config.inputs
    assert (spec.path, spec.dataset, spec.split, spec.revision) == (str(sample), "hh-rlhf", None, None)
    assert (spec.format, spec.license) == ("preference", "auto")
    (spec,) = curate.Pipeline.from_yaml(
        recipe, inputs={"hh": "hf://datasets/Anthropic/hh-rlhf/x"}
    ).config.inputs
    assert (spec.split, spec.revision) == (None, "v1")


# Each recipe on its sample ---------------------------------------------------------------


def check(manifest: dict[str, Any], card: str, overrides: dict[str, Path], repos: list[str]) -> None:
    """The run read the samples in place of the Hub, and still knows which datasets they are."""
    for entry in manifest["config"]["inputs"]:
        assert entry["path"] == relative(overrides[entry["name"]])
        assert "split" not in entry and "/" in entry["dataset"]
    for item in manifest["inputs"]:
        assert "hub" not in item and item["rows"] > 0
    assert "source_datasets:\n" + "".join(f"- {repo}\n" for repo in sorted(repos)) in card


def overrides_of(samples: dict[str, Path]) -> list[str]:
    return [part for name, path in samples.items() for part in ("--input", f"{name}={path}")]


def test_wildchat_dpo_recipe(
    tmp_path: Path, shared_data: Path, chat_server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat_server.reply = referee
    for name, value in {
        "CURATE_GENERATE_URL": chat_server.url,
        "CURATE_GENERATE_MODEL_A": "strong-olmo",
        "CURATE_GENERATE_MODEL_B": "weak-olmo",
        "CURATE_JUDGE_URL": chat_server.url,
        "CURATE_JUDGE_MODEL": "judge-7b",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(name, value)
    samples = {"wildchat": shared_data / "wildchat" / "convotopo_wildchat_50_sample.json"}
    manifest, card = run("wildchat-dpo.yaml", tmp_path, *overrides_of(samples), "--limit", "12")
    check(manifest, card, samples, ["allenai/WildChat-1M"])
    pairs = output(tmp_path)
    assert pairs.height > 0 and set(pairs["strategy"]) == {"judge"}
    assert all("thorough" in side[0]["content"].lower() for side in pairs["chosen"])
    assert set(pairs["license"]) == {"ODC-BY-1.0"}


def test_hh_rlhf_dpo_recipe(tmp_path: Path, shared_data: Path) -> None:
    samples = {"hh_rlhf": shared_data / "preference" / "hh_rlhf_harmless_base_test.jsonl.gz"}
    manifest, card = run("hh-rlhf-dpo.yaml", tmp_path, *overrides_of(samples), "--limit", "60")
    check(manifest, card, samples, ["Anthropic/hh-rlhf"])
    pairs = output(tmp_path)
    assert pairs.height > 40 and set(pairs["strategy"]) == {"given"} and set(pairs["license"]) == {"MIT"}


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_lmsys_sft_recipe(tmp_path: Path) -> None:
    records = [
        {
            "conversation_id": f"lmsys-{n}",
            "model": "vicuna-13b",
            "conversation": [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
                {"role": "user", "content": "Can you say that more simply?"},
                {"role": "assistant", "content": answer.split(" ", 6)[-1]},
            ],
            "turn": 2,
            "language": "English",
            "openai_moderation": [{"flagged": False}, {"flagged": False}],
            "redacted": False,
        }
        for n, (question, answer) in enumerate(TOPICS)
    ]
    samples = {"lmsys": jsonl(tmp_path / "lmsys.jsonl", records)}
    manifest, card = run("lmsys-sft.yaml", tmp_path, *overrides_of(samples))
    check(manifest, card, samples, ["lmsys/lmsys-chat-1m"])
    conversations = output(tmp_path)
    assert "messages" in conversations.columns and conversations.height == len(TOPICS)
    assert set(conversations["license"]) == {"LMSYS-Chat-1M"}


def test_arena_dpo_recipe(tmp_path: Path) -> None:
    def side(question: str, answer: str) -> list[dict[str, Any]]:
        return [
            {"role": "user", "content": [{"type": "text", "text": question}]},
            {"role": "assistant", "content": [{"type": "text", "text": answer}]},
        ]

    battles = []
    for n, (question, answer) in enumerate(TOPICS[:3]):
        better, worse = side(question, answer), side(question, "I am not sure, sorry.")
        battles.append(
            {
                "id": f"b{n}",
                "model_a": "gpt-4-0613",
                "model_b": "mistral-7b-instruct",
                "winner": "model_a" if n % 2 else "model_b",
                "conversation_a": better if n % 2 else worse,
                "conversation_b": worse if n % 2 else better,
                "timestamp": "2025-06-02T11:04:05",
            }
        )
    recent = tmp_path / "arena-140k.parquet"
    pl.DataFrame(battles).write_parquet(recent)
    header = [
        "id",
        "model_a",
        "model_b",
        "prompt",
        "response_a",
        "response_b",
        "winner_model_a",
        "winner_model_b",
        "winner_tie",
    ]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for n, (question, answer) in enumerate(TOPICS[3:]):
        writer.writerow(
            [
                n,
                "gpt-4-0613",
                "mistral-7b-instruct",
                json.dumps([question]),
                json.dumps([answer]),
                json.dumps(["Ask someone else."]),
                1,
                0,
                0,
            ]
        )
    kaggle = tmp_path / "train.csv"
    kaggle.write_text(text.getvalue(), encoding="utf-8")
    samples = {"arena_140k": recent, "arena_55k": kaggle}
    manifest, card = run("arena-dpo.yaml", tmp_path, *overrides_of(samples))
    check(
        manifest,
        card,
        samples,
        ["lmarena-ai/arena-human-preference-140k", "lmarena-ai/arena-human-preference-55k"],
    )
    pairs = output(tmp_path)
    assert pairs.height == len(TOPICS) and set(pairs["strategy"]) == {"battle"}
    assert not any(
        "sorry" in side[0]["content"] or "someone else" in side[0]["content"] for side in pairs["chosen"]
    )


def test_oasst2_dpo_recipe(tmp_path: Path) -> None:
    def message(
        identifier: str, parent: str | None, role: str, text: str, rank: int | None
    ) -> dict[str, Any]:
        return {
            "message_id": identifier,
            "parent_id": parent,
            "user_id": f"user-{identifier}",
            "text": text,
            "role": role,
            "lang": "en",
            "rank": rank,
            "deleted": False,
            "message_tree_id": f"tree-{identifier[:2]}",
        }

    records = [
        item
        for n, (question, answer) in enumerate(TOPICS)
        for item in (
            message(f"p{n}", None, "prompter", question, None),
            message(f"p{n}a", f"p{n}", "assistant", answer, 0),
            message(f"p{n}b", f"p{n}", "assistant", "No idea, to be honest.", 1),
        )
    ]
    samples = {"oasst2": jsonl(tmp_path / "oasst2.jsonl", records)}
    manifest, card = run("oasst2-dpo.yaml", tmp_path, *overrides_of(samples))
    check(manifest, card, samples, ["OpenAssistant/oasst2"])
    pairs = output(tmp_path)
    assert pairs.height == len(TOPICS) and set(pairs["strategy"]) == {"ranked"}
    assert set(pairs["license"]) == {"Apache-2.0"}


def test_ultrafeedback_dpo_recipe(tmp_path: Path) -> None:
    records = [
        {
            "source": "evol_instruct",
            "instruction": question,
            "models": ["gpt-4", "llama-2-7b-chat"],
            "completions": [
                {"model": "gpt-4", "response": answer, "overall_score": 8.5},
                {"model": "llama-2-7b-chat", "response": "It just happens, really.", "overall_score": 4.0},
            ],
        }
        for question, answer in TOPICS
    ]
    samples = {"ultrafeedback": jsonl(tmp_path / "ultrafeedback.jsonl", records)}
    manifest, card = run("ultrafeedback-dpo.yaml", tmp_path, *overrides_of(samples))
    check(manifest, card, samples, ["openbmb/UltraFeedback"])
    pairs = output(tmp_path)
    assert pairs.height == len(TOPICS) and set(pairs["strategy"]) == {"rated"}
    assert set(pairs["score_chosen"]) == {8.5}


def test_helpsteer2_dpo_recipe(tmp_path: Path) -> None:
    def rated(question: str, answer: str, helpfulness: int) -> dict[str, Any]:
        aspects = {"correctness": 3, "coherence": 4, "complexity": 1, "verbosity": 1}
        return {"prompt": question, "response": answer, "helpfulness": helpfulness, **aspects}

    records = [
        item
        for question, answer in TOPICS
        for item in (rated(question, answer, 4), rated(question, "Hard to say.", 1))
    ]
    samples = {"helpsteer2": jsonl(tmp_path / "train.jsonl", records)}
    manifest, card = run("helpsteer2-dpo.yaml", tmp_path, *overrides_of(samples))
    check(manifest, card, samples, ["nvidia/HelpSteer2"])
    pairs = output(tmp_path)
    assert pairs.height == len(TOPICS) and set(pairs["strategy"]) == {"rated"}
    assert set(pairs["license"]) == {"CC-BY-4.0"}
