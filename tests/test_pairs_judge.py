"""The judge strategy against a loopback server: verdicts both ways, ties, unparsed, scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

from curate.judging import parse_rating, parse_verdict
from curate.stages.base import StageOutput
from curate.stages.pairs import Pairs
from tests.chat_server import ChatServer, Reply
from tests.helpers import conversation, frame
from tests.judge_support import ANSWER, referee

GOOD = "A thorough answer: tides follow the moon's pull, twice a day."
LAZY = "Dunno."


@pytest.fixture
def judge_server(chat_server: ChatServer) -> ChatServer:
    chat_server.reply = referee
    return chat_server


def candidates(group: str, *replies: str, prompt: str = "How do tides work?") -> list[dict[str, Any]]:
    return [
        conversation(f"{group}-{n}", ("user", prompt), ("assistant", reply), group=group)
        for n, reply in enumerate(replies)
    ]


def judged(server: ChatServer, tmp: Path, rows: list[dict[str, Any]], **options: Any) -> StageOutput:
    judge = {"base_url": server.url, "model": "judge-model", "cache_dir": str(tmp / "cache"), "backoff": 0.01}
    limit = options.pop("max_per_prompt", 1)
    stage = Pairs.from_options(strategies=["judge"], judge={**judge, **options}, max_per_prompt=limit)
    return stage.process(frame(*rows))  # type: ignore[no-any-return]


def reasons(output: StageOutput) -> dict[str, str]:
    return dict(output.rejected.select("id", "reason").iter_rows())


def test_chosen_is_the_reply_the_judge_prefers_in_both_orders(
    judge_server: ChatServer, tmp_path: Path
) -> None:
    output = judged(judge_server, tmp_path, candidates("g", LAZY, GOOD))
    [pair] = output.kept.iter_rows(named=True)
    assert (pair["chosen_id"], pair["rejected_id"]) == ("g-1", "g-0")
    assert (pair["score_chosen"], pair["score_rejected"]) == (1.0, -1.0)
    assert (pair["strategy"], pair["judge"]) == ("judge", "judge-model")
    shown = [
        [text for _, text in ANSWER.findall(body["messages"][-1]["content"])]
        for body in judge_server.requests
    ]
    assert sorted(shown) == sorted([[LAZY, GOOD], [GOOD, LAZY]])
    assert judge_server.requests[0]["messages"][0]["role"] == "system"
    assert "[[A]]" in judge_server.requests[0]["messages"][0]["content"]
    assert judge_server.requests[0]["temperature"] == 0.0


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ((GOOD, GOOD + " BIAS"), {"g-0": "tie", "g-1": "tie"}),
        ((LAZY, "Also lazy."), {"g-0": "tie", "g-1": "tie"}),
        ((GOOD, "GARBLE"), {"g-0": "judge_unparsed", "g-1": "judge_unparsed"}),
        ((GOOD, GOOD), {"g-0": "same_text", "g-1": "same_text"}),
    ],
    ids=["orders-disagree", "judge-says-tie", "malformed-answer", "same-text"],
)
def test_no_pair_without_one_verdict_both_ways(
    judge_server: ChatServer, tmp_path: Path, replies: tuple[str, ...], expected: dict[str, str]
) -> None:
    output = judged(judge_server, tmp_path, candidates("g", *replies))
    assert output.kept.is_empty()
    assert reasons(output) == expected


def test_a_failed_judge_request_is_judge_failed(judge_server: ChatServer, tmp_path: Path) -> None:
    judge_server.reply = lambda body: Reply(status=400) if "Second" in str(body) else referee(body)
    rows = candidates("g", GOOD, LAZY) + candidates("h", GOOD, "Second, lazy.", prompt="Other?")
    output = judged(judge_server, tmp_path, rows)
    assert output.kept["chosen_id"].to_list() == ["g-0"]
    assert reasons(output) == {"h-0": "judge_failed", "h-1": "judge_failed"}


def test_three_candidates_best_against_worst_first(judge_server: ChatServer, tmp_path: Path) -> None:
    rows = candidates("g", LAZY, GOOD, GOOD + " More detail.")
    one = judged(judge_server, tmp_path, rows)
    assert len(judge_server.requests) == 6
    assert one.kept.select("rejected_id", "score_rejected").row(0) == ("g-0", -2.0)
    assert one.kept["chosen_id"][0] in ("g-1", "g-2") and one.kept["score_chosen"][0] == 1.0
    assert reasons(one) == {({"g-1", "g-2"} - {one.kept["chosen_id"][0]}).pop(): "max_per_prompt"}
    every = judged(judge_server, tmp_path, rows, max_per_prompt=None)
    assert sorted(every.kept.select("chosen_id", "rejected_id").rows()) == [("g-1", "g-0"), ("g-2", "g-0")]
    assert len(judge_server.requests) == 6  # the cache answered the second stage


def test_score_mode_rates_each_reply_alone(judge_server: ChatServer, tmp_path: Path) -> None:
    rows = candidates("g", LAZY, GOOD, "GARBLE")
    output = judged(judge_server, tmp_path, rows, mode="score", pairing="best_rest")
    assert output.kept.select("chosen_id", "rejected_id", "score_chosen", "score_rejected").rows() == [
        ("g-1", "g-0", 9.0, 4.0)
    ]
    assert reasons(output) == {"g-2": "judge_unparsed"}
    assert len(judge_server.requests) == 3
    assert "[[5]]" in judge_server.requests[0]["messages"][0]["content"]


def test_min_margin_applies_to_the_scores(judge_server: ChatServer, tmp_path: Path) -> None:
    output = judged(judge_server, tmp_path, candidates("g", LAZY, GOOD), mode="score", min_margin=6)
    assert output.kept.is_empty() and set(reasons(output).values()) == {"tie"}


def test_a_template_from_the_pipeline_file_replaces_the_default(
    judge_server: ChatServer, tmp_path: Path
) -> None:
    template = {
        "system": "Judge. Literal braces: {{ok}}.",
        "user": "Q: {question}\n[The Start of Assistant's Answer]\n{answer}\n[The End of it]",
    }
    judged(judge_server, tmp_path, candidates("g", LAZY, GOOD), mode="score", templates=template)
    messages = judge_server.requests[0]["messages"]
    assert messages[0]["content"] == "Judge. Literal braces: {ok}."
    assert messages[1]["content"].startswith("Q: How do tides work?\n[The Start")


def test_the_report_counts_requests_tokens_and_failures(judge_server: ChatServer, tmp_path: Path) -> None:
    judge = {"base_url": judge_server.url, "model": "gpt-4o", "cache_dir": str(tmp_path)}
    stage = Pairs.from_options(strategies=["judge"], judge=judge)
    stage.process(frame(*candidates("g", LAZY, GOOD), *candidates("h", GOOD, "GARBLE", prompt="Other?")))
    report = stage.report().model_dump()
    assert {key: report[key] for key in report if key.startswith("judge")} == {
        "judge_model": "gpt-4o",
        "judge_mode": "pairwise",
        "judge_terms": "openai",
        "judge_requests": 4,
        "judge_prompt_tokens": report["judge_prompt_tokens"],
        "judge_completion_tokens": report["judge_completion_tokens"],
        "judge_unparsed": 2,
        "judge_failed": 0,
    }
    assert report["judge_prompt_tokens"] > 0 and report["judge_completion_tokens"] > 0


def test_judge_goes_last_as_other_evidence_decides_first(judge_server: ChatServer, tmp_path: Path) -> None:
    battle = [
        conversation("b-0", ("user", "Q?"), ("assistant", LAZY), group="b", signal={"outcome": "win"}),
        conversation("b-1", ("user", "Q?"), ("assistant", GOOD), group="b", signal={"outcome": "loss"}),
    ]
    judge = {"base_url": judge_server.url, "model": "m", "cache_dir": str(tmp_path)}
    stage = Pairs.from_options(strategies=["battle", "judge"], judge=judge)
    kept = stage.process(frame(*battle, *candidates("g", LAZY, GOOD))).kept
    assert kept.select("strategy", "chosen_id", "judge").rows() == [
        ("battle", "b-0", None),
        ("judge", "g-1", "m"),
    ]
    assert kept.columns[-2:] == ["judge", "_prompt_cluster"]


@pytest.mark.parametrize(
    ("judge", "message"),
    [
        ({}, "give the judge's `base_url` and `model`, or a local `reward_model`"),
        ({"base_url": "http://h/v1"}, "give the judge's `base_url` and `model`"),
        ({"base_url": "http://h/v1", "model": "m", "pairing": "all"}, "`pairing` applies to mode: score"),
        (
            {"base_url": "http://h/v1", "model": "m", "batch_size": 4},
            "batch_size apply to a reward_model only",
        ),
        ({"reward_model": ".", "model": "m"}, "a reward_model is local: drop model"),
        (
            {"base_url": "http://h/v1", "model": "m", "templates": {"user": "{question}"}},
            "must show the judge",
        ),
        (
            {
                "base_url": "http://h/v1",
                "model": "m",
                "mode": "score",
                "templates": {"user": "{question} {answer_a}"},
            },
            r"may use only \{answer\}, \{question\} in score mode",
        ),
        (
            {"base_url": "http://h/v1", "model": "m", "templates": {"system": "{question}", "user": "x"}},
            r"templates.system takes no placeholder \(found \{question\}\)",
        ),
        (
            {
                "base_url": "http://h/v1",
                "model": "m",
                "mode": "score",
                "templates": {"user": "{question!r} {answer}"},
            },
            "plainly",
        ),
        (
            {"base_url": "http://h/v1", "model": "m", "mode": "score", "templates": {"user": "{answer"}},
            "brace",
        ),
    ],
)
def test_judge_options_refuse_mistakes(judge: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Pairs.Options.model_validate({"strategies": ["judge"], "judge": judge})


def test_judge_needs_its_options() -> None:
    with pytest.raises(ValidationError, match="`judge` needs `judge:` options"):
        Pairs.Options.model_validate({"strategies": ["judge"]})


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("[[A]]", "A"),
        ("Explanation... Final verdict: [[B]]", "B"),
        ("[[C]]", "C"),
        ("[[ A ]] and again [[A]]", "A"),
        ("[[A]] no wait [[B]]", None),
        ("A is better", None),
        ("[A]", None),
        ("[[D]]", None),
        ("", None),
    ],
)
def test_parse_verdict_reads_one_verdict_or_none(text: str, verdict: str | None) -> None:
    assert parse_verdict(text) == verdict


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("Rating: [[7]]", 7.0),
        ("[[8.5]]", 8.5),
        ("[[10]] ... [[10]]", 10.0),
        ("[[1]]", 1.0),
        ("[[0]]", None),
        ("[[11]]", None),
        ("[[3]] or [[4]]", None),
        ("Rating: 7", None),
    ],
)
def test_parse_rating_reads_one_rating_from_1_to_10_or_none(text: str, rating: float | None) -> None:
    assert parse_rating(text) == rating


def test_the_judge_column_appears_only_when_judge_is_configured() -> None:
    rows = [
        conversation("a", ("user", "Q"), ("assistant", "x"), group="g", signal={"outcome": "win"}),
        conversation("b", ("user", "Q"), ("assistant", "y"), group="g", signal={"outcome": "loss"}),
    ]
    kept = Pairs.from_options(strategies=["battle"]).process(frame(*rows)).kept
    assert "judge" not in kept.columns and isinstance(kept, pl.DataFrame)
