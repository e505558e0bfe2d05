"""Pairs from real public preference data (HH-RLHF, LLaMA-Factory), read by the preference reader."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from curate.pairing.sides import split_reply, turns_of
from tests.helpers import run_pipeline

PIPELINE = """\
name: public-pairs
inputs:
  - {{name: hh, path: {hh}, format: preference, license: MIT}}
  - {{name: lf, path: {lf}, format: preference, license: Apache-2.0}}
stages:
  - pairs: {{strategies: [given]}}
  - decontaminate: {{against: [{mt_bench}, {arena_hard}]}}
  - split: {{test_size: 0.1}}
"""


@pytest.fixture(scope="module")
def run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    text = PIPELINE.format(
        hh=shared_data / "preference" / "hh_rlhf_harmless_base_test.jsonl.gz",
        lf=shared_data / "preference" / "llamafactory_dpo_en_demo.json",
        mt_bench=shared_data / "evals" / "mt_bench_questions.jsonl",
        arena_hard=shared_data / "evals" / "arena_hard_v0.1_questions.jsonl",
    )
    return run_pipeline(tmp_path_factory.mktemp("public"), text, write=False)


def test_every_record_with_two_answers_gives_one_pair_per_prompt(run: object) -> None:
    conversations: pl.DataFrame = run.conversations  # type: ignore[attr-defined]
    pairs: pl.DataFrame = run.output  # type: ignore[attr-defined]
    rejects: pl.DataFrame = run.rejects_of("pairs")  # type: ignore[attr-defined]
    assert set(pairs["strategy"].to_list()) == {"given"}
    assert set(rejects["reason"].to_list()) <= {
        "too_short",
        "single_reply",
        "max_per_prompt",
        "duplicate_reply",
    }

    last_reply = pl.col("messages").list.last().struct.field("content").str.strip_chars()
    empty_groups = set(conversations.filter(last_reply == "")["group"].to_list())
    assert set(rejects.filter(pl.col("reason") == "too_short")["group"].to_list()) == empty_groups
    assert set(rejects.filter(pl.col("reason") == "single_reply")["group"].to_list()) == empty_groups

    full = conversations.filter(~pl.col("group").is_in(list(empty_groups)))
    # The prompt runs to the last user turn: some HH-RLHF answers are two assistant turns.
    distinct_prompts = {split_reply(turns_of(messages))[0] for messages in full["messages"].to_list()}
    assert pairs.height == len(distinct_prompts)
    assert (pairs["chosen"] != pairs["rejected"]).all()
    assert pairs["prompt"].list.last().struct.field("role").eq("user").all()
    assert pairs["chosen"].list.eval(pl.element().struct.field("role") == "assistant").list.all().all()


def test_split_and_decontamination_on_real_data(run: object) -> None:
    pairs: pl.DataFrame = run.output  # type: ignore[attr-defined]
    splits = pairs.group_by("_split").len()
    assert dict(splits.iter_rows()) == {
        "train": pairs.height - round(0.1 * pairs.height),
        "test": round(0.1 * pairs.height),
    }
    contaminated = run.rejects_of("decontaminate")  # type: ignore[attr-defined]
    assert contaminated.height == 0
