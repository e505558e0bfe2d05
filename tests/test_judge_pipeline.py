"""One-reply logs to pairs through a real loopback server: generate, judge, retries, cache, keys.

The server answers as ``tests.judge_support.referee`` does, but refuses the first sight of
some requests with a 429 and of others with a 500, so every run needs its retries.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import curate
from tests.chat_server import ChatServer, Reply
from tests.judge_support import GENERATOR_KEY, JUDGE_KEY, QUESTIONS, referee, set_keys, write_judged_pipeline


@pytest.fixture
def flaky_server(chat_server: ChatServer) -> tuple[ChatServer, Counter[int]]:
    refused: Counter[int] = Counter()

    def reply(body: dict[str, Any]) -> Reply:
        first = chat_server.times_seen(body) == 1
        bucket = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()[0] % 4
        if first and bucket < 2:
            status = 429 if bucket == 0 else 500
            refused[status] += 1
            return Reply(status=status, headers={"Retry-After": "0"} if status == 429 else {})
        return referee(body)

    chat_server.reply = reply
    return chat_server, refused


def run(folder: Path, out: str) -> curate.RunResult:
    return curate.Pipeline.from_yaml(folder / "pipeline.yaml").run(output_dir=folder / out)


def test_single_reply_logs_end_in_judged_pairs_and_a_rerun_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flaky_server: tuple[ChatServer, Counter[int]]
) -> None:
    server, refused = flaky_server
    set_keys(monkeypatch, tmp_path)
    write_judged_pipeline(tmp_path, server.url)
    result = run(tmp_path, "out")

    # Pairs came out of logs that hold one reply per prompt; the judge's favourite is chosen.
    pairs = pl.concat([result.splits()["train"], result.splits()["test"]])
    assert pairs.height == len(QUESTIONS)
    assert all("thorough" in side[0]["content"].lower() for side in pairs["chosen"])
    assert not any("thorough" in side[0]["content"].lower() for side in pairs["rejected"])
    assert set(pairs["judge"]) == {"gpt-4o"} and set(pairs["strategy"]) == {"judge"}
    garbled = result.rejects_of("pairs").filter(pl.col("id") == "log-2")
    assert garbled["reason"].to_list() == ["judge_unparsed"]

    # 429 and 500 answers were retried: every request ended in an answer.
    assert refused[429] > 0 and refused[500] > 0
    assert result.rejects_of("generate").is_empty()
    assert "judge_failed" not in set(result.rejects_of("pairs")["reason"])

    # The keys went to the server as bearer tokens.
    assert {f"Bearer {GENERATOR_KEY}", f"Bearer {JUDGE_KEY}"} == set(server.authorizations)

    # A second run into another folder sends no request and writes the same files.
    sent = len(server.requests)
    run(tmp_path, "again")
    assert len(server.requests) == sent
    for path in sorted((tmp_path / "out").rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            twin = tmp_path / "again" / path.relative_to(tmp_path / "out")
            assert path.read_bytes() == twin.read_bytes(), path.name

    # The keys are in no file: output folders, rejects, manifest, card, cache.
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.suffix == ".sqlite3" for path in written)
    for path in written:
        data = path.read_bytes()
        assert GENERATOR_KEY.encode() not in data and JUDGE_KEY.encode() not in data, path


def test_the_judge_and_the_generators_are_in_the_manifest_and_the_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chat_server: ChatServer
) -> None:
    chat_server.reply = referee
    set_keys(monkeypatch, tmp_path)
    write_judged_pipeline(tmp_path, chat_server.url)
    result = run(tmp_path, "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    stages = {stage["name"]: stage for stage in manifest["stages"]}
    generated = stages["generate"]["report"]
    assert (generated["conversations"], generated["prompts"], generated["candidates"]) == (6, 6, 24)
    assert [(m["model"], m["requests"], m["completions"]) for m in generated["models"]] == [
        ("strong-olmo", 6, 6),
        ("weak-olmo", 12, 12),
    ]
    judged = stages["pairs"]["report"]
    assert (judged["judge_model"], judged["judge_terms"], judged["judge_requests"]) == (
        "gpt-4o",
        "openai",
        72,
    )
    license = manifest["license"]
    assert license["use"] == "noncommercial"
    assert [(t["provider"], t["rows"]) for t in license["terms"]] == [("openai", result.output.height)]
    assert any(step.startswith("The judge gpt-4o chose the sides of") for step in license["derivation"])
    card = (tmp_path / "out" / "README.md").read_text()
    assert "The judge gpt-4o chose the sides of 6 rows" in card
    assert "| judge requests | 72 |" in card and "| strong-olmo |" in card
    assert "| `judge` | the judge model (or reward model) whose verdicts chose the sides" in card
