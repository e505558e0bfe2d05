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
            "winner: expected one of model_a, model_b, tie, tie (bothbad)",
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
