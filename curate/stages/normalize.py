"""``normalize``: clean every message and put each conversation into a regular shape.

For each conversation, in this order:

1. every message text is cleaned (``curate.text.clean``: ftfy mojibake repair, control and
   zero-width characters removed except newline and tab, NFC, ends trimmed; inner
   whitespace is kept, as code blocks depend on it);
2. turns left empty are removed;
3. system turns that come after the first user or assistant turn (``late_system``) are
   dropped (default), kept, or make the conversation rejected;
4. consecutive turns of one role are merged, joined by ``merge_separator``;
5. assistant turns before the first user turn are kept (default) or dropped;
6. a conversation left with no turn is rejected as ``empty_conversation``, one with no user
   turn as ``no_user_turn``, one with no assistant turn as ``no_assistant_turn``;
7. trailing user turns (questions nobody answered) are dropped (default), kept, or make
   the conversation rejected; a conversation whose only user turn had no answer is then
   rejected as ``no_user_turn``.

A role outside ``system`` / ``user`` / ``assistant`` rejects the conversation as
``unknown_role``. Rejected rows keep their original messages; kept rows carry the
normalized ones. Normalizing twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field, field_validator

from curate import schema
from curate.options import StageOptions
from curate.stages.base import CountsReport, FilterStage, RunContext, register
from curate.text.clean import Changes, Cleaning, clean_text

Message = dict[str, str]


class NormalizeOptions(StageOptions):
    """Options of the ``normalize`` stage; every step can be switched off."""

    repair: bool = Field(True, description="Repair mojibake with ftfy (only texts that may need it).")
    strip_invisible: bool = Field(
        True,
        description="Remove control characters (newline and tab stay; CR LF and CR become LF) and "
        "zero-width space, word joiner and byte-order mark (ZWJ and ZWNJ stay).",
    )
    nfc: bool = Field(True, description="Normalize texts to Unicode NFC.")
    trim: bool = Field(True, description="Trim whitespace at both ends of every message.")
    drop_empty: bool = Field(True, description="Remove turns whose text is empty (after cleaning).")
    merge_consecutive: bool = Field(True, description="Merge consecutive turns of one role into one.")
    merge_separator: str = Field(
        "\n\n", description="Joins merged turns; whitespace only (spaces, tabs, newlines)."
    )
    late_system: Literal["drop", "keep", "reject"] = Field(
        "drop",
        description="System turns after the first user or assistant turn: drop them, keep them, "
        "or reject the conversation (late_system_turn).",
    )
    leading_assistant: Literal["keep", "drop"] = Field(
        "keep", description="Assistant turns before the first user turn (a greeting): keep or drop them."
    )
    trailing_user: Literal["drop", "keep", "reject"] = Field(
        "drop",
        description="A last user turn that got no reply: drop it, keep it, or reject the "
        "conversation (trailing_user_turn).",
    )

    @field_validator("merge_separator")
    @classmethod
    def _whitespace_separator(cls, value: str) -> str:
        if not value or value.strip(" \t\n"):
            raise ValueError("must be spaces, tabs or newlines, at least one (default: a blank line)")
        return value


@dataclass
class Normalized:
    """One conversation after normalizing: its messages, or why it was rejected."""

    messages: list[Message]
    reason: str | None = None
    detail: str | None = None
    counts: Counter[str] = field(default_factory=Counter)


class NormalizeReport(CountsReport):
    """What normalizing changed in the conversations it kept (counters absent when zero)."""

    conversations_changed: int | None = None
    empty_turns_removed: int | None = None
    late_system_dropped: int | None = None
    leading_assistant_dropped: int | None = None
    texts_invisible_removed: int | None = None
    texts_nfc: int | None = None
    texts_repaired: int | None = None
    texts_trimmed: int | None = None
    trailing_user_dropped: int | None = None
    turns_merged: int | None = None


@register("normalize")
class Normalize(FilterStage[NormalizeOptions, NormalizeReport]):
    """Clean message texts and regularize turns; reject conversations without both sides."""

    Options = NormalizeOptions
    Report = NormalizeReport
    reasons: ClassVar[tuple[str, ...]] = (
        "empty_conversation",
        "no_user_turn",
        "no_assistant_turn",
        "late_system_turn",
        "trailing_user_turn",
        "unknown_role",
    )

    def __init__(self, options: NormalizeOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self.cleaning = Cleaning(
            repair=options.repair, invisible=options.strip_invisible, nfc=options.nfc, trim=options.trim
        )
        self.counts: Counter[str] = Counter()

    def reset(self) -> None:
        self.counts = Counter()

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        originals = frame["messages"].to_list()
        results = [self.normalize(messages) for messages in originals]
        for result in results:
            if result.reason is None and result.counts:
                self.counts.update(result.counts)
                self.counts["conversations_changed"] += 1
        messages = [
            result.messages if result.reason is None else original
            for result, original in zip(results, originals, strict=True)
        ]
        return frame.with_columns(
            pl.Series("messages", messages, dtype=schema.MESSAGES),
            pl.Series("reason", [result.reason for result in results], dtype=pl.String),
            pl.Series("detail", [result.detail for result in results], dtype=pl.String),
        )

    def normalize(self, messages: list[Message] | None) -> Normalized:
        """Normalize one conversation's messages (see the module docstring for the steps)."""
        options = self.options
        counts: Counter[str] = Counter()
        turns = self._cleaned(messages or [], counts)
        unknown = sorted({turn["role"] for turn in turns} - set(schema.ROLES))
        if unknown:
            return Normalized([], "unknown_role", f"{len(unknown)} role(s) not system, user or assistant")
        if options.leading_assistant == "drop":
            # Before the late-system check and the merge: a system turn after a dropped
            # assistant turn is not late, and the turns around it may then merge.
            turns = _without_leading_assistant(turns, counts)
        first_exchange = next((i for i, turn in enumerate(turns) if turn["role"] != "system"), len(turns))
        late = [i for i in range(first_exchange, len(turns)) if turns[i]["role"] == "system"]
        if late and options.late_system == "reject":
            return Normalized([], "late_system_turn", f"system turn at position {late[0]}")
        if late and options.late_system == "drop":
            dropped = set(late)
            turns = [turn for i, turn in enumerate(turns) if i not in dropped]
            counts["late_system_dropped"] += len(late)
        if options.merge_consecutive:
            turns = self._merged(turns, counts)
        if not turns:
            return Normalized([], "empty_conversation", "no turn with text")
        roles = {turn["role"] for turn in turns}
        if "user" not in roles:
            return Normalized([], "no_user_turn", f"{len(turns)} turn(s), none from the user")
        if "assistant" not in roles:
            return Normalized([], "no_assistant_turn", f"{len(turns)} turn(s), none from the assistant")
        if turns[-1]["role"] == "user" and options.trailing_user != "keep":
            if options.trailing_user == "reject":
                return Normalized([], "trailing_user_turn", "the last user turn has no reply")
            answered = len(turns)
            while turns[answered - 1]["role"] == "user":  # stops: there is an assistant turn
                answered -= 1
            counts["trailing_user_dropped"] += len(turns) - answered
            turns = turns[:answered]
            if not any(turn["role"] == "user" for turn in turns):
                return Normalized([], "no_user_turn", "the only user turn has no reply")
        return Normalized(turns, counts=counts)

    def _cleaned(self, messages: list[Message], counts: Counter[str]) -> list[Message]:
        turns = []
        for message in messages:
            text, changes = clean_text(message.get("content") or "", self.cleaning)
            _count_changes(changes, counts)
            if not text and self.options.drop_empty:
                counts["empty_turns_removed"] += 1
                continue
            turns.append({"role": message.get("role") or "", "content": text})
        return turns

    def _merged(self, turns: list[Message], counts: Counter[str]) -> list[Message]:
        merged: list[Message] = []
        for turn in turns:
            if merged and merged[-1]["role"] == turn["role"]:
                joined = self.options.merge_separator.join(
                    part for part in (merged[-1]["content"], turn["content"]) if part
                )
                # A join can bring characters together that a cleaning step acts on.
                merged[-1] = {"role": turn["role"], "content": clean_text(joined, self.cleaning)[0]}
                counts["turns_merged"] += 1
            else:
                merged.append(turn)
        return merged

    def report(self) -> NormalizeReport:
        return NormalizeReport.model_validate(self.counts)


def _without_leading_assistant(turns: list[Message], counts: Counter[str]) -> list[Message]:
    first_user = next((i for i, turn in enumerate(turns) if turn["role"] == "user"), len(turns))
    leading = {i for i in range(first_user) if turns[i]["role"] == "assistant"}
    if not leading:
        return turns
    counts["leading_assistant_dropped"] += len(leading)
    return [turn for i, turn in enumerate(turns) if i not in leading]


_CHANGE_COUNTS = (
    (int(Changes.REPAIRED), "texts_repaired"),
    (int(Changes.INVISIBLE), "texts_invisible_removed"),
    (int(Changes.NFC), "texts_nfc"),
    (int(Changes.TRIMMED), "texts_trimmed"),
)


def _count_changes(changes: Changes, counts: Counter[str]) -> None:
    bits = int(changes)
    if bits:
        for flag, key in _CHANGE_COUNTS:
            if bits & flag:
                counts[key] += 1
