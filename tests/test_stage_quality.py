"""The quality stage: turn and length bounds, source flags from meta, exact reasons."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from curate.stages.quality import Quality, QualityOptions
from curate.text.meta import FLAGS, UnreadableMetaError, flags_of
from tests.helpers import conversation, figures, frame

U, A, S = "user", "assistant", "system"


def judge(row: dict[str, Any], **options: Any) -> tuple[str | None, str | None]:
    judged = Quality.from_options(**options).judge(frame(row))
    return judged["reason"][0], judged["detail"][0]


def meta(**fields: Any) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize(
    ("turns", "options", "expected"),
    [
        ([(U, "hi"), (A, "hello")], {}, None),
        ([(U, "hi")], {}, "too_few_turns"),
        ([(S, "be brief"), (U, "hi")], {}, "too_few_turns"),
        ([(U, "hi")], {"min_turns": 1}, None),
        ([(U, "a"), (A, "b"), (U, "c"), (A, "d")], {"max_turns": 3}, "too_many_turns"),
        ([(S, "x"), (U, "a"), (A, "b")], {"max_turns": 2}, None),
        ([(U, ""), (A, "hello")], {}, "too_short:user"),
        ([(U, "hi"), (A, "")], {}, "too_short:assistant"),
        ([(U, "hi"), (A, "")], {"roles": ["user"]}, None),
        ([(S, ""), (U, "hi"), (A, "yo")], {}, None),
        ([(S, ""), (U, "hi"), (A, "yo")], {"roles": ["system"]}, "too_short:system"),
        ([(U, "hi"), (A, "hello")], {"min_chars": 3}, "too_short:user"),
        ([(U, "hey"), (A, "hello")], {"min_chars": 3}, None),
        ([(U, "hey"), (A, "hello")], {"max_chars": 4}, "too_long:assistant"),
        ([(U, "hey"), (A, "hello")], {"max_chars": 4, "roles": ["user"]}, None),
        ([(U, "héé"), (A, "日本語")], {"max_chars": 3}, None),
        ([(U, "a" * 9), (A, "")], {"max_chars": 5}, "too_long:user"),
        ([(U, "x")], {"max_chars": 5}, "too_few_turns"),
    ],
)
def test_size_bounds(turns: list[tuple[str, str]], options: dict[str, Any], expected: str | None) -> None:
    assert judge(conversation("c1", *turns), **options)[0] == expected


@pytest.mark.parametrize(
    ("row_meta", "options", "expected"),
    [
        (None, {}, None),
        (meta(toxic=False, redacted=False), {}, None),
        (meta(toxic=True), {}, "flagged:toxic"),
        (meta(toxic=True), {"drop_flagged": False}, None),
        (meta(toxic=True), {"drop_flagged": ["moderation"]}, None),
        (meta(openai_moderation=[{"flagged": False}, {"flagged": True}]), {}, "flagged:moderation"),
        (meta(openai_moderation=[{"flagged": False}, {"flagged": False}]), {}, None),
        (meta(openai_moderation={"flagged": True, "categories": {}}), {}, "flagged:moderation"),
        (meta(redacted=True), {}, None),
        (meta(redacted=True), {"drop_flagged": True}, "flagged:redacted"),
        (meta(redacted=True), {"drop_flagged": ["redacted"]}, "flagged:redacted"),
        (meta(deleted=True), {}, "flagged:deleted"),
        (meta(review_result=False), {}, "flagged:review"),
        (meta(review_result=None), {}, None),
        (meta(review_result=True), {}, None),
        (meta(turns=[{"deleted": False}, {"review_result": False}]), {}, "flagged:review"),
        (meta(toxic="true"), {}, None),
        ('not json, but says "toxic"', {}, None),
        (meta(note="toxic: true"), {}, None),
    ],
)
def test_flags(row_meta: str | None, options: dict[str, Any], expected: str | None) -> None:
    assert judge(conversation("c1", meta=row_meta), **options)[0] == expected


def test_flags_come_before_size_and_detail_lists_them_all() -> None:
    row = conversation(
        "c1", (U, "hi"), meta=meta(toxic=True, openai_moderation=[{"flagged": True}], deleted=True)
    )
    assert judge(row, min_turns=5) == ("flagged:toxic", "source flags: toxic, moderation, deleted")


@pytest.mark.parametrize(
    ("turns", "options", "detail"),
    [
        ([(U, "hi")], {}, "1 turns < 2"),
        ([(U, "a"), (A, "b"), (U, "c")], {"max_turns": 2}, "3 turns > 2"),
        ([(U, "hi"), (A, "hello")], {"max_chars": 4}, "message 1 (assistant) has 5 chars > 4"),
        ([(S, "s"), (U, "")], {"min_turns": 1}, "message 1 (user) has 0 chars < 1"),
    ],
)
def test_details(turns: list[tuple[str, str]], options: dict[str, Any], detail: str) -> None:
    assert judge(conversation("c1", *turns), **options)[1] == detail


def test_null_messages_and_content() -> None:
    rows = frame(
        conversation("c1", messages=None),
        conversation("c2", messages=[{"role": U, "content": None}, {"role": A, "content": "x"}]),
    )
    judged = Quality.from_options().judge(rows)
    assert judged["reason"].to_list() == ["too_few_turns", "too_short:user"]


def test_report_counts_flags_and_unreadable_meta() -> None:
    stage = Quality.from_options(drop_flagged=True)
    stage(
        frame(
            conversation("c1", meta=meta(toxic=True, redacted=True)),
            conversation("c2", meta=meta(redacted=True)),
            conversation("c3", meta='{"toxic": tru'),
            conversation("c4"),
        )
    )
    assert figures(stage) == {"flag_redacted": 2, "flag_toxic": 1, "meta_unreadable": 1}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_turns": 3, "max_turns": 2}, "max_turns (2) is below min_turns (3)"),
        ({"min_chars": 10, "max_chars": 5}, "max_chars (5) is below min_chars (10)"),
        (
            {"drop_flagged": ["nsfw"]},
            "Input should be 'toxic', 'moderation', 'redacted', 'deleted' or 'review'",
        ),
        ({"min_turns": -1}, "greater than or equal to 0"),
        ({"roles": []}, "at least 1 item"),
        ({"min_words": 3}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        QualityOptions.model_validate(options)


@pytest.mark.parametrize(
    ("drop_flagged", "flags"),
    [(True, FLAGS), (False, ()), (["review", "toxic"], ("toxic", "review"))],
)
def test_flag_choice(drop_flagged: bool | list[str], flags: tuple[str, ...]) -> None:
    assert QualityOptions.model_validate({"drop_flagged": drop_flagged}).flags == flags


def test_default_flags_leave_redacted_records() -> None:
    assert QualityOptions().flags == ("toxic", "moderation", "deleted", "review")


@pytest.mark.parametrize("text", ["[1, 2]", "{broken", '"toxic"'])
def test_unreadable_meta(text: str) -> None:
    with pytest.raises(UnreadableMetaError):
        flags_of(text)


def test_flags_of_keeps_flag_order_and_wanted() -> None:
    text = meta(review_result=False, toxic=True, deleted=[False, True])
    assert flags_of(text) == ["toxic", "deleted", "review"]
    assert flags_of(text, ("review",)) == ["review"]
