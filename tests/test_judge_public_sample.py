"""Real WildChat conversations, one reply each: no pairs by the log's evidence, pairs once
``generate`` adds candidates and a judge ranks them (models and judge behind a loopback server)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import curate
from curate.generation import cut
from curate.pairing.sides import turns_of
from tests.chat_server import ChatServer
from tests.helpers import write_pipeline
from tests.judge_support import referee

pytestmark = pytest.mark.slow

LOGGED = """\
name: wildchat-logged
inputs:
  - {{name: wildchat, path: {data}, format: wildchat, license: auto}}
stages:
  - normalize: {{}}
  - pairs:
      strategies: [battle, ranked, rated, thumbs, given, model_rank]
      model_rank: {{ranking: ["gpt-4*", "gpt-3.5*"]}}
"""
JUDGED = """\
name: wildchat-judged
inputs:
  - {{name: wildchat, path: {data}, format: wildchat, license: auto}}
stages:
  - normalize: {{}}
  - pii: {{action: replace}}
  - generate:
      models:
        - {{base_url: "{url}", model: strong-olmo, n: 1}}
        - {{base_url: "{url}", model: weak-olmo, n: 1}}
      cache_dir: cache
  - pairs:
      strategies: [judge]
      judge: {{base_url: "{url}", model: judge-model, cache_dir: cache}}
"""


def test_a_wildchat_sample_gives_pairs_only_with_generate_and_judge(
    shared_data: Path, tmp_path: Path, chat_server: ChatServer
) -> None:
    chat_server.reply = referee
    data = shared_data / "wildchat" / "convotopo_wildchat_50_sample.json"
    logged_pipeline = curate.Pipeline.from_yaml(write_pipeline(tmp_path, LOGGED.format(data=data)))
    logged = logged_pipeline.run(write=False, force=True)
    assert logged.output.height == 0
    assert set(logged.rejects_of("pairs")["reason"]) <= {"single_reply", "no_signal"}

    judged_text = JUDGED.format(data=data, url=chat_server.url)
    judged = curate.Pipeline.from_yaml(write_pipeline(tmp_path, judged_text)).run(write=False)
    # One pair per distinct opening prompt (max_per_prompt: 1); two conversations share one.
    prompts = {cut(turns_of(messages), "first")[0] for messages in logged.conversations["messages"].to_list()}
    assert judged.output.height == len(prompts) == 49
    assert set(judged.output["strategy"]) == {"judge"}
    chosen = judged.output["chosen"].list.first().struct.field("content")
    assert chosen.str.contains("thorough").all()
    generated = judged.rejects_of("generate")
    assert generated.is_empty(), generated.select("id", "reason")
    assert judged.output.filter(pl.col("judge") != "judge-model").is_empty()
