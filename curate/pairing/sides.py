"""A conversation seen as one side of a possible pair: the prompt, the reply, the evidence.

The prompt is every message up to the last user turn; the reply is the assistant turns
after it. User turns that nobody answered (a conversation ending on a user message) are
not part of either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
import polars as pl
import xxhash

from curate.schema import Label, Outcome, Thumb

Turn = tuple[str, str]
"""A message as ``(role, content)``: hashable, comparable, cheap."""
Turns = tuple[Turn, ...]

SIDE_COLUMNS = (
    "id",
    "source",
    "messages",
    "model",
    "license",
    "language",
    "group",
    "prompt_cluster",
    "signal",
)


@dataclass(frozen=True, eq=False)
class Side:
    """One conversation that may become the chosen or the rejected side of a pair."""

    index: int
    """Position of the row in the stage's input frame."""
    id: str
    source: str
    messages: Turns
    prompt: Turns
    reply: Turns
    model: str | None = None
    license: str | None = None
    language: str | None = None
    group: str | None = None
    prompt_cluster: str | None = None
    outcome: Outcome | None = None
    rank: int | None = None
    score: float | None = None
    thumbs: Thumb | None = None
    label: Label | None = None
    meta: str | None = None

    @property
    def reply_chars(self) -> int:
        return text_length(self.reply)

    @cached_property
    def prompt_key(self) -> str:
        return prompt_key(self.prompt)


def text_length(turns: Turns) -> int:
    """Characters of content, ignoring surrounding whitespace of each turn."""
    return sum(len(content.strip()) for _, content in turns)


def normalised(turns: Turns) -> Turns:
    return tuple((role, " ".join(content.split())) for role, content in turns)


def answered(messages: Turns) -> Turns:
    """``messages`` without the trailing turns that got no assistant reply."""
    end = len(messages)
    while end and messages[end - 1][0] != "assistant":
        end -= 1
    return messages[:end]


def split_reply(messages: Turns) -> tuple[Turns, Turns]:
    """``(prompt, reply)``: the prompt ends with the last user turn that got an answer.

    Either part is empty when the conversation has no user turn followed by an assistant one.

    >>> split_reply((("user", "hi"), ("assistant", "hello"), ("user", "bye")))
    ((('user', 'hi'),), (('assistant', 'hello'),))
    """
    kept = answered(messages)
    for position in range(len(kept) - 1, -1, -1):
        if kept[position][0] == "user":
            return kept[: position + 1], kept[position + 1 :]
    return (), ()


def shared_prompt(chosen: Side, rejected: Side) -> tuple[Turns, Turns, Turns]:
    """``(prompt, chosen reply, rejected reply)`` for two sides answering one prompt.

    When both conversations share their whole prompt, that is it. When they diverge earlier
    (a multi-turn battle whose models answered the first turn differently), the prompt is
    the longest shared context that ends with a user turn, and each side is the assistant
    turns that follow it. Sides with no shared context at all (near-duplicate prompts of one
    cluster) keep their own replies under the chosen side's prompt.
    """
    if chosen.prompt == rejected.prompt:
        return chosen.prompt, chosen.reply, rejected.reply
    common = 0
    for a, b in zip(chosen.messages, rejected.messages, strict=False):
        if a != b:
            break
        common += 1
    while common and chosen.messages[common - 1][0] != "user":
        common -= 1
    if common:
        chosen_reply = _assistant_run(chosen.messages, common)
        rejected_reply = _assistant_run(rejected.messages, common)
        if chosen_reply and rejected_reply:
            return chosen.messages[:common], chosen_reply, rejected_reply
    return chosen.prompt, chosen.reply, rejected.reply


def _assistant_run(messages: Turns, start: int) -> Turns:
    end = start
    while end < len(messages) and messages[end][0] == "assistant":
        end += 1
    return messages[start:end]


def turns_of(messages: list[dict[str, Any]] | None) -> Turns:
    return tuple((m["role"], m["content"] or "") for m in messages or ())


def as_messages(turns: Turns) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in turns]


def digest(value: Any, size: int = 24) -> str:
    """A stable hex digest of a JSON-serialisable value (the same on every machine and run)."""
    return xxhash.xxh3_128_hexdigest(orjson.dumps(value))[:size]


def prompt_key(prompt: Turns) -> str:
    """The cluster key of an exact prompt, for rows that no ``dedup`` stage clustered."""
    return "prompt:" + digest(prompt)


def seeded_order(seed: int, key: str) -> int:
    """A seeded, stable pseudo-random rank for ``key`` (a shuffle that does not depend on row order)."""
    return xxhash.xxh3_64_intdigest(key.encode(), seed=seed & 0xFFFFFFFFFFFFFFFF)


def read_sides(frame: pl.DataFrame, with_meta: bool = False) -> list[Side]:
    """Every row of a conversations frame as a ``Side`` (prompt and reply may be empty)."""
    columns = [*SIDE_COLUMNS, "meta"] if with_meta else list(SIDE_COLUMNS)
    sides = []
    for index, row in enumerate(frame.select(columns).iter_rows(named=True)):
        messages = turns_of(row["messages"])
        prompt, reply = split_reply(messages)
        signal = row["signal"] or {}
        sides.append(
            Side(
                index=index,
                id=row["id"],
                source=row["source"],
                messages=messages,
                prompt=prompt,
                reply=reply,
                model=row["model"],
                license=row["license"],
                language=row["language"],
                group=row["group"],
                prompt_cluster=row["prompt_cluster"],
                outcome=signal.get("outcome"),
                rank=signal.get("rank"),
                score=signal.get("score"),
                thumbs=signal.get("thumbs"),
                label=signal.get("label"),
                meta=row.get("meta"),
            )
        )
    return sides
