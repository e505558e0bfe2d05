"""Property: conversations written in a format and read back keep their ids, roles and text."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.readers.markup import has_html
from tests.reader_helpers import read_path, write_json, write_jsonl

Conversation = tuple[str, list[dict[str, str]]]

texts = st.text(max_size=40).filter(lambda text: not has_html(text))
messages = st.lists(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant"]), "content": texts}),
    min_size=1,
    max_size=5,
)
conversations = st.lists(
    st.tuples(st.text("abcdefghijklmnopqrstuvwxyz0123456789-_:", min_size=1, max_size=12), messages),
    min_size=1,
    max_size=8,
    unique_by=lambda conversation: conversation[0],
)

SPEAKER = {"user": "human", "assistant": "gpt", "system": "system"}
WRITERS: dict[str, Callable[[Conversation], dict[str, Any]]] = {
    "sharegpt": lambda c: {
        "id": c[0],
        "conversations": [{"from": SPEAKER[m["role"]], "value": m["content"]} for m in c[1]],
    },
    "openai": lambda c: {"id": c[0], "messages": c[1]},
    "wildchat": lambda c: {"conversation_hash": c[0], "conversation": c[1], "model": "m", "toxic": False},
    "lmsys": lambda c: {"conversation_id": c[0], "conversation": c[1], "language": "English"},
}


def write(folder: Path, layout: str, records: list[dict[str, Any]]) -> str:
    if layout == "jsonl":
        write_jsonl(folder / "data.jsonl", records)
        return "data.jsonl"
    if layout == "json":
        write_json(folder / "data.json", records)
        return "data.json"
    pq.write_table(pa.Table.from_pylist(records), folder / "data.parquet")
    return "data.parquet"


@settings(max_examples=30, deadline=None)
@given(
    found=conversations,
    fmt=st.sampled_from(sorted(WRITERS)),
    layout=st.sampled_from(["jsonl", "json", "parquet"]),
    detect=st.booleans(),
)
def test_conversations_round_trip(found: list[Conversation], fmt: str, layout: str, detect: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), layout, [WRITERS[fmt](conversation) for conversation in found])
        read = read_path(Path(folder), path, "auto" if detect else fmt)
    assert read.format == fmt
    assert read.rejects.height == 0
    assert read.frame["id"].to_list() == [identifier for identifier, _ in found]
    assert read.frame["messages"].to_list() == [turns for _, turns in found]


@st.composite
def trees(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Flat OpenAssistant rows of one random tree, alternating prompter / assistant, shuffled."""
    size = draw(st.integers(1, 12))
    rows = [{"message_id": "m0", "parent_id": None, "role": "prompter", "text": draw(texts)}]
    for index in range(1, size):
        parent = rows[draw(st.integers(0, index - 1))]
        role = "assistant" if parent["role"] == "prompter" else "prompter"
        rows.append(
            {"message_id": f"m{index}", "parent_id": parent["message_id"], "role": role, "text": draw(texts)}
        )
    random.Random(draw(st.integers(0, 1000))).shuffle(rows)
    return rows


@settings(max_examples=40, deadline=None)
@given(rows=trees())
def test_oasst_paths_round_trip(rows: list[dict[str, Any]]) -> None:
    by_id = {row["message_id"]: row for row in rows}
    with tempfile.TemporaryDirectory() as folder:
        write_jsonl(Path(folder) / "t.jsonl", rows)
        read = read_path(Path(folder), "t.jsonl", "oasst")
    replies = [row for row in rows if row["role"] == "assistant"]
    assert read.frame["id"].to_list() == [row["message_id"] for row in replies]
    for reply, got in zip(replies, read.frame.to_dicts(), strict=True):
        path = [reply]
        while path[-1]["parent_id"] is not None:
            path.append(by_id[path[-1]["parent_id"]])
        role = {"prompter": "user", "assistant": "assistant"}
        assert got["messages"] == [{"role": role[m["role"]], "content": m["text"]} for m in reversed(path)]
        assert got["group"] == reply["parent_id"]
    # Every message is in some row's path, or rejected as an unanswered prompt.
    answered = {m["message_id"] for got in read.frame["meta"].to_list() for m in _turns(got)}
    unanswered = {row["message_id"] for row in rows} - answered
    assert read.rejects.height == len(unanswered)
    assert set(read.rejects["reason"]) <= {"unanswered"}


def _turns(meta: str) -> list[dict[str, Any]]:
    import orjson

    return list(orjson.loads(meta)["turns"])
