"""The wildchat and lmsys readers: ids, users, languages, and every unmapped field in meta."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.reader_helpers import read_path, read_records, rejects, roles, rows

MODERATION = [
    {"flagged": False, "categories": {"hate": False}},
    {"flagged": True, "categories": {"hate": True}},
]


def wildchat(**fields: Any) -> dict[str, Any]:
    record = {
        "conversation_hash": "0f3a",
        "model": "gpt-4-0314",
        "timestamp": "2023-04-09T00:02:53+00:00",
        "conversation": [
            {
                "content": "Hola",
                "country": "Spain",
                "hashed_ip": "ab12",
                "header": {"accept-language": "es"},
                "language": "Spanish",
                "redacted": False,
                "role": "user",
                "state": "Madrid",
                "timestamp": None,
                "toxic": False,
                "turn_identifier": 101,
            },
            {
                "content": "¡Hola!",
                "language": "Spanish",
                "redacted": False,
                "role": "assistant",
                "timestamp": "2023-04-09T00:02:53+00:00",
                "toxic": True,
                "turn_identifier": 101,
            },
        ],
        "turn": 1,
        "language": "Spanish",
        "openai_moderation": MODERATION,
        "detoxify_moderation": [{"toxicity": 0.01}, {"toxicity": 0.9}],
        "toxic": True,
        "redacted": False,
        "state": "Madrid",
        "country": "Spain",
        "hashed_ip": "ab12",
        "header": {"accept-language": "es"},
    }
    record.update(fields)
    return record


def test_wildchat_maps_columns_and_keeps_the_rest_verbatim(tmp_path: Path) -> None:
    [row] = rows(read_records(tmp_path, [wildchat()], "wildchat"))
    assert roles(row) == [("user", "Hola"), ("assistant", "¡Hola!")]
    assert (row["id"], row["model"], row["language"], row["user"]) == ("0f3a", "gpt-4-0314", "es", "ab12")
    assert row["created_at"] == datetime(2023, 4, 9, 0, 2, 53, tzinfo=UTC)
    meta = row["meta"]
    assert list(meta) == [
        "turn",
        "openai_moderation",
        "detoxify_moderation",
        "toxic",
        "redacted",
        "state",
        "country",
        "header",
        "turns",
    ]
    assert meta["openai_moderation"] == MODERATION
    assert (meta["toxic"], meta["redacted"], meta["turn"]) == (True, False, 1)
    assert meta["turns"][0]["hashed_ip"] == "ab12"
    assert meta["turns"][0]["turn_identifier"] == 101
    assert meta["turns"][1] == {
        "language": "Spanish",
        "redacted": False,
        "timestamp": "2023-04-09T00:02:53+00:00",
        "toxic": True,
        "turn_identifier": 101,
    }


@pytest.mark.parametrize(
    ("language", "code", "kept"),
    [
        ("English", "en", False),
        ("Chinese", "zh", False),
        ("Norwegian Bokmal", "nb", False),
        ("Klingon", None, True),
        ("unknown", None, True),
        (None, None, False),
    ],
)
def test_wildchat_language_names(tmp_path: Path, language: str | None, code: str | None, kept: bool) -> None:
    [row] = rows(read_records(tmp_path, [wildchat(language=language)], "wildchat"))
    assert row["language"] == code
    assert ("language" in row["meta"]) is (kept or language is None)
    if kept:
        assert row["meta"]["language"] == language


def test_wildchat_reshaped_sample_layout(tmp_path: Path) -> None:
    record = {
        "id": "wildchat_e88c",
        "source": "wildchat",
        "messages": [
            {"role": "user", "content": "Why?", "pad": {"p": 0.6}},
            {"role": "assistant", "content": "Because."},
        ],
        "metadata": {
            "model": "gpt-3.5-turbo-0301",
            "timestamp": "2023-05-09T16:35:19+00:00",
            "turn_count": 1,
            "language": "English",
            "country": "Ethiopia",
            "state": "Addis Ababa",
            "toxic": False,
            "redacted": True,
        },
    }
    read = read_records(tmp_path, [record], "auto")
    assert read.format == "wildchat"
    [row] = rows(read)
    assert (row["id"], row["model"], row["language"]) == ("wildchat_e88c", "gpt-3.5-turbo-0301", "en")
    assert row["created_at"] == datetime(2023, 5, 9, 16, 35, 19, tzinfo=UTC)
    assert row["meta"] == {
        "source": "wildchat",
        "turn_count": 1,
        "country": "Ethiopia",
        "state": "Addis Ababa",
        "toxic": False,
        "redacted": True,
        "turns": [{"pad": {"p": 0.6}}, {}],
    }


def test_wildchat_parquet_with_native_datetimes(tmp_path: Path) -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "conversation_hash": ["h1"],
            "timestamp": [when],
            "conversation": [[{"role": "user", "content": "hi", "timestamp": when}]],
            "toxic": [False],
        }
    )
    frame.write_parquet(tmp_path / "w.parquet")
    [row] = rows(read_path(tmp_path, "w.parquet", "wildchat"))
    assert row["created_at"] == when
    assert row["meta"] == {"toxic": False, "turns": [{"timestamp": "2024-01-02T03:04:05+00:00"}]}


@pytest.mark.parametrize(
    ("fields", "reason", "detail"),
    [
        ({"conversation": None}, "missing_field", "conversation: missing"),
        (
            {"conversation": [{"role": "tool", "content": "x"}]},
            "invalid_value",
            "conversation[0].role: unknown role",
        ),
        (
            {"timestamp": "yesterday"},
            "invalid_value",
            "timestamp: expected epoch seconds or an ISO 8601 timestamp",
        ),
        ({"hashed_ip": 5}, "wrong_type", "hashed_ip: expected a string, got int"),
        ({"model": ["gpt"]}, "wrong_type", "model: expected a string, got list"),
    ],
)
def test_wildchat_bad_records(tmp_path: Path, fields: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [wildchat(**fields)], "wildchat")
    [(line, got_reason, got_detail)] = rejects(read)
    assert (line, got_reason) == (1, reason)
    assert got_detail.startswith(detail)


def lmsys(**fields: Any) -> dict[str, Any]:
    record = {
        "conversation_id": "33f01939",
        "model": "vicuna-13b",
        "conversation": [{"content": "Bonjour", "role": "user"}, {"content": "Salut", "role": "assistant"}],
        "turn": 1,
        "language": "French",
        "openai_moderation": MODERATION,
        "redacted": True,
    }
    record.update(fields)
    return record


def test_lmsys(tmp_path: Path) -> None:
    read = read_records(tmp_path, [lmsys(), lmsys(conversation_id=None, language="Scots")], "auto")
    assert read.format == "lmsys"
    first, second = rows(read)
    assert roles(first) == [("user", "Bonjour"), ("assistant", "Salut")]
    assert (first["id"], first["model"], first["language"]) == ("33f01939", "vicuna-13b", "fr")
    assert first["meta"] == {"turn": 1, "openai_moderation": MODERATION, "redacted": True}
    assert len(second["id"]) == 24
    assert (second["language"], second["meta"]["language"]) == (None, "Scots")


def test_lmsys_bad_record(tmp_path: Path) -> None:
    read = read_records(tmp_path, [lmsys(conversation=[{"role": "user"}])], "lmsys")
    assert rejects(read) == [(1, "missing_field", "conversation[0].content: missing")]
