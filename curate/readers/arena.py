"""``arena``: Chatbot Arena battles, two answers to one prompt and the judge's verdict.

A battle gives two rows sharing ``group`` (the record's own ``id``, else its
``question_id``), with ids ``<group>:a`` and ``<group>:b``, each with its own model and
``signal.outcome`` seen from its side: ``model_a`` wins means ``a`` won and ``b`` lost; a
tie is a tie for both; a vote that both answers are bad is ``both_bad`` for both. ``judge``
is the user. Other fields stay in ``meta`` (the same for both rows).

The releases spell the same things differently; each is read:

===========================================  =================================================
release                                      layout
===========================================  =================================================
Chatbot Arena Conversations (33k), human-    ``question_id``, ``conversation_a`` / ``_b``,
preference 100k                              ``winner``: model_a | model_b | tie | tie (bothbad),
                                             ``tstamp`` (epoch seconds)
human-preference 140k                        ``id``, ``conversation_a`` / ``_b`` (content as
                                             text parts), ``winner``: ... | both_bad,
                                             ``timestamp``
human-preference 55k (the Kaggle CSV)        ``id``, ``prompt`` / ``response_a`` / ``response_b``
                                             (lists of turns), ``winner_model_a`` /
                                             ``winner_model_b`` / ``winner_tie`` flags
===========================================  =================================================

``winner`` is matched ignoring case, spaces and punctuation, so ``tie(bothbad)``,
``Tie (both bad)`` and ``both-bad`` read too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from curate.readers.base import (
    Reader,
    RecordError,
    content_id,
    messages_of,
    optional,
    register_reader,
    require,
    signal,
    text_of,
    timestamp,
    turn_extras,
    unmapped,
)
from curate.readers.languages import take_language
from curate.schema import Outcome

SIDES = {"a": "conversation_a", "b": "conversation_b"}
FLAT_SIDES = {"a": "response_a", "b": "response_b"}
FLAGS = ("winner_model_a", "winner_model_b", "winner_tie")
MAPPED = frozenset(
    {
        "id",
        "question_id",
        "model_a",
        "model_b",
        "conversation_a",
        "conversation_b",
        "prompt",
        "response_a",
        "response_b",
        "judge",
        "tstamp",
        "timestamp",
    }
)
OUTCOMES: dict[str, tuple[Outcome, Outcome]] = {
    "model_a": ("win", "loss"),
    "model_b": ("loss", "win"),
    "tie": ("tie", "tie"),
    "tie (bothbad)": ("both_bad", "both_bad"),
    "both_bad": ("both_bad", "both_bad"),
}
"""``winner`` as the releases write it -> (outcome of side a, outcome of side b)."""
_SPELLINGS = {re.sub(r"[^a-z]", "", key): value for key, value in OUTCOMES.items()} | {
    "a": OUTCOMES["model_a"],
    "b": OUTCOMES["model_b"],
    "bothbad": OUTCOMES["both_bad"],
}


@register_reader("arena")
class ArenaReader(Reader):
    sniff_priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        if "model_a" not in record or "model_b" not in record:
            return False
        if isinstance(record.get("conversation_a"), list) and isinstance(record.get("conversation_b"), list):
            return True
        return all(key in record for key in ("prompt", *FLAT_SIDES.values()))

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        outcomes = _outcomes(record)
        if "conversation_a" in record or "response_a" not in record:
            sides = {side: messages_of(record.get(key), key) for side, key in SIDES.items()}
        else:
            sides = {side: (_flat_turns(record, key), []) for side, key in FLAT_SIDES.items()}
        own = optional(record, "id", (str, int))
        mapped = MAPPED - {"question_id"} if own is not None else MAPPED  # a question id is kept then
        if own is None:
            own = optional(record, "question_id", (str, int))
        group = str(own) if own is not None else content_id(sides["a"][0] + sides["b"][0], "arena")
        meta = unmapped(record, mapped)
        language = take_language(meta, "language")
        user = optional(record, "judge", str)
        when = "tstamp" if record.get("tstamp") is not None else "timestamp"
        created_at = timestamp(record.get(when), when)
        rows = []
        for side, outcome in zip("ab", outcomes, strict=True):
            messages, extras = sides[side]
            rows.append(
                {
                    "id": f"{group}:{side}",
                    "messages": messages,
                    "model": require(record, f"model_{side}", str),
                    "language": language,
                    "user": user,
                    "created_at": created_at,
                    "group": group,
                    "signal": signal(outcome=outcome),
                    "meta": meta | turn_extras(extras),
                }
            )
        return rows


def _outcomes(record: dict[str, Any]) -> tuple[Outcome, Outcome]:
    """The outcome of each side, from ``winner`` or from the 55k release's three flags."""
    if record.get("winner") is None and any(record.get(flag) is not None for flag in FLAGS):
        raised = [flag for flag in FLAGS if record.get(flag) in (1, True, "1", "1.0", 1.0)]
        if len(raised) != 1:
            raise RecordError(
                "invalid_value", "winner_model_a", f"exactly one of {', '.join(FLAGS)} must be 1"
            )
        return OUTCOMES[{"winner_model_a": "model_a", "winner_model_b": "model_b"}.get(raised[0], "tie")]
    winner = require(record, "winner", str)
    outcomes = _SPELLINGS.get(re.sub(r"[^a-z]", "", winner.lower()))
    if outcomes is None:
        raise RecordError("invalid_value", "winner", f"expected one of {', '.join(OUTCOMES)}")
    return outcomes


def _flat_turns(record: dict[str, Any], side: str) -> list[dict[str, str]]:
    """Alternating user and assistant turns from ``prompt`` and one side's responses."""
    prompts, replies = (_turn_list(record, key) for key in ("prompt", side))
    if not prompts:
        raise RecordError("no_messages", "prompt", "the list of turns is empty")
    if len(prompts) != len(replies):
        raise RecordError("invalid_value", side, "needs one response per prompt turn")
    messages = []
    for index, (asked, answered) in enumerate(zip(prompts, replies, strict=True)):
        # The 55k release writes null for a turn whose text was lost.
        messages.append(
            {"role": "user", "content": "" if asked is None else text_of(asked, f"prompt[{index}]")}
        )
        content = "" if answered is None else text_of(answered, f"{side}[{index}]")
        messages.append({"role": "assistant", "content": content})
    return messages


def _turn_list(record: dict[str, Any], key: str) -> list[Any]:
    value = record.get(key)
    if isinstance(value, str):
        return [value]
    if value is None:
        raise RecordError("missing_field", key, "missing")
    if not isinstance(value, list):
        raise RecordError("wrong_type", key, f"expected a list of turns, got {type(value).__name__}")
    return value
