"""The preference reader: every layout gives rows that share the prompt and the group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reader_helpers import read_records, rejects, rows


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def bot(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def system(text: str) -> dict[str, str]:
    return {"role": "system", "content": text}


LAYOUTS = [
    pytest.param({"prompt": "Q", "chosen": "good", "rejected": "bad"}, [user("Q")], None, id="trl-explicit"),
    pytest.param(
        {"prompt": [system("S"), user("Q")], "chosen": [bot("good")], "rejected": [bot("bad")]},
        [system("S"), user("Q")],
        None,
        id="trl-explicit-messages",
    ),
    pytest.param(
        {"chosen": [user("Q"), bot("good")], "rejected": [user("Q"), bot("bad")]},
        [user("Q")],
        None,
        id="implicit",
    ),
    pytest.param(
        {
            "chosen": [user("Q"), bot("A"), user("Q2"), bot("good")],
            "rejected": [user("Q"), bot("A"), user("Q2"), bot("bad")],
        },
        [user("Q"), bot("A"), user("Q2")],
        None,
        id="implicit-multi-turn",
    ),
    pytest.param(
        {
            "chosen": "\n\nHuman: Q\n\nAssistant: A\n\nHuman: Q2\n\nAssistant: good",
            "rejected": "\n\nHuman: Q\n\nAssistant: A\n\nHuman: Q2\n\nAssistant: bad",
        },
        [user("Q"), bot("A"), user("Q2")],
        None,
        id="hh-rlhf",
    ),
    pytest.param(
        {
            "conversations": [{"from": "human", "value": "Q"}],
            "chosen": {"from": "gpt", "value": "good"},
            "rejected": {"from": "gpt", "value": "bad"},
            "system": "S",
        },
        [system("S"), user("Q")],
        None,
        id="llama-factory",
    ),
    pytest.param(
        {"instruction": "Q", "input": "ctx", "chosen": "good", "rejected": "bad"},
        [user("Q\nctx")],
        None,
        id="llama-factory-alpaca",
    ),
    pytest.param(
        {
            "prompt": "Q",
            "prompt_id": "p1",
            "chosen": [user("Q"), bot("good")],
            "rejected": [user("Q"), bot("bad")],
            "score_chosen": 8.0,
            "score_rejected": 3.5,
        },
        [user("Q")],
        (8.0, 3.5),
        id="ultrafeedback-binarized",
    ),
    pytest.param(
        {
            "input": {"messages": [user("Q")]},
            "preferred_output": [bot("good")],
            "non_preferred_output": [bot("bad")],
        },
        [user("Q")],
        None,
        id="openai-preference",
    ),
]


@pytest.mark.parametrize(("record", "prompt", "scores"), LAYOUTS)
def test_layouts(
    tmp_path: Path, record: dict[str, Any], prompt: list[dict[str, str]], scores: tuple[float, float] | None
) -> None:
    read = read_records(tmp_path, [record], "auto")
    assert read.format == "preference"
    chosen, rejected = rows(read)
    assert chosen["messages"] == [*prompt, bot("good")]
    assert rejected["messages"] == [*prompt, bot("bad")]
    assert chosen["group"] == rejected["group"]
    assert (chosen["id"], rejected["id"]) == (f"{chosen['group']}:chosen", f"{chosen['group']}:rejected")
    assert (chosen["signal"]["label"], rejected["signal"]["label"]) == ("chosen", "rejected")
    assert (chosen["signal"]["score"], rejected["signal"]["score"]) == (scores or (None, None))


@pytest.mark.parametrize(
    ("fields", "scores", "models"),
    [
        ({"score_chosen": 8, "score_rejected": 3.5}, (8.0, 3.5), (None, None)),
        ({"chosen_rating": "5", "rejected_rating": 2}, (5.0, 2.0), (None, None)),
        # argilla's UltraFeedback layouts
        (
            {"chosen-rating": 5, "rejected-rating": 5, "chosen-model": "m1", "rejected-model": "m2"},
            (5.0, 5.0),
            ("m1", "m2"),
        ),
        # the text at the top level, the rest under `metadata`
        ({"metadata": {"score_chosen": 9.0, "score_rejected": 9.0}}, (9.0, 9.0), (None, None)),
        ({"metadata": {"chosen_model": "m1", "chosen_score": 7}}, (7.0, None), ("m1", None)),
        ({"score_chosen": 6, "metadata": {"score_chosen": 1, "score_rejected": 2}}, (6.0, 2.0), (None, None)),
    ],
)
def test_scores_and_models_where_layouts_put_them(
    tmp_path: Path,
    fields: dict[str, Any],
    scores: tuple[float | None, float | None],
    models: tuple[str | None, str | None],
) -> None:
    record = {"prompt": "Q", "chosen": "good", "rejected": "bad", **fields}
    chosen, rejected = rows(read_records(tmp_path, [record], "preference"))
    assert (chosen["signal"]["score"], rejected["signal"]["score"]) == scores
    assert (chosen["model"], rejected["model"]) == models


def test_a_bad_score_under_metadata_is_named(tmp_path: Path) -> None:
    record = {"prompt": "Q", "chosen": "good", "rejected": "bad", "metadata": {"score_rejected": "low"}}
    read = read_records(tmp_path, [record], "preference")
    assert rejects(read) == [(1, "wrong_type", "metadata.score_rejected: expected a number, got str")]


def test_one_rated_answer_with_its_score_under_metadata(tmp_path: Path) -> None:
    record = {"prompt": "Q", "response": "r", "metadata": {"rating": 3}}
    (row,) = rows(read_records(tmp_path, [record], "preference"))
    assert row["signal"]["score"] == 3.0


def test_own_ids_models_and_meta(tmp_path: Path) -> None:
    record = {
        "id": 12,
        "prompt": "Q",
        "chosen": "good",
        "rejected": "bad",
        "chosen_model": "m1",
        "rejected_model": "m2",
        "source": "evol",
    }
    chosen, rejected = rows(read_records(tmp_path, [record], "preference"))
    assert (chosen["id"], chosen["group"]) == ("12:chosen", "12")
    assert (chosen["model"], rejected["model"]) == ("m1", "m2")
    assert chosen["meta"] == rejected["meta"] == {"source": "evol"}


def test_different_pairs_get_different_groups(tmp_path: Path) -> None:
    records = [
        {"prompt": "Q", "chosen": "good", "rejected": "bad"},
        {"prompt": "Q", "chosen": "good", "rejected": "worse"},
    ]
    groups = [row["group"] for row in rows(read_records(tmp_path, records, "preference"))]
    assert groups[0] == groups[1] != groups[2] == groups[3]


def test_ultrafeedback_completions(tmp_path: Path) -> None:
    record = {
        "source": "evol_instruct",
        "instruction": "Q",
        "models": ["m1", "m2", "m3"],
        "completions": [
            {"model": "m1", "response": "r1", "overall_score": 7.5, "critique": "fine"},
            {"model": "m2", "response": "r2", "fine-grained_score": 4.25},
            {
                "model": "m3",
                "response": "r3",
                "annotations": {
                    "helpfulness": {"Rating": "4", "Rationale": "..."},
                    "honesty": {"Rating": "N/A"},
                    "truthfulness": {"Rating": "2"},
                },
            },
        ],
    }
    read = read_records(tmp_path, [record], "auto")
    assert read.format == "preference"
    found = rows(read)
    assert [row["messages"] for row in found] == [[user("Q"), bot(f"r{i}")] for i in (1, 2, 3)]
    assert [row["signal"]["score"] for row in found] == [7.5, 4.25, 3.0]
    assert [row["model"] for row in found] == ["m1", "m2", "m3"]
    assert len({row["group"] for row in found}) == 1
    assert [row["id"] for row in found] == [f"{found[0]['group']}:{i}" for i in range(3)]
    assert found[0]["meta"] == {"source": "evol_instruct", "models": ["m1", "m2", "m3"], "critique": "fine"}
    assert found[2]["meta"]["annotations"]["honesty"] == {"Rating": "N/A"}


@pytest.mark.parametrize(
    ("bad", "reason", "detail"),
    [
        (
            {"chosen": [user("A"), bot("x")], "rejected": [user("B"), bot("y")]},
            "no_shared_prompt",
            "chosen, rejected: no user turn starts both sides",
        ),
        (
            {"chosen": [user("Q"), bot("x")], "rejected": [user("Q")]},
            "invalid_value",
            "rejected: no assistant turn after the shared prompt",
        ),
        (
            {"chosen": "Preamble\n\nHuman: Q\n\nAssistant: x", "rejected": "\n\nHuman: Q\n\nAssistant: y"},
            "invalid_value",
            "chosen: text before the first Human:/Assistant: marker",
        ),
        (
            {"prompt": "Q", "chosen": [bot("x")], "rejected": [user("y")]},
            "invalid_value",
            "rejected[0].role: an answer starts with an assistant turn",
        ),
        ({"prompt": "Q", "chosen": "x", "rejected": None}, "missing_field", "rejected: missing"),
        ({"prompt": "Q", "chosen": 3, "rejected": "y"}, "wrong_type", "chosen: expected a list, got int"),
        (
            {"prompt": "Q", "chosen": "x", "rejected": "y", "score_chosen": "high"},
            "wrong_type",
            "score_chosen: expected a number, got str",
        ),
        (
            {"instruction": "Q", "completions": []},
            "no_messages",
            "completions: the list of completions is empty",
        ),
        (
            {"instruction": "Q", "completions": [{"model": "m", "response": None}]},
            "missing_field",
            "completions[0].response: missing",
        ),
    ],
)
def test_bad_records(tmp_path: Path, bad: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [bad], "preference")
    assert read.frame.height == 0
    assert rejects(read) == [(1, reason, detail)]


def test_single_rated_answers_and_kto_labels(tmp_path: Path) -> None:
    records = [
        {"prompt": "Q", "response": "r1", "helpfulness": 3, "correctness": 4},
        {"prompt": "Q", "response": "r2", "helpfulness": 1, "correctness": 2},
        {"prompt": [user("Q")], "completion": [bot("c1")], "label": True, "prompt_id": "p"},
        {"prompt": "Q", "completion": "c2", "label": False, "score": 0.5, "id": "k2"},
    ]
    read = read_records(tmp_path, records, "auto")
    assert read.format == "preference"
    helpful, unhelpful, liked, disliked = rows(read)
    assert helpful["messages"] == [user("Q"), bot("r1")]
    assert helpful["meta"] == {"helpfulness": 3, "correctness": 4}
    assert (helpful["group"], helpful["signal"]["score"]) == (None, None)
    assert helpful["id"] != unhelpful["id"]
    assert (liked["messages"], liked["group"], liked["signal"]["thumbs"]) == (
        [user("Q"), bot("c1")],
        "p",
        "up",
    )
    assert (disliked["id"], disliked["signal"]["thumbs"], disliked["signal"]["score"]) == ("k2", "down", 0.5)


@pytest.mark.parametrize(
    ("bad", "reason", "detail"),
    [
        ({"prompt": None, "response": "r"}, "missing_field", "prompt: missing"),
        ({"prompt": "Q", "response": 5}, "wrong_type", "response: expected a string, got int"),
        (
            {"prompt": "Q", "completion": [user("x")], "label": True},
            "invalid_value",
            "completion[0].role: an answer starts with an assistant turn",
        ),
        (
            {"prompt": "Q", "completion": "c", "label": "yes"},
            "wrong_type",
            "label: expected a boolean, got str",
        ),
    ],
)
def test_bad_single_answers(tmp_path: Path, bad: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [bad], "preference")
    assert rejects(read) == [(1, reason, detail)]
