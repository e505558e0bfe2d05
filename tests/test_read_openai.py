"""The openai reader: chat-completions records, their metadata and the feedback on them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.reader_helpers import read_path, read_records, rejects, roles, rows

MESSAGES = [
    {"role": "system", "content": "S"},
    {"role": "user", "content": "Q"},
    {"role": "assistant", "content": "A"},
]


def chat(**fields: Any) -> dict[str, Any]:
    return {"messages": MESSAGES, **fields}


def test_columns_and_meta(tmp_path: Path) -> None:
    record = chat(
        id="x",
        model="gpt-4o",
        user="u1",
        created=1700000000,
        language="German",
        metadata={"app": "demo", "session": 4},
        temperature=0.2,
    )
    [row] = rows(read_records(tmp_path, [record], "openai"))
    assert roles(row) == [("system", "S"), ("user", "Q"), ("assistant", "A")]
    assert (row["id"], row["model"], row["user"], row["language"]) == ("x", "gpt-4o", "u1", "de")
    assert row["created_at"] == datetime.fromtimestamp(1700000000, tz=UTC)
    assert row["meta"] == {"metadata": {"app": "demo", "session": 4}, "temperature": 0.2}
    assert row["signal"] is None


def test_content_parts_are_joined_and_extra_message_keys_kept(tmp_path: Path) -> None:
    messages = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "a"}, {"type": "image_url"}, {"type": "text", "text": "b"}],
        },
        {"role": "assistant", "content": "c", "name": "bot"},
    ]
    [row] = rows(read_records(tmp_path, [{"messages": messages}], "openai"))
    assert roles(row) == [("user", "a\nb"), ("assistant", "c")]
    assert row["meta"] == {"turns": [{}, {"name": "bot"}]}


@pytest.mark.parametrize(
    ("fields", "thumbs", "score"),
    [
        ({"thumbs": "up"}, "up", None),
        ({"thumbs": "Down"}, "down", None),
        ({"thumbs": True}, "up", None),
        ({"thumbs": -1}, "down", None),
        ({"thumbs": "thumbs_up", "rating": 4}, "up", 4.0),
        ({"score": "0.25"}, None, 0.25),
        ({"metadata": {"thumbs": "down", "rating": 2}}, "down", 2.0),
        ({"thumbs": "up", "metadata": {"thumbs": "down"}}, "up", None),
    ],
)
def test_feedback_becomes_the_signal(
    tmp_path: Path, fields: dict[str, Any], thumbs: str | None, score: float | None
) -> None:
    [row] = rows(read_records(tmp_path, [chat(**fields)], "openai"))
    assert (row["signal"]["thumbs"], row["signal"]["score"]) == (thumbs, score)


@pytest.mark.parametrize(
    ("fields", "reason", "detail"),
    [
        ({"thumbs": "meh"}, "invalid_value", "thumbs: expected up, down, true, false, 1 or -1"),
        (
            {"metadata": {"thumbs": 2}},
            "invalid_value",
            "metadata.thumbs: expected up, down, true, false, 1 or -1",
        ),
        ({"rating": "five"}, "wrong_type", "rating: expected a number, got str"),
        ({"messages": [{"role": "user"}]}, "missing_field", "messages[0].content: missing"),
        ({"created": "soon"}, "invalid_value", "created_at: expected epoch seconds or an ISO 8601 timestamp"),
    ],
)
def test_bad_records(tmp_path: Path, fields: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [chat(**fields)], "openai")
    assert rejects(read) == [(1, reason, detail)]


def test_non_finite_ratings_from_parquet_are_refused(tmp_path: Path) -> None:
    pl.DataFrame({"messages": [MESSAGES, MESSAGES], "rating": [float("nan"), 1.0]}).write_parquet(
        tmp_path / "r.parquet"
    )
    read = read_path(tmp_path, "r.parquet", "openai")
    assert rejects(read) == [(1, "invalid_value", "rating: expected a finite number")]
    assert read.frame["signal"].struct.field("score").to_list() == [1.0]


CALL = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}
TOOL_CHAT = [
    {"role": "user", "content": "Weather in Oslo?"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "c1", "content": "4 C, rain"},
    {"role": "assistant", "content": "Rainy, 4 degrees.", "tool_calls": [CALL]},
    {"role": "function", "name": "weather", "content": "4 C"},
]


@pytest.mark.parametrize(
    ("tools", "meta"),
    [
        (
            None,
            {
                "turns": [{}, {"tool_calls": [CALL]}],
                "tool_turns": [
                    {"index": 1, "message": TOOL_CHAT[1]},
                    {"index": 2, "message": TOOL_CHAT[2]},
                    {"index": 4, "message": TOOL_CHAT[4]},
                ],
            },
        ),
        ("drop_turns", {"tool_turns_dropped": 3}),
    ],
)
def test_tool_turns_leave_the_messages_and_are_kept_or_dropped(
    tmp_path: Path, tools: str | None, meta: dict[str, Any]
) -> None:
    options = {"options": {"tools": tools}} if tools else {}
    read = read_records(tmp_path, [{"id": "t", "messages": TOOL_CHAT}], "openai", **options)
    [row] = rows(read)
    assert roles(row) == [("user", "Weather in Oslo?"), ("assistant", "Rainy, 4 degrees.")]
    assert row["meta"] == meta
    assert rejects(read) == []


def test_tools_reject_names_the_first_tool_turn(tmp_path: Path) -> None:
    read = read_records(tmp_path, [{"id": "t", "messages": TOOL_CHAT}], "openai", options={"tools": "reject"})
    assert rejects(read) == [(1, "invalid_value", "messages[1]: a tool turn (the input says tools: reject)")]


def test_a_log_with_tool_calls_is_detected_as_openai(tmp_path: Path) -> None:
    calls = [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [CALL]}]
    read = read_records(tmp_path, [{"messages": calls + MESSAGES[1:]}], "auto")
    assert (read.format, read.frame.height) == ("openai", 1)
