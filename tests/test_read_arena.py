"""The arena reader: one battle, two rows sharing a group, outcomes seen from each side."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.reader_helpers import read_records, rejects, roles, rows


def battle(**fields: Any) -> dict[str, Any]:
    record = {
        "question_id": "58210e39",
        "model_a": "chatglm-6b",
        "model_b": "koala-13b",
        "winner": "model_b",
        "judge": "arena_user_973",
        "conversation_a": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "5"}],
        "conversation_b": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}],
        "turn": 1,
        "anony": True,
        "language": "English",
        "tstamp": 1682351591.1322,
        "openai_moderation": {"flagged": False},
        "toxic_chat_tag": {"roberta-large": {"flagged": False}},
    }
    record.update(fields)
    return record


@pytest.mark.parametrize(
    ("winner", "outcomes"),
    [
        ("model_a", ["win", "loss"]),
        ("model_b", ["loss", "win"]),
        ("tie", ["tie", "tie"]),
        ("tie (bothbad)", ["both_bad", "both_bad"]),
        # the spellings of the other releases and of hand-made dumps
        ("both_bad", ["both_bad", "both_bad"]),
        ("tie(bothbad)", ["both_bad", "both_bad"]),
        ("Tie (both bad)", ["both_bad", "both_bad"]),
        ("both-bad", ["both_bad", "both_bad"]),
        ("Model_A", ["win", "loss"]),
        ("model b", ["loss", "win"]),
        ("TIE", ["tie", "tie"]),
    ],
)
def test_outcome_from_each_side(tmp_path: Path, winner: str, outcomes: list[str]) -> None:
    read = read_records(tmp_path, [battle(winner=winner)], "arena")
    assert [row["signal"]["outcome"] for row in rows(read)] == outcomes


def test_two_rows_share_the_group(tmp_path: Path) -> None:
    read = read_records(tmp_path, [battle()], "auto")
    assert read.format == "arena"
    a, b = rows(read)
    assert (a["id"], b["id"]) == ("58210e39:a", "58210e39:b")
    assert a["group"] == b["group"] == "58210e39"
    assert (a["model"], b["model"]) == ("chatglm-6b", "koala-13b")
    assert roles(a)[-1] == ("assistant", "5")
    assert roles(b)[-1] == ("assistant", "4")
    assert a["user"] == b["user"] == "arena_user_973"
    assert a["language"] == "en"
    assert a["created_at"] == datetime.fromtimestamp(1682351591.1322, tz=UTC)
    assert a["meta"] == b["meta"]
    assert a["meta"] == {
        "winner": "model_b",
        "turn": 1,
        "anony": True,
        "openai_moderation": {"flagged": False},
        "toxic_chat_tag": {"roberta-large": {"flagged": False}},
    }


def test_a_battle_without_question_id_gets_a_content_group(tmp_path: Path) -> None:
    read = read_records(tmp_path, [battle(question_id=None), battle(question_id=None, winner="tie")], "arena")
    first_a, _, second_a, _ = rows(read)
    assert first_a["group"] == second_a["group"]
    assert len(first_a["group"]) == 24
    assert second_a["id"] == f"{first_a['group']}:a#2"


@pytest.mark.parametrize(
    ("fields", "reason", "detail"),
    [
        (
            {"winner": "model_c"},
            "invalid_value",
            "winner: expected one of model_a, model_b, tie, tie (bothbad), both_bad",
        ),
        ({"winner": None}, "missing_field", "winner: missing"),
        ({"model_b": None}, "missing_field", "model_b: missing"),
        ({"conversation_b": []}, "no_messages", "conversation_b: the list of messages is empty"),
        ({"judge": 3}, "wrong_type", "judge: expected a string, got int"),
    ],
)
def test_bad_battles(tmp_path: Path, fields: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [battle(**fields)], "arena")
    assert read.frame.height == 0
    assert rejects(read) == [(1, reason, detail)]


def test_the_140k_layout_gives_the_record_id_and_timestamp(tmp_path: Path) -> None:
    record = battle(
        question_id=None,
        tstamp=None,
        id="0199c3c2-7a1e",
        timestamp="2025-06-02T11:04:05.123000",
        winner="both_bad",
        evaluation_session_id="s-1",
        conversation_a=[
            {"role": "user", "content": [{"type": "text", "text": "2+2?"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "5"}]},
        ],
    )
    del record["question_id"], record["tstamp"]
    a, b = rows(read_records(tmp_path, [record], "auto"))
    assert (a["id"], b["id"], a["group"]) == ("0199c3c2-7a1e:a", "0199c3c2-7a1e:b", "0199c3c2-7a1e")
    assert a["created_at"] == datetime(2025, 6, 2, 11, 4, 5, 123000, tzinfo=UTC)
    assert roles(a) == [("user", "2+2?"), ("assistant", "5")]
    assert a["signal"]["outcome"] == b["signal"]["outcome"] == "both_bad"
    assert "id" not in a["meta"] and "timestamp" not in a["meta"]
    assert a["meta"]["evaluation_session_id"] == "s-1"


def test_the_record_id_wins_over_the_question_id(tmp_path: Path) -> None:
    a, _ = rows(read_records(tmp_path, [battle(id=42)], "arena"))
    assert (a["id"], a["group"]) == ("42:a", "42")
    assert a["meta"]["question_id"] == "58210e39"


def kaggle(**fields: Any) -> dict[str, Any]:
    """The human-preference 55k layout, as its CSV gives it once the JSON columns are parsed."""
    record: dict[str, Any] = {
        "id": 30192,
        "model_a": "gpt-4-1106-preview",
        "model_b": "gpt-4-0613",
        "prompt": ["2+2?", "and 3+3?"],
        "response_a": ["4", "6"],
        "response_b": ["5", None],
        "winner_model_a": 1,
        "winner_model_b": 0,
        "winner_tie": 0,
    }
    record.update(fields)
    return record


@pytest.mark.parametrize(
    ("flags", "outcomes"),
    [
        ((1, 0, 0), ["win", "loss"]),
        ((0, 1, 0), ["loss", "win"]),
        ((0, 0, 1), ["tie", "tie"]),
    ],
)
def test_the_55k_layout_with_winner_flags(
    tmp_path: Path, flags: tuple[int, int, int], outcomes: list[str]
) -> None:
    record = kaggle(winner_model_a=flags[0], winner_model_b=flags[1], winner_tie=flags[2])
    read = read_records(tmp_path, [record], "auto")
    assert read.format == "arena"
    a, b = rows(read)
    assert [a["signal"]["outcome"], b["signal"]["outcome"]] == outcomes
    assert (a["id"], a["group"], a["model"]) == ("30192:a", "30192", "gpt-4-1106-preview")
    assert roles(a) == [("user", "2+2?"), ("assistant", "4"), ("user", "and 3+3?"), ("assistant", "6")]
    assert roles(b)[-1] == ("assistant", "")
    assert a["meta"] == {"winner_model_a": flags[0], "winner_model_b": flags[1], "winner_tie": flags[2]}


@pytest.mark.parametrize(
    ("fields", "reason", "detail"),
    [
        (
            {"winner_model_b": 1},
            "invalid_value",
            "winner_model_a: exactly one of winner_model_a, winner_model_b, winner_tie must be 1",
        ),
        ({"response_b": ["5"]}, "invalid_value", "response_b: needs one response per prompt turn"),
        ({"prompt": "2+2?"}, "invalid_value", "response_a: needs one response per prompt turn"),
        ({"prompt": []}, "no_messages", "prompt: the list of turns is empty"),
        ({"response_a": 4}, "wrong_type", "response_a: expected a list of turns, got int"),
    ],
)
def test_bad_55k_records(tmp_path: Path, fields: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [kaggle(**fields)], "arena")
    assert read.frame.height == 0
    assert rejects(read) == [(1, reason, detail)]
