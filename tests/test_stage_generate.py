"""The generate stage against a loopback server: candidates, groups, reasons, the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from curate.stages.base import StageOutput
from curate.stages.generate import Generate
from tests.chat_server import ChatServer, Reply, echo
from tests.helpers import conversation, frame, run_in_shards
from tests.test_record_stages_balance import messy_frames


def generate(
    server: ChatServer, cache: Path, rows: list[dict[str, Any]], models: Any = None, **options: Any
) -> tuple[Generate, StageOutput]:
    stage = Generate.from_options(
        models=models or [{"base_url": server.url, "model": "m1", "n": 2, "backoff": 0.01}],
        cache_dir=str(cache),
        **options,
    )
    try:
        return stage, stage.process(frame(*rows))
    finally:
        stage.teardown()


def contents(kept: pl.DataFrame) -> list[list[tuple[str, str]]]:
    return [[(m["role"], m["content"]) for m in messages] for messages in kept["messages"].to_list()]


def test_each_prompt_gets_n_completions_per_model_beside_the_logged_reply(
    chat_server: ChatServer, tmp_path: Path
) -> None:
    models = [
        {"base_url": chat_server.url, "model": "m1", "n": 2, "temperature": 0.5},
        {"base_url": chat_server.url, "model": "m2", "license": "Apache-2.0", "seed": 7},
    ]
    rows = [conversation("c1", ("user", "abc"), ("assistant", "logged"), group="g", model="orig")]
    stage, output = generate(chat_server, tmp_path, rows, models)
    kept = output.kept
    assert kept["model"].to_list() == ["orig", "m1", "m1", "m2"]
    assert contents(kept)[1:] == [
        [("user", "abc"), ("assistant", "m1 (seed 0) says: cba")],
        [("user", "abc"), ("assistant", "m1 (seed 1) says: cba")],
        [("user", "abc"), ("assistant", "m2 (seed 7) says: cba")],
    ]
    assert kept["id"][0] == "c1" and kept["id"].n_unique() == 4
    assert set(kept["group"]) == {"g"} and set(kept["source"]) == {"test"}
    assert kept["license"].to_list() == ["MIT", "MIT", "MIT", "Apache-2.0 AND MIT"]
    assert kept["signal"].to_list()[1:] == [None] * 3
    meta = orjson.loads(kept["meta"][1])["generated"]
    assert meta == {
        "from": "c1",
        "base_url": chat_server.url,
        "model": "m1",
        "params": {"max_tokens": 1024, "seed": 0, "temperature": 0.5},
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 1, "completion_tokens": 5},
    }
    assert (output.consumed, output.rejected.height) == (1, 0)
    assert [body["messages"] for body in chat_server.requests] == [[{"role": "user", "content": "abc"}]] * 3
    report = stage.report().model_dump()
    assert (report["conversations"], report["prompts"], report["candidates"]) == (1, 1, 4)
    assert [(m["model"], m["requests"], m["completions"], m["failed"]) for m in report["models"]] == [
        ("m1", 2, 2, 0),
        ("m2", 1, 1, 0),
    ]


@pytest.mark.parametrize(
    ("turns", "prompt", "original"),
    [
        ("first", [("system", "s"), ("user", "q1")], [("system", "s"), ("user", "q1"), ("assistant", "a1")]),
        (
            "all",
            [("system", "s"), ("user", "q1"), ("assistant", "a1"), ("user", "q2")],
            [("system", "s"), ("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2")],
        ),
    ],
)
def test_turns_chooses_the_prompt_and_the_original_keeps_its_reply_to_it(
    chat_server: ChatServer, tmp_path: Path, turns: str, prompt: list[Any], original: list[Any]
) -> None:
    talk = [("system", "s"), ("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2")]
    _, output = generate(chat_server, tmp_path, [conversation("c", *talk)], turns=turns)
    assert contents(output.kept)[0] == original
    assert [(m["role"], m["content"]) for m in chat_server.requests[0]["messages"]] == prompt
    assert all(messages[:-1] == prompt for messages in contents(output.kept)[1:])


def test_rows_of_one_group_asking_one_prompt_ask_it_once(chat_server: ChatServer, tmp_path: Path) -> None:
    rows = [
        conversation("a", ("user", "q"), ("assistant", "A"), group="battle"),
        conversation("b", ("user", "q"), ("assistant", "B"), group="battle"),
        conversation("c", ("user", "q"), ("assistant", "C"), group="other"),
    ]
    _, kept = generate(chat_server, tmp_path, rows)
    assert kept.kept["id"].to_list()[:4] == ["a", kept.kept["id"][1], kept.kept["id"][2], "b"]
    assert len(chat_server.requests) == 2  # group `other` asks the same requests: answered by the cache
    _, dropped = generate(chat_server, tmp_path, rows, keep_original=False)
    assert dropped.rejected.select("id", "reason").rows() == [("b", "same_prompt")]
    assert dropped.consumed == 2 and dropped.kept.height == 4


@pytest.mark.parametrize(
    ("keep_original", "expected"),
    [(True, [("none", "no_prompt")]), (False, [("none", "no_prompt"), ("long", "request_failed")])],
)
def test_reasons_for_conversations_that_give_no_candidate(
    chat_server: ChatServer, tmp_path: Path, keep_original: bool, expected: list[tuple[str, str]]
) -> None:
    chat_server.reply = lambda body: Reply(status=400) if "long" in str(body["messages"]) else echo(body)
    rows = [
        conversation("ok", ("user", "fine"), ("assistant", "x")),
        conversation("none", ("assistant", "no question")),
        conversation("long", ("user", "too long"), ("assistant", "y")),
    ]
    stage, output = generate(chat_server, tmp_path, rows, keep_original=keep_original)
    assert output.rejected.select("id", "reason").rows() == expected
    assert output.consumed + output.rejected.height == 3
    assert [m["failed"] for m in stage.report().model_dump()["models"]] == [2]


def test_a_rerun_sends_nothing_and_writes_the_same_rows(chat_server: ChatServer, tmp_path: Path) -> None:
    rows = [conversation(f"c{n}", ("user", f"question {n}"), ("assistant", "r")) for n in range(5)]
    stage, first = generate(chat_server, tmp_path / "cache", rows)
    sent = len(chat_server.requests)
    again, second = generate(chat_server, tmp_path / "cache", rows)
    assert sent == 10 and len(chat_server.requests) == 10
    assert first.kept.equals(second.kept)
    assert stage.report() == again.report()
    _, fresh = generate(chat_server, tmp_path / "other-cache", rows)
    assert fresh.kept.equals(first.kept)


def test_an_empty_batch_gives_empty_frames(chat_server: ChatServer, tmp_path: Path) -> None:
    _, output = generate(chat_server, tmp_path, [])
    assert output.kept.is_empty() and output.rejected.is_empty() and output.consumed == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"models": []}, "at least 1 item"),
        ({"models": [{"base_url": "http://h/v1", "model": "m"}] * 2}, "listed twice"),
        ({"models": [{"base_url": "http://h/v1", "model": "m", "extra": {"n": 2}}]}, "n cannot be set"),
        ({"models": [{"base_url": "http://h/v1", "model": "m", "license": "CC-BY-4"}]}, "unknown license"),
        ({"models": [{"base_url": "http://h/v1", "model": "m"}], "turns": "last"}, "'first' or 'all'"),
    ],
)
def test_options_refuse_mistakes(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Generate.Options.model_validate(options)


def test_rows_balance_on_messy_frames(chat_server: ChatServer, tmp_path: Path) -> None:
    """Rows in = rows consumed + rows rejected, through the runner's batching and checks."""
    stage = Generate.from_options(
        models=[{"base_url": chat_server.url, "model": "m", "n": 2}], cache_dir=str(tmp_path)
    )

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=messy_frames(), shard_rows=st.integers(1, 4))
    def balances(rows: pl.DataFrame, shard_rows: int) -> None:
        # Raises StageError on a lost row or an undeclared reason.
        _, rejected, stats = run_in_shards(stage, rows, shard_rows, set_up=False)
        assert stats.rows_consumed is not None
        assert stats.rows_consumed + rejected.height == rows.height
        assert set(rejected["reason"]) <= {"no_prompt", "same_prompt"}

    try:
        balances()
    finally:
        stage.teardown()
