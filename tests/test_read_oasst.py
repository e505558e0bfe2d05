"""The oasst reader: paths from the root to each reply, flat rows and nested trees alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import curate
from tests.reader_helpers import read_path, read_records, rejects, roles, rows, write_jsonl


def message(identifier: str, parent: str | None, role: str, **fields: Any) -> dict[str, Any]:
    return {
        "message_id": identifier,
        "parent_id": parent,
        "user_id": f"user-{identifier}",
        "created_date": "2023-02-05T14:23:50.983374+00:00",
        "text": f"text of {identifier}",
        "role": role,
        "lang": "en",
        "review_count": 3,
        "review_result": True,
        "deleted": False,
        "rank": None,
        "synthetic": False,
        "model_name": None,
        "emojis": None,
        "labels": None,
        "message_tree_id": "T1",
        "tree_state": "ready_for_export",
        **fields,
    }


FLAT = [
    message("P1", None, "prompter"),
    message(
        "A1", "P1", "assistant", rank=0, emojis={"name": ["+1", "-1", "_skip_labeling"], "count": [3, 1, 2]}
    ),
    message(
        "A2", "P1", "assistant", rank=1, emojis={"name": ["-1"], "count": [2]}, deleted=True, lang="pt-BR"
    ),
    message("A3", "P2", "assistant", model_name="llama-30b"),  # before its parent: order does not matter
    message("P2", "A1", "prompter"),
    message("P3", "A2", "prompter"),  # no reply answers it
    message("O1", "gone", "assistant"),  # its parent is not in the input
    message("O2", "O1", "prompter"),
    message("R", None, "assistant"),  # a tree cannot start with an assistant
    message("P4", None, "prompter"),  # a lone prompt
]
EXPECTED_REJECTS = [
    (6, "unanswered", "message_id: no assistant message answers this prompt"),
    (7, "orphan", "parent_id: parent message gone is not among the messages read"),
    (8, "orphan", "parent_id: ancestor message O1 has no path to a root prompt"),
    (9, "invalid_value", "role: a tree must start with a prompter message"),
    (10, "unanswered", "message_id: no assistant message answers this prompt"),
]


def check_rows(found: list[dict[str, Any]]) -> None:
    assert [row["id"] for row in found] == ["A1", "A2", "A3"]
    a1, a2, a3 = found
    assert roles(a1) == [("user", "text of P1"), ("assistant", "text of A1")]
    assert [m["content"] for m in a3["messages"]] == ["text of P1", "text of A1", "text of P2", "text of A3"]
    assert [m["role"] for m in a3["messages"]] == ["user", "assistant", "user", "assistant"]
    assert (a1["group"], a2["group"], a3["group"]) == ("P1", "P1", "P2")
    assert [row["signal"]["rank"] for row in found] == [0, 1, None]
    assert [row["signal"]["thumbs"] for row in found] == ["up", "down", None]
    assert (a1["user"], a3["model"], a1["model"]) == ("user-A1", "llama-30b", None)
    assert (a1["language"], a2["language"], a2["meta"]["lang"]) == ("en", "pt", "pt-BR")
    assert "lang" not in a1["meta"]
    assert a1["created_at"] == datetime(2023, 2, 5, 14, 23, 50, 983374, tzinfo=UTC)
    assert (a1["meta"]["deleted"], a2["meta"]["deleted"]) == (False, True)
    assert a1["meta"]["review_result"] is True
    assert [turn["message_id"] for turn in a3["meta"]["turns"]] == ["P1", "A1", "P2", "A3"]
    assert a3["meta"]["turns"][0]["user_id"] == "user-P1"


def test_flat_rows_build_paths_after_the_last_record(tmp_path: Path) -> None:
    read = read_records(tmp_path, FLAT, "auto")
    assert read.format == "oasst"
    check_rows(rows(read))
    assert rejects(read) == EXPECTED_REJECTS
    assert read.records == 10
    assert read.rejects["file"].to_list() == ["in.jsonl"] * 5
    assert read.rejects["raw"][0].startswith('{"message_id":"P3"')


def test_a_tree_split_over_files_is_read_as_one(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    write_jsonl(tmp_path / "parts" / "1.jsonl", FLAT[3:])
    write_jsonl(tmp_path / "parts" / "2.jsonl", FLAT[:3])
    read = read_path(tmp_path, "parts", "oasst")
    assert sorted(row["id"] for row in rows(read)) == ["A1", "A2", "A3"]
    assert list(read.rejects.select("file", "line", "reason").iter_rows()) == [
        ("parts/1.jsonl", line - 3, reason) for line, reason, _ in EXPECTED_REJECTS
    ]


def test_strict_names_the_orphan(tmp_path: Path) -> None:
    with pytest.raises(curate.InputError, match=r"^in\.jsonl:6: unanswered: "):
        read_records(tmp_path, FLAT, "oasst", strict=True)


def nested(node: dict[str, Any], children: dict[str | None, list[dict[str, Any]]]) -> dict[str, Any]:
    replies = [nested(child, children) for child in children.get(node["message_id"], [])]
    out = {key: value for key, value in node.items() if key != "parent_id"}
    if isinstance(out["emojis"], dict):
        out["emojis"] = dict(zip(out["emojis"]["name"], out["emojis"]["count"], strict=True))
    return {**out, "replies": replies}


def test_nested_trees(tmp_path: Path) -> None:
    children: dict[str | None, list[dict[str, Any]]] = {}
    for node in FLAT[:6]:
        children.setdefault(node["parent_id"], []).append(node)
    tree = {"message_tree_id": "T1", "tree_state": "ready_for_export", "prompt": nested(FLAT[0], children)}
    lone = {"message_tree_id": "T2", "tree_state": "growing", "prompt": nested(FLAT[-1], children)}
    read = read_records(tmp_path, [tree, lone], "auto")
    assert read.format == "oasst"
    found = rows(read)
    # Depth first in export order: A1, then A1's subtree (A3), then A2.
    found.sort(key=lambda row: row["id"])
    check_rows(found)
    assert found[0]["meta"]["message_tree_id"] == "T1"
    assert "replies" not in found[0]["meta"]["turns"][0]
    assert rejects(read) == [(2, "unanswered", "prompt.replies: no assistant message answers the prompt")]


def test_root_messages_with_nested_replies(tmp_path: Path) -> None:
    """The layout with one root message per record, its replies nested under it."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for node in FLAT[:6]:
        children.setdefault(node["parent_id"], []).append(node)
    roots = [nested(FLAT[0], children), nested(FLAT[-1], children)]
    read = read_records(tmp_path, roots, "auto")
    assert read.format == "oasst"
    found = sorted(rows(read), key=lambda row: row["id"])
    check_rows(found)
    assert found[0]["meta"]["message_tree_id"] == "T1"
    assert "replies" not in found[0]["meta"]["turns"][0]
    assert rejects(read) == [(2, "unanswered", "replies: no assistant message answers the prompt")]


def test_a_root_message_with_a_bad_reply_names_it(tmp_path: Path) -> None:
    root = {**message("X", None, "prompter"), "replies": [{**message("Y", "X", "assistant"), "role": 3}]}
    read = read_records(tmp_path, [root], "oasst")
    assert rejects(read) == [(1, "wrong_type", "replies[0].role: expected a string, got int")]


@pytest.mark.parametrize(
    ("bad", "reason", "detail"),
    [
        (message("X", None, "bot"), "invalid_value", "role: expected prompter or assistant"),
        ({**message("X", None, "prompter"), "text": None}, "missing_field", "text: missing"),
        (
            {**message("X", None, "prompter"), "parent_id": 7},
            "wrong_type",
            "parent_id: expected a string, got int",
        ),
        (
            message("P1", None, "prompter"),
            "invalid_value",
            "message_id: repeats the id of an earlier message",
        ),
        (
            {"message_tree_id": "T", "prompt": {**message("X", None, "assistant"), "replies": []}},
            "invalid_value",
            "prompt.role: a tree must start with a prompter message",
        ),
        (
            {
                "message_tree_id": "T",
                "prompt": {**message("X", None, "prompter"), "replies": [{"text": "x"}]},
            },
            "missing_field",
            "prompt.replies[0].message_id: missing",
        ),
    ],
)
def test_bad_messages(tmp_path: Path, bad: dict[str, Any], reason: str, detail: str) -> None:
    read = read_records(tmp_path, [*FLAT[:2], bad], "oasst")
    assert [row["id"] for row in rows(read)] == ["A1"]
    assert rejects(read) == [(3, reason, detail)]


def test_a_loop_of_parents_is_refused(tmp_path: Path) -> None:
    looped = [message("X", "Y", "prompter"), message("Y", "X", "assistant"), message("Z", "Y", "prompter")]
    read = read_records(tmp_path, [*FLAT[:2], *looped], "oasst")
    assert [row["id"] for row in rows(read)] == ["A1"]
    assert rejects(read) == [
        (3, "orphan", "parent_id: the chain of parent messages loops"),
        (4, "orphan", "parent_id: the chain of parent messages loops"),
        (5, "orphan", "parent_id: ancestor message Y has no path to a root prompt"),
    ]


def test_a_flat_reply_whose_own_fields_are_bad_is_a_reject_not_a_crash(tmp_path: Path) -> None:
    bad = [
        message("A4", "P1", "assistant", created_date="yesterday"),
        message("A5", "P1", "assistant", rank="first"),
        message("A6", "P4", "assistant", model_name=7),  # the only reply to P4
        message("P4", None, "prompter"),
    ]
    read = read_records(tmp_path, [*FLAT[:2], *bad], "oasst")
    assert [row["id"] for row in rows(read)] == ["A1"]
    assert rejects(read) == [
        (3, "invalid_value", "created_date: expected epoch seconds or an ISO 8601 timestamp"),
        (4, "wrong_type", "rank: expected a whole number"),
        (5, "wrong_type", "model_name: expected a string, got int"),
        (6, "unanswered", "message_id: no assistant message answers this prompt"),
    ]
    assert read.records == 6


def test_a_json_array_reads_huge_integers_as_json_lines_does(tmp_path: Path) -> None:
    # Both paths parse with orjson: an integer beyond 64 bits becomes a float, kept in meta.
    records = [*FLAT[:2], message("A4", "P1", "assistant", review_count=10**30)]
    (tmp_path / "in.json").write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]")
    read = read_path(tmp_path, "in.json", "oasst")
    assert [row["id"] for row in rows(read)] == ["A1", "A4"]
    assert rejects(read) == []
    assert json.loads(read.frame["meta"][1])["turns"][-1]["review_count"] == 1e30
