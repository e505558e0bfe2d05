"""Hostile records: whatever one record holds, it is a read reject naming file, line and reason,
and the records around it are read."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from curate import registry
from tests.reader_helpers import oasst, read_path, rejects, rows, write_jsonl

TURNS = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
GOOD = {"id": "good", "messages": TURNS}


PROMPT = oasst("P", None, "prompter")


@pytest.mark.parametrize(
    ("rank", "detail"),
    [
        (float("nan"), "rank: expected a finite whole number"),
        (float("inf"), "rank: expected a finite whole number"),
        (1.5, "rank: expected a whole number"),
    ],
)
def test_an_oasst_rank_that_is_no_whole_number_rejects_its_message(
    tmp_path: Path, rank: float, detail: str
) -> None:
    # Parquet carries NaN and infinity, which JSON cannot.
    messages = [
        PROMPT | {"rank": None},
        oasst("A", "P", "assistant", rank=rank),
        oasst("B", "P", "assistant"),
    ]
    pl.DataFrame(messages).write_parquet(tmp_path / "x.parquet")
    read = read_path(tmp_path, "x.parquet", "oasst")
    assert read.frame["id"].to_list() == ["B"]
    assert rejects(read) == [(2, "invalid_value" if rank != 1.5 else "wrong_type", detail)]


def test_an_oasst_rank_beyond_64_bits_is_a_reject_not_a_null(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "x.jsonl", [PROMPT, oasst("A", "P", "assistant", rank=2**64 - 1)])
    read = read_path(tmp_path, "x.jsonl", "oasst")
    assert rejects(read) == [
        (1, "unanswered", "message_id: no assistant message answers this prompt"),
        (2, "invalid_value", "rank: out of the 64-bit range"),
    ]


@pytest.mark.parametrize(
    "emojis",
    [
        {"name": [["+1"]], "count": [3]},
        {"name": ["+1"], "count": [[3]]},
        {"name": ["+1", "-1"], "count": [True, 1]},
        {"+1": "many"},
    ],
)
def test_oasst_emojis_of_the_wrong_shape_are_no_evidence(tmp_path: Path, emojis: dict[str, Any]) -> None:
    pl.DataFrame([PROMPT], schema_overrides={"parent_id": pl.String}).write_parquet(tmp_path / "p.parquet")
    (tmp_path / "a.jsonl").write_text(json.dumps(oasst("A", "P", "assistant", emojis=emojis)) + "\n")
    read = read_path(tmp_path, "*.*", "oasst")
    assert [row["signal"]["thumbs"] for row in rows(read)] == [None]
    assert rejects(read) == []


def test_a_long_oasst_chain_is_read_in_linear_time_and_memory(tmp_path: Path) -> None:
    roles = ["prompter", "assistant"]
    chain = [oasst(f"m{i}", f"m{i - 1}" if i else None, roles[i % 2]) for i in range(4000)]
    write_jsonl(tmp_path / "chain.jsonl", chain)
    tracemalloc.start()
    started = time.monotonic()
    read = read_path(tmp_path, "chain.jsonl", "oasst")
    seconds = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert read.frame.height == 50  # the assistant messages of the first 100 (max_depth)
    assert max(len(m) for m in read.frame["messages"].to_list()) == 100
    assert read.reasons == {"too_deep": 3900}
    assert read.rejects["detail"][0] == "parent_id: a path holds more than max_depth 100 messages"
    assert seconds < 10
    assert peak < 200 * 2**20  # 3.6 GB before the cap


def test_max_depth_is_an_option_of_the_oasst_input(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "x.jsonl", [PROMPT, oasst("A", "P", "assistant"), oasst("Q", "A", "prompter")])
    read = read_path(tmp_path, "x.jsonl", "oasst", options={"max_depth": 2})
    assert read.frame["id"].to_list() == ["A"]
    assert rejects(read) == [(3, "too_deep", "parent_id: a path holds more than max_depth 2 messages")]


def test_a_nested_oasst_tree_deeper_than_max_depth_is_one_reject(tmp_path: Path) -> None:
    root: dict[str, Any] = PROMPT | {"replies": []}
    node = root
    for i in range(150):
        child = oasst(f"m{i}", None, "assistant" if i % 2 == 0 else "prompter") | {"replies": []}
        node["replies"].append(child)
        node = child
    shallow = PROMPT | {"replies": [oasst("A", None, "assistant")]}
    trees = [{"message_tree_id": "t", "prompt": root}, {"message_tree_id": "u", "prompt": shallow}]
    (tmp_path / "x.jsonl").write_text("\n".join(json.dumps(tree) for tree in trees))  # orjson stops at 254
    read = read_path(tmp_path, "x.jsonl", "oasst")
    assert read.frame["id"].to_list() == ["A"]
    assert rejects(read) == [(1, "too_deep", "prompt.replies: a path holds more than max_depth 100 messages")]


def test_html_nested_thousands_deep_is_too_deep_not_a_crash(tmp_path: Path) -> None:
    answer = "<div>" * 3000 + "deep" + "</div>" * 3000
    records = [
        {"id": "deep", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": answer}]},
        {
            "id": "ok",
            "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "<p>yo</p>"}],
        },
    ]
    write_jsonl(tmp_path / "x.jsonl", records)
    read = read_path(tmp_path, "x.jsonl", "sharegpt")
    assert read.frame["id"].to_list() == ["ok"]
    assert rejects(read) == [
        (1, "too_deep", "conversations[1].value: HTML nested too deeply to turn into Markdown")
    ]


@pytest.mark.parametrize(
    "element",
    [
        '{"id": "x", "score": ' + "9" * 5000 + "}",  # beyond Python's int parsing limit
        '{"id": "x", "deep": ' + "[" * 5000 + "]" * 5000 + "}",  # beyond the recursion limit
        '{"id": "x", "bad": tru}',  # a syntax error inside brackets that close
    ],
    ids=["5000-digits", "5000-deep", "syntax"],
)
def test_a_json_array_element_the_decoder_fails_on_costs_only_itself(tmp_path: Path, element: str) -> None:
    (tmp_path / "x.json").write_text(f"[{element},\n{json.dumps(GOOD)}]")
    read = read_path(tmp_path, "x.json", "openai")
    assert read.frame["id"].to_list() == ["good"]
    assert [(line, reason) for line, reason, _ in rejects(read)] == [(1, "invalid_json")]


@pytest.mark.parametrize(
    ("error", "reason", "detail"),
    [
        (ZeroDivisionError("x"), "invalid_record", "record: ZeroDivisionError while reading a openai record"),
        (OverflowError("x"), "invalid_record", "record: OverflowError while reading a openai record"),
        (RecursionError("x"), "too_deep", "record: nested too deeply to read as a openai record"),
    ],
)
def test_any_exception_of_a_reader_is_a_reject_of_that_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, reason: str, detail: str
) -> None:
    reader = registry.readers.get("openai")
    convert = reader.convert

    def failing(self: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
        if record["id"] == "bad":
            raise error
        return convert(self, record)

    monkeypatch.setattr(reader, "convert", failing)
    write_jsonl(tmp_path / "x.jsonl", [GOOD | {"id": "bad"}, GOOD])
    read = read_path(tmp_path, "x.jsonl", "openai")
    assert read.frame["id"].to_list() == ["good"]
    assert rejects(read) == [(1, reason, detail)]


def test_a_row_that_does_not_fit_the_columns_costs_only_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = registry.readers.get("openai")
    convert = reader.convert

    def odd(self: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
        found = convert(self, record)
        if record["id"] == "bad":
            found[0]["created_at"] = "not a time"
        return found

    monkeypatch.setattr(reader, "convert", odd)
    write_jsonl(tmp_path / "x.jsonl", [GOOD | {"id": "a"}, GOOD | {"id": "bad"}, GOOD | {"id": "b"}])
    read = read_path(tmp_path, "x.jsonl", "openai")
    assert read.frame["id"].to_list() == ["a", "b"]
    assert [(line, reason) for line, reason, _ in rejects(read)] == [(2, "invalid_value")]
