"""Conformance against real public samples (``../shared/data``; skipped when absent).

Each sample is read with ``format: auto`` through a pipeline file, exactly as a user would,
and checked against the sample's own content.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from curate.readers.transcripts import parse_transcript
from curate.record import InputRecord
from tests.helpers import run_pipeline


def read_sample(tmp_path: Path, sample: Path) -> tuple[str, list[dict], InputRecord]:
    """Run a pipeline without stages over ``sample``; the chosen format, the rows, the input's manifest."""
    result = run_pipeline(
        tmp_path,
        f"""
        name: sample
        inputs:
          - name: sample
            path: {sample}
            format: auto
        stages: []
        output:
          dir: out
        """,
    )
    [read] = result.manifest.inputs
    assert read.format_detected is True
    assert read.rejected == 0, read.reasons
    rows = result.output.to_dicts()
    for row in rows:
        row["meta"] = orjson.loads(row["meta"]) if row["meta"] else {}
    return read.format, rows, read


def test_fastchat_sharegpt(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "sharegpt" / "fastchat_dummy_conversation.json"
    fmt, rows, read = read_sample(tmp_path, path)
    source = json.loads(path.read_text())
    assert (fmt, read.records, len(rows)) == ("sharegpt", 500, 500)
    assert [row["id"] for row in rows] == [record["id"] for record in source]
    speaker = {"human": "user", "gpt": "assistant"}
    for row, record in zip(rows, source, strict=True):
        assert row["messages"] == [
            {"role": speaker[turn["from"]], "content": turn["value"]} for turn in record["conversations"]
        ]
    # Natural near-duplicates: only 52 distinct opening questions.
    assert len({row["messages"][0]["content"] for row in rows}) == 52


def test_llamafactory_dpo(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "preference" / "llamafactory_dpo_en_demo.json"
    fmt, rows, read = read_sample(tmp_path, path)
    source = json.loads(path.read_text())
    assert (fmt, read.records, len(rows)) == ("preference", 300, 600)
    role = {"human": "user", "gpt": "assistant", "system": "system"}
    for chosen, rejected, record in zip(rows[::2], rows[1::2], source, strict=True):
        prompt = [{"role": role[t["from"]], "content": t["value"]} for t in record["conversations"]]
        assert chosen["messages"] == [*prompt, {"role": "assistant", "content": record["chosen"]["value"]}]
        assert rejected["messages"] == [
            *prompt,
            {"role": "assistant", "content": record["rejected"]["value"]},
        ]
        assert chosen["group"] == rejected["group"]
        assert (chosen["signal"]["label"], rejected["signal"]["label"]) == ("chosen", "rejected")


def test_hh_rlhf_transcripts(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "preference" / "hh_rlhf_harmless_base_test.jsonl.gz"
    fmt, rows, read = read_sample(tmp_path, path)
    with gzip.open(path) as handle:
        source = [json.loads(line) for line in handle]
    assert (fmt, read.records, len(rows)) == ("preference", 2312, 4624)
    groups = Counter(row["group"] for row in rows)
    assert len(groups) == 2312 and set(groups.values()) == {2}
    for chosen, rejected, record in zip(rows[::2], rows[1::2], source, strict=True):
        assert chosen["group"] == rejected["group"]
        assert chosen["messages"] == parse_transcript(record["chosen"], "chosen")
        assert rejected["messages"] == parse_transcript(record["rejected"], "rejected")
        assert chosen["messages"][-1]["role"] == rejected["messages"][-1]["role"] == "assistant"
        assert chosen["messages"][-1] != rejected["messages"][-1]
        shared = _shared_prompt(chosen["messages"], rejected["messages"])
        assert shared and shared[-1]["role"] == "user"


def _shared_prompt(first: list[dict], second: list[dict]) -> list[dict]:
    shared = 0
    while shared < min(len(first), len(second)) and first[shared] == second[shared]:
        shared += 1
    return first[:shared]


def test_hh_rlhf_transcripts_lose_no_turn(shared_data: Path) -> None:
    with gzip.open(shared_data / "preference" / "hh_rlhf_harmless_base_test.jsonl.gz") as handle:
        for line in handle:
            for text in json.loads(line).values():
                messages = parse_transcript(text, "chosen")
                assert len(messages) == text.count("\n\nHuman:") + text.count("\n\nAssistant:")
                position = 0
                for message in messages:
                    found = text.find(message["content"], position)
                    assert found >= position
                    position = found + len(message["content"])
                assert position == len(text) or messages[-1]["content"] == ""


def test_wildchat_reshaped_sample(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "wildchat" / "convotopo_wildchat_50_sample.json"
    fmt, rows, read = read_sample(tmp_path, path)
    source = json.loads(path.read_text())
    assert (fmt, read.records, len(rows)) == ("wildchat", 50, 50)
    for row, record in zip(rows, source, strict=True):
        metadata = record["metadata"]
        assert row["id"] == record["id"]
        assert row["messages"] == [{"role": m["role"], "content": m["content"]} for m in record["messages"]]
        assert (row["model"], row["language"]) == (metadata["model"], "en")
        assert row["created_at"] == datetime.fromisoformat(metadata["timestamp"]).astimezone(UTC)
        assert (row["meta"]["toxic"], row["meta"]["redacted"]) == (metadata["toxic"], metadata["redacted"])
        assert row["meta"]["turn_count"] == metadata["turn_count"]
        pads = [m.get("pad") for m in record["messages"]]
        assert [turn.get("pad") for turn in row["meta"].get("turns", [{}] * len(pads))] == pads


@pytest.mark.parametrize("name", ["mt_bench_questions.jsonl", "arena_hard_v0.1_questions.jsonl"])
def test_question_sets_are_not_mistaken_for_conversations(
    tmp_path: Path, shared_data: Path, name: str
) -> None:
    import curate

    with pytest.raises(curate.InputError, match="format auto recognised none"):
        read_sample(tmp_path, shared_data / "evals" / name)
