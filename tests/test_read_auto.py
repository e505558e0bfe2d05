"""``format: auto`` picks the right reader for every layout, and says so when it cannot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import curate
from curate import registry
from tests.reader_helpers import read_records

CHAT = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]
OASST = {"message_id": "m", "parent_id": None, "text": "Q", "role": "prompter", "lang": "en"}

LAYOUTS: list[tuple[str, dict[str, Any]]] = [
    (
        "sharegpt",
        {"id": "s", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]},
    ),
    ("openai", {"messages": CHAT}),
    ("openai", {"messages": CHAT, "metadata": {"thumbs": "up"}}),
    ("wildchat", {"conversation_hash": "h", "conversation": CHAT, "model": "gpt-4", "language": "English"}),
    ("wildchat", {"id": "w", "messages": CHAT, "metadata": {"model": "gpt-4", "toxic": False}}),
    ("wildchat", {"id": "w", "source": "wildchat", "messages": CHAT, "metadata": {}}),
    ("lmsys", {"conversation_id": "c", "model": "vicuna", "conversation": CHAT, "language": "English"}),
    (
        "arena",
        {
            "question_id": "q",
            "model_a": "x",
            "model_b": "y",
            "winner": "tie",
            "conversation_a": CHAT,
            "conversation_b": CHAT,
        },
    ),
    ("oasst", OASST),
    ("oasst", {**OASST, "role": "assistant", "parent_id": "p"}),
    ("oasst", {"message_tree_id": "t", "tree_state": "ready_for_export", "prompt": {**OASST, "replies": []}}),
    ("preference", {"prompt": "Q", "chosen": "A", "rejected": "B"}),
    ("preference", {"chosen": "\n\nHuman: Q\n\nAssistant: A", "rejected": "\n\nHuman: Q\n\nAssistant: B"}),
    (
        "preference",
        {
            "conversations": [{"from": "human", "value": "Q"}],
            "chosen": {"from": "gpt", "value": "A"},
            "rejected": {"from": "gpt", "value": "B"},
        },
    ),
    (
        "preference",
        {
            "prompt": "Q",
            "prompt_id": "p",
            "chosen": CHAT,
            "rejected": CHAT,
            "messages": CHAT,
            "score_chosen": 9.0,
            "score_rejected": 1.0,
        },
    ),
    (
        "preference",
        {"instruction": "Q", "completions": [{"model": "m", "response": "A", "overall_score": 5}]},
    ),
    (
        "preference",
        {"input": {"messages": CHAT[:1]}, "preferred_output": CHAT[1:], "non_preferred_output": CHAT[1:]},
    ),
    ("preference", {"prompt": "Q", "response": "A", "helpfulness": 4}),
    ("preference", {"prompt": "Q", "completion": "A", "label": False}),
]


def test_every_format_is_registered() -> None:
    assert set(registry.readers.names()) >= {
        "sharegpt",
        "wildchat",
        "lmsys",
        "arena",
        "oasst",
        "openai",
        "preference",
    }


@pytest.mark.parametrize(
    ("expected", "record"), LAYOUTS, ids=[f"{i}-{name}" for i, (name, _) in enumerate(LAYOUTS)]
)
def test_auto_picks_the_reader(tmp_path: Path, expected: str, record: dict[str, Any]) -> None:
    read = read_records(tmp_path, [record], "auto")
    assert (read.format, read.detected) == (expected, True)


def test_a_few_malformed_records_do_not_change_the_choice(tmp_path: Path) -> None:
    good = {"conversation_id": "c", "conversation": CHAT}
    records: list[Any] = (
        [good] * 15 + [{"conversation_id": "x", "conversation": None}] * 3 + ["{broken"] * 4 + [good] * 5
    )
    read = read_records(tmp_path, records, "auto")
    assert read.format == "lmsys"
    assert read.records == 27
    assert read.reasons == {"invalid_json": 4, "missing_field": 3}


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (
            [{"question_id": 1, "turns": ["Q"]}],
            r"format auto recognised none of .* \(first records have keys question_id, turns\)",
        ),
        (["{broken", "[1]"], r"format auto found no readable record"),
    ],
)
def test_auto_says_when_it_cannot_tell(tmp_path: Path, records: list[Any], message: str) -> None:
    with pytest.raises(curate.InputError, match=message):
        read_records(tmp_path, records, "auto")
