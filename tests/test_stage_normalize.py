"""The normalize stage: cleaned texts, regular turns, exact reasons, idempotence."""

from __future__ import annotations

import re
from typing import Any

import ftfy
import pytest
from ftfy import badness
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from curate.stages.normalize import Normalize, NormalizeOptions
from curate.text.clean import Changes, Cleaning, clean_text
from curate.text.mojibake import FTFY_CONFIG, needs_repair, repair
from tests.helpers import conversation, figures, frame

U, A, S = "user", "assistant", "system"


def run(*turns: tuple[str, str], **options: Any) -> tuple[list[tuple[str, str]] | None, str | None]:
    stage = Normalize.from_options(**options)
    output = stage(frame(conversation("c1", *turns)))
    if output.rejected.height:
        return None, output.rejected["reason"][0]
    return [(m["role"], m["content"]) for m in output.kept["messages"][0]], None


@pytest.mark.parametrize(
    ("turns", "options", "expected", "reason"),
    [
        ([(U, "hi"), (A, "hello")], {}, [(U, "hi"), (A, "hello")], None),
        ([(U, "  hi \n"), (A, "\thello\t")], {}, [(U, "hi"), (A, "hello")], None),
        ([(U, "a"), (U, "b"), (A, "c")], {}, [(U, "a\n\nb"), (A, "c")], None),
        ([(U, "a"), (U, "b"), (A, "c")], {"merge_separator": " "}, [(U, "a b"), (A, "c")], None),
        ([(U, "a"), (U, "b"), (A, "c")], {"merge_consecutive": False}, [(U, "a"), (U, "b"), (A, "c")], None),
        ([(U, "a"), (A, " "), (A, "c")], {}, [(U, "a"), (A, "c")], None),
        ([(U, "a"), (U, ""), (A, "c")], {}, [(U, "a"), (A, "c")], None),
        ([(U, "a"), (A, ""), (A, "c")], {"drop_empty": False}, [(U, "a"), (A, "c")], None),
        ([(U, "a"), (A, "")], {"drop_empty": False}, [(U, "a"), (A, "")], None),
        ([(S, "be brief"), (U, "a"), (A, "b")], {}, [(S, "be brief"), (U, "a"), (A, "b")], None),
        ([(S, "x"), (S, "y"), (U, "a"), (A, "b")], {}, [(S, "x\n\ny"), (U, "a"), (A, "b")], None),
        ([(U, "a"), (S, "late"), (A, "b")], {}, [(U, "a"), (A, "b")], None),
        ([(U, "a"), (S, "late"), (U, "b"), (A, "c")], {}, [(U, "a\n\nb"), (A, "c")], None),
        ([(U, "a"), (S, "late"), (A, "b")], {"late_system": "keep"}, [(U, "a"), (S, "late"), (A, "b")], None),
        ([(U, "a"), (S, "late"), (A, "b")], {"late_system": "reject"}, None, "late_system_turn"),
        ([(U, "a"), (A, "b"), (U, "c")], {}, [(U, "a"), (A, "b")], None),
        ([(U, "a"), (A, "b"), (U, "c")], {"trailing_user": "keep"}, [(U, "a"), (A, "b"), (U, "c")], None),
        ([(U, "a"), (A, "b"), (U, "c")], {"trailing_user": "reject"}, None, "trailing_user_turn"),
        ([(A, "hello!"), (U, "a"), (A, "b")], {}, [(A, "hello!"), (U, "a"), (A, "b")], None),
        ([(A, "hello!"), (U, "a"), (A, "b")], {"leading_assistant": "drop"}, [(U, "a"), (A, "b")], None),
        ([(A, "hello!"), (U, "a")], {}, None, "no_user_turn"),
        ([(A, "hello!"), (U, "a")], {"leading_assistant": "drop"}, None, "no_assistant_turn"),
        ([(U, "a")], {}, None, "no_assistant_turn"),
        ([(U, "a"), (U, "b")], {}, None, "no_assistant_turn"),
        ([(A, "a")], {}, None, "no_user_turn"),
        ([(S, "x"), (A, "a")], {}, None, "no_user_turn"),
        ([(U, " "), (A, "\u200b")], {}, None, "empty_conversation"),
        ([(U, "a"), ("tool", "b"), (A, "c")], {}, None, "unknown_role"),
    ],
)
def test_turns(
    turns: list[tuple[str, str]],
    options: dict[str, Any],
    expected: list[tuple[str, str]] | None,
    reason: str | None,
) -> None:
    assert run(*turns, **options) == (expected, reason)


@pytest.mark.parametrize("messages", [None, []])
def test_no_messages_is_an_empty_conversation(messages: list[Any] | None) -> None:
    output = Normalize.from_options()(frame(conversation("c1", messages=messages)))
    assert output.rejected["reason"].to_list() == ["empty_conversation"]


@pytest.mark.parametrize(
    ("text", "cleaning", "expected", "changes"),
    [
        ("plain", Cleaning(), "plain", Changes.NONE),
        ("cafÃ© au lait", Cleaning(), "café au lait", Changes.REPAIRED),
        ("cafÃ© au lait", Cleaning(repair=False), "cafÃ© au lait", Changes.NONE),
        ("â€œquotedâ€\x9d", Cleaning(), "“quoted”", Changes.REPAIRED),
        ("smart \x93quotes\x94", Cleaning(), "smart “quotes”", Changes.REPAIRED),
        ("smart \x93quotes\x94", Cleaning(repair=False), "smart quotes", Changes.INVISIBLE),
        ("a\x00b\x07c\x1bd\x7fe", Cleaning(), "abcde", Changes.INVISIBLE),
        ("a\u200bb\u2060c\ufeffd", Cleaning(), "abcd", Changes.INVISIBLE),
        ("a\r\nb\rc", Cleaning(), "a\nb\nc", Changes.INVISIBLE),
        ("a\r\nb", Cleaning(invisible=False), "a\r\nb", Changes.NONE),
        ("tab\tand\nnewline", Cleaning(), "tab\tand\nnewline", Changes.NONE),
        (
            "family 👨\u200d👩\u200d👧 and می\u200cخواهم",
            Cleaning(),
            "family 👨\u200d👩\u200d👧 and می\u200cخواهم",
            Changes.NONE,
        ),
        ("e\u0301t\u0065\u0301", Cleaning(), "été", Changes.NFC),
        ("e\u0301", Cleaning(nfc=False), "e\u0301", Changes.NONE),
        (
            "  ```\n    indented code\n\n    more\n```  ",
            Cleaning(),
            "```\n    indented code\n\n    more\n```",
            Changes.TRIMMED,
        ),
        ("  x  ", Cleaning(trim=False), "  x  ", Changes.NONE),
        ("全角、句読点。ＡＢＣ", Cleaning(), "全角、句読点。ＡＢＣ", Changes.NONE),
        ("&lt;b&gt; is &amp;", Cleaning(), "&lt;b&gt; is &amp;", Changes.NONE),
        (
            "\u200b cafÃ©\u0301 ",
            Cleaning(),
            "café\u0301",
            Changes.REPAIRED | Changes.INVISIBLE | Changes.TRIMMED,
        ),
    ],
)
def test_clean_text(text: str, cleaning: Cleaning, expected: str, changes: Changes) -> None:
    assert clean_text(text, cleaning) == (expected, changes)


def test_report_counts_changes_of_kept_conversations() -> None:
    stage = Normalize.from_options()
    stage(
        frame(
            conversation("c1", (U, " cafÃ© "), (U, "b\u200b"), (A, ""), (A, "x"), (S, "late"), (U, "?")),
            conversation("c2", (U, "hi"), (A, "hello")),
            conversation("c3", (U, "no reply"), (U, " ")),
        )
    )
    assert figures(stage) == {
        "conversations_changed": 1,
        "empty_turns_removed": 1,
        "late_system_dropped": 1,
        "texts_invisible_removed": 1,
        "texts_repaired": 1,
        "texts_trimmed": 1,
        "trailing_user_dropped": 1,
        "turns_merged": 1,
    }


def test_rejected_rows_keep_their_original_messages() -> None:
    output = Normalize.from_options()(frame(conversation("c1", (U, " only "), (U, "me "))))
    assert output.rejected["messages"].to_list() == [
        [{"role": U, "content": " only "}, {"role": U, "content": "me "}]
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"merge_separator": ""}, "must be spaces, tabs or newlines"),
        ({"merge_separator": " -- "}, "must be spaces, tabs or newlines"),
        ({"late_system": "merge"}, "Input should be 'drop', 'keep' or 'reject'"),
        ({"trim_ends": True}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        NormalizeOptions.model_validate(options)


# -- properties ------------------------------------------------------------------------------

MOJIBAKE_CODECS = ("latin-1", "cp1252", "cp1251", "cp437", "mac_roman", "cp1250")


@st.composite
def damaged_texts(draw: st.DrawFn) -> str:
    """Texts with what normalize removes or repairs: mojibake, controls, odd spacing."""
    base = draw(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(["café", "naïve “quote”", "Привет, мир", "日本語の文", "€100 — ok", "e\u0301"]),
        )
    )
    if draw(st.booleans()):
        codec = draw(st.sampled_from(MOJIBAKE_CODECS))
        base = base.encode("utf-8", "surrogatepass").decode(codec, errors="replace")
    noise = draw(
        st.lists(st.sampled_from(["\x00", "\x1b", "\r\n", "\r", "\u200b", "\ufeff", " ", "\t", "\x85"]))
    )
    for char in noise:
        position = draw(st.integers(0, len(base)))
        base = base[:position] + char + base[position:]
    return base


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), damaged_texts()))
def test_gated_repair_matches_ftfy(text: str) -> None:
    assert repair(text) == ftfy.fix_text(text, FTFY_CONFIG)
    assert needs_repair(text) == (
        not text.isascii() and (badness.is_bad(text) or bool(re.search("[\x80-\x9f\ud800-\udfff]", text)))
    )


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), damaged_texts()), repair_on=st.booleans(), nfc=st.booleans())
def test_clean_text_is_idempotent(text: str, repair_on: bool, nfc: bool) -> None:
    cleaning = Cleaning(repair=repair_on, nfc=nfc)
    once, _ = clean_text(text, cleaning)
    assert clean_text(once, cleaning) == (once, Changes.NONE)


roles = st.sampled_from([U, A, S])
turn_lists = st.lists(st.tuples(roles, st.one_of(damaged_texts(), st.just(""))), max_size=7)
option_sets = st.fixed_dictionaries(
    {
        "late_system": st.sampled_from(["drop", "keep", "reject"]),
        "trailing_user": st.sampled_from(["drop", "keep", "reject"]),
        "leading_assistant": st.sampled_from(["keep", "drop"]),
        "merge_consecutive": st.booleans(),
        "drop_empty": st.booleans(),
        "merge_separator": st.sampled_from(["\n\n", " ", "\n"]),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations=st.lists(turn_lists, min_size=1, max_size=5), options=option_sets)
@example(  # a dropped leading assistant turn once left two system turns to merge on a second pass
    conversations=[
        [("system", "s1"), ("assistant", "a0"), ("system", "s2"), ("user", "u"), ("assistant", "a")]
    ],
    options={"leading_assistant": "drop", "merge_consecutive": True, "late_system": "keep"},
)
def test_normalizing_twice_changes_nothing(
    conversations: list[list[tuple[str, str]]], options: dict[str, Any]
) -> None:
    rows = frame(*(conversation(f"c{i}", *turns) for i, turns in enumerate(conversations) if turns))
    if rows.is_empty():
        return
    once = Normalize.from_options(**options)(rows)
    again_stage = Normalize.from_options(**options)
    twice = again_stage(once.kept)
    assert twice.rejected.height == 0
    assert twice.kept.equals(once.kept)
    assert figures(again_stage) == {}
