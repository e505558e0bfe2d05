"""Fuzzing the readers: a valid record of each format, mutated (a value swapped for one of
another type, NaN, infinity, a huge number, a lone surrogate, deep nesting, control
characters; a key removed; the text cut short), never makes an exception escape, and every
record written is counted once, kept or rejected with a declared reason."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate import schema
from curate.readers import READ_REASONS
from tests.reader_helpers import read_path

TURNS = [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "<p>Hello <b>you</b></p>"}]
SEEDS: dict[str, list[dict[str, Any]]] = {
    "sharegpt": [
        {
            "id": "s1",
            "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "<p>Yo</p>"}],
        }
    ],
    "wildchat": [
        {
            "conversation_hash": "w1",
            "model": "gpt-4",
            "timestamp": "2024-03-01T03:16:00+00:00",
            "conversation": [t | {"language": "English", "hashed_ip": "ab", "toxic": False} for t in TURNS],
            "language": "English",
            "toxic": False,
            "redacted": False,
        }
    ],
    "lmsys": [
        {"conversation_id": "l1", "model": "vicuna", "conversation": TURNS, "language": "English", "turn": 1}
    ],
    "arena": [
        {
            "question_id": "q1",
            "model_a": "a",
            "model_b": "b",
            "winner": "model_a",
            "conversation_a": TURNS,
            "conversation_b": TURNS,
            "tstamp": 1700000000,
        }
    ],
    "oasst": [
        {"message_id": "p", "parent_id": None, "role": "prompter", "text": "Hi", "lang": "en"},
        {
            "message_id": "a",
            "parent_id": "p",
            "role": "assistant",
            "text": "Yo",
            "rank": 0,
            "emojis": {"name": ["+1"], "count": [2]},
            "created_date": "2023-02-05T14:23:50+00:00",
        },
        {
            "message_tree_id": "t",
            "prompt": {
                "message_id": "q",
                "role": "prompter",
                "text": "Hi",
                "replies": [{"message_id": "r", "role": "assistant", "text": "Yo", "rank": 1}],
            },
        },
    ],
    "openai": [
        {
            "id": "o1",
            "model": "gpt-4o",
            "created": 1700000000,
            "messages": [
                TURNS[0],
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "c", "function": {"name": "f"}}],
                },
                {"role": "tool", "tool_call_id": "c", "content": "42"},
                TURNS[1],
            ],
            "metadata": {"thumbs": "up", "rating": 4},
        }
    ],
    "preference": [
        {"prompt": "Hi", "chosen": "Hello", "rejected": "Go away", "score_chosen": 8, "score_rejected": 2},
        {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello", "rejected": "\n\nHuman: Hi\n\nAssistant: No"},
        {
            "instruction": "Hi",
            "completions": [
                {"model": "m", "response": "A", "overall_score": 9},
                {"response": "B", "overall_score": 3},
            ],
        },
    ],
}

DEEP = "__deep__"
HUGE = "__huge__"
"""Placeholders for what cannot be built as Python values and dumped: nesting 3,000 deep and a
number of 5,000 digits; they are put into the text in their place."""
ODD_VALUES = st.sampled_from(
    [
        None,
        True,
        0,
        -1,
        1.5,
        float("nan"),
        float("inf"),
        float("-inf"),
        2**64,
        -(2**63) - 1,
        10**400,
        HUGE,
        "",
        [],
        {},
        [[[]]],
        [["+1"]],
        {"name": [["+1"]], "count": [[1]]},
        DEEP,
    ]
)
ODD_TEXTS = st.sampled_from(
    [
        "\ud83d",  # half a surrogate pair
        "a\x00b\nc\r\x1b",
        "<div>" * 3000 + "x" + "</div>" * 3000,
        "<p>" + "<ul><li>" * 400 + "x",
        "\u202e\u200b\ufeff" * 50,
        "x" * 100_000,
    ]
)


@st.composite
def mutated(draw: st.DrawFn, record: Any) -> Any:
    """``record`` with one of its values (any, at any depth) changed or removed."""
    record = json.loads(json.dumps(record))
    places: list[tuple[Any, Any]] = []
    nodes = [record]
    while nodes:
        node = nodes.pop()
        children = (
            node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        )
        for key, child in children:
            places.append((node, key))
            nodes.append(child)
    if not places or draw(st.integers(0, 9)) == 0:
        return draw(ODD_VALUES)
    parent, key = draw(st.sampled_from(places))
    if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
        del parent[key]
    elif isinstance(parent[key], str) and draw(st.booleans()):
        parent[key] = draw(ODD_TEXTS)
    else:
        parent[key] = draw(ODD_VALUES)
    return record


def dumped(value: Any, ascii_only: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only)
    text = text.replace(json.dumps(DEEP), "[" * 3000 + "]" * 3000).replace(json.dumps(HUGE), "9" * 5000)
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate written raw is invalid UTF-8


@st.composite
def damaged_file(draw: st.DrawFn, format: str) -> tuple[str, bytes, int | None]:
    """A file name, its bytes and how many records it holds (``None``: cut short, unknown)."""
    seeds = SEEDS[format]
    records = [draw(mutated(seed)) if draw(st.booleans()) else seed for seed in seeds]
    ascii_only = draw(st.booleans())
    if draw(st.booleans()):
        name, data = "x.jsonl", b"\n".join(dumped(record, ascii_only) for record in records)
    else:
        name, data = "x.json", b"[" + b",\n".join(dumped(record, ascii_only) for record in records) + b"]"
    if len(data) > 1 and draw(st.integers(0, 4)) == 0:
        return name, data[: draw(st.integers(1, len(data) - 1))], None
    return name, data, len(records)


def check(format: str, name: str, data: bytes, written: int | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_bytes(data)
        read = read_path(Path(folder), name, format, license="MIT")
    assert set(read.reasons) <= set(READ_REASONS)
    assert read.rejects.height <= read.records
    if written is not None and name.endswith(".jsonl"):
        assert read.records == written
    if (
        written is not None
        and name.endswith(".json")
        and not read.rejects.filter(
            read.rejects["detail"].str.contains("nothing after it can be read")
        ).height
    ):
        assert read.records == written
    assert dict(read.frame.schema) == schema.CONVERSATION
    assert read.frame["id"].n_unique() == read.frame.height
    if read.rejects.height == 0 and read.records:
        assert read.frame.height > 0  # a record neither rejected nor turned into rows was lost


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.data())
def test_sharegpt(data: st.DataObject) -> None:
    check("sharegpt", *data.draw(damaged_file("sharegpt")))


@FUZZ
@given(st.data())
def test_wildchat(data: st.DataObject) -> None:
    check("wildchat", *data.draw(damaged_file("wildchat")))


@FUZZ
@given(st.data())
def test_lmsys(data: st.DataObject) -> None:
    check("lmsys", *data.draw(damaged_file("lmsys")))


@FUZZ
@given(st.data())
def test_arena(data: st.DataObject) -> None:
    check("arena", *data.draw(damaged_file("arena")))


@FUZZ
@given(st.data())
def test_oasst(data: st.DataObject) -> None:
    check("oasst", *data.draw(damaged_file("oasst")))


@FUZZ
@given(st.data())
def test_openai(data: st.DataObject) -> None:
    check("openai", *data.draw(damaged_file("openai")))


@FUZZ
@given(st.data())
def test_preference(data: st.DataObject) -> None:
    check("preference", *data.draw(damaged_file("preference")))
