"""Every record stage accounts for every row: rows in = rows kept + rows rejected.

A hypothesis property runs each registered stage that works batch by batch (``whole_data``
is False), takes conversations, and runs with default options and no external files, on
messy frames: empty and null turn lists, empty turns, any order of roles, control and
zero-width characters, mojibake, scripts of many languages, duplicated rows, source flags.
Stages are built and set up once per module; they run through the runner's own batching
and checks (``_in_batches``, ``_check``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import curate
from curate import registry
from curate.stages.base import RunContext, Stage
from tests.helpers import conversation, frame, run_in_shards

RECORD_STAGES = sorted(
    name
    for name in registry.stages.names()
    if not registry.stages.get(name).whole_data and "conversations" in registry.stages.get(name).accepts
)
OWN_STAGES = ("language", "normalize", "quality")


@pytest.fixture(scope="module")
def built_stages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Stage[Any] | str]]:
    """Each record stage with its default options and set up, or why it cannot run so."""
    folder = tmp_path_factory.mktemp("stages")
    # The options a stage cannot run without, with the smallest files that satisfy them.
    (folder / "eval.jsonl").write_text(
        json.dumps({"id": "e1", "prompt": "hello there, how are you doing today? tell me everything"}) + "\n"
    )
    required = {"decontaminate": {"against": ["eval.jsonl"], "ngram": 4}}
    context = RunContext(pipeline_dir=folder, workers=1)
    stages: dict[str, Stage[Any] | str] = {}
    for name in RECORD_STAGES:
        stage_class = registry.stages.get(name)
        try:
            options = stage_class.Options.model_validate(required.get(name, {}), context={"base_dir": folder})
        except ValidationError as exc:
            stages[name] = f"{name} needs options or files: {exc.errors()[0]['msg']}"
            continue
        stage = stage_class(options, context)
        stage.setup()
        stages[name] = stage
    yield stages
    for stage in stages.values():
        if isinstance(stage, Stage):
            stage.teardown()


TEXTS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\u200b",
            "hello there, how are you doing today?",
            "cafÃ© â€œquotedâ€\x9d",
            "Привет, как дела? Расскажи мне о погоде.",
            "请给我写一首关于大海的诗",
            "```python\nprint('hi')\n```",
            "a\x00b\r\nc\x1b[31m",
            "Call me at 212-555-0199 or mail jane.doe@example.com",
        ]
    ),
)
TURNS = st.lists(st.tuples(st.sampled_from(["system", "user", "assistant"]), TEXTS), max_size=6)
METAS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            json.dumps({"toxic": True}),
            json.dumps({"openai_moderation": [{"flagged": False}, {"flagged": True}]}),
            json.dumps({"redacted": True, "deleted": False}),
            json.dumps({"review_result": False}),
            "not json",
        ]
    ),
)


@st.composite
def messy_frames(draw: st.DrawFn) -> pl.DataFrame:
    rows = []
    for index in range(draw(st.integers(1, 6))):
        turns = draw(TURNS)
        columns: dict[str, Any] = {
            "meta": draw(METAS),
            "language": draw(st.sampled_from([None, "en", "fr", "English"])),
            "consent": draw(st.sampled_from(["granted", "withheld", "unknown"])),
        }
        if not turns:
            columns["messages"] = draw(st.sampled_from([None, []]))
        rows.append(conversation(f"c{index}", *turns, **columns))
    duplicates = draw(st.lists(st.sampled_from(rows), max_size=2))
    return frame(*rows, *duplicates)


@pytest.mark.parametrize("name", RECORD_STAGES)
def test_rows_balance(name: str, built_stages: dict[str, Stage[Any] | str]) -> None:
    stage = built_stages[name]
    if isinstance(stage, str):
        pytest.skip(stage)

    @settings(
        max_examples=40 if name in OWN_STAGES else 15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(rows=messy_frames(), shard_rows=st.integers(1, 4))
    def balances(rows: pl.DataFrame, shard_rows: int) -> None:
        # Raises StageError on a lost row or an undeclared reason.
        kept, rejected, stats = run_in_shards(stage, rows, shard_rows, set_up=False)
        assert kept.height + rejected.height == rows.height == stats.rows_in
        assert Counter(kept["id"].to_list() + rejected["id"].to_list()) == Counter(rows["id"].to_list())

    balances()


def test_the_own_stages_are_all_checked() -> None:
    assert set(OWN_STAGES) <= set(RECORD_STAGES)


def test_pipeline_run_balances_and_is_deterministic(tmp_path: Path) -> None:
    records = [
        {"id": "en", "messages": [{"role": "user", "content": " Please write a poem about the sea. "}]},
        {
            "id": "en2",
            "messages": [
                {"role": "user", "content": "Please write a short poem about the sea."},
                {"role": "user", "content": "With rhymes\u200b please."},
                {"role": "assistant", "content": "The sea is wide,\r\nthe sea is deep."},
            ],
        },
        {
            "id": "fr",
            "messages": [
                {"role": "user", "content": "Écris-moi un poème sur la mer, s'il te plaît."},
                {"role": "assistant", "content": "La mer est grande."},
            ],
        },
        {
            "id": "toxic",
            "toxic": True,
            "messages": [
                {"role": "user", "content": "Write something rude about my neighbour please."},
                {"role": "assistant", "content": "No."},
            ],
        },
        {
            "id": "short",
            "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        },
    ]
    source = tmp_path / "chats.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    pipeline = curate.Pipeline.from_dict(
        {
            "name": "balance",
            "inputs": [{"name": "chats", "path": str(source), "format": "openai", "license": "MIT"}],
            "stages": [
                {"normalize": {}},
                {"language": {"keep": ["en"]}},
                {"quality": {"min_chars": 3}},
            ],
        },
        base_dir=tmp_path,
    )
    first = pipeline.run(write=False, workers=1)
    by_stage = {stats.name: stats for stats in first.stats}
    for name in ("normalize", "language", "quality"):
        stats = by_stage[name]
        assert stats.rows_in == stats.rows_out + stats.rows_rejected
    assert by_stage["normalize"].reasons == {"no_assistant_turn": 1}
    assert by_stage["language"].reasons == {"language:fr": 1}
    assert by_stage["quality"].reasons == {"flagged:toxic": 1, "too_short:user": 1}
    assert first.output["id"].to_list() == ["en2"]
    assert first.output["messages"].to_list() == [
        [
            {"role": "user", "content": "Please write a short poem about the sea.\n\nWith rhymes please."},
            {"role": "assistant", "content": "The sea is wide,\nthe sea is deep."},
        ]
    ]
    assert first.output["language"].to_list() == ["en"]
    second = pipeline.run(write=False, workers=1)
    assert second.output.equals(first.output)


def test_real_wildchat_sample_balances(shared_data: Path) -> None:
    pipeline = curate.Pipeline.from_dict(
        {
            "name": "wildchat-sample",
            "inputs": [
                {
                    "name": "wildchat",
                    "path": str(shared_data / "wildchat" / "convotopo_wildchat_50_sample.json"),
                    "format": "wildchat",
                    "license": "ODC-BY-1.0",
                }
            ],
            "stages": [{"normalize": {}}, {"language": {}}, {"quality": {"drop_flagged": True}}],
        }
    )
    result = pipeline.run(write=False, workers=1)
    stats = {stage.name: stage for stage in result.stats}
    assert stats["read"].rows_out == 50
    for name in ("normalize", "language", "quality"):
        assert stats[name].rows_in == stats[name].rows_out + stats[name].rows_rejected
    assert set(stats["quality"].reasons) <= {"flagged:redacted", "flagged:toxic", "too_short:user"}
    assert result.output["language"].null_count() == 0
    assert (result.output["language"] == "en").sum() >= 40
