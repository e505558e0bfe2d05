"""``arena``: Chatbot Arena battles, two answers to one prompt and the judge's verdict.

A battle ``{question_id, model_a, model_b, winner, conversation_a, conversation_b, judge,
turn, anony, language, tstamp, openai_moderation, toxic_chat_tag}`` gives two rows sharing
``group`` (the question id), with ids ``<question_id>:a`` and ``<question_id>:b``, each with
its own model and ``signal.outcome`` seen from its side: ``model_a`` wins means ``a`` won
and ``b`` lost; ``tie`` is a tie for both, ``tie (bothbad)`` is ``both_bad`` for both.
``judge`` is the user. Other fields stay in ``meta`` (the same for both rows).
"""

from __future__ import annotations

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
    timestamp,
    turn_extras,
    unmapped,
)
from curate.readers.languages import take_language
from curate.schema import Outcome

MAPPED = frozenset(
    {"question_id", "model_a", "model_b", "conversation_a", "conversation_b", "judge", "tstamp"}
)
SIDES = {"a": "conversation_a", "b": "conversation_b"}
OUTCOMES: dict[str, tuple[Outcome, Outcome]] = {
    "model_a": ("win", "loss"),
    "model_b": ("loss", "win"),
    "tie": ("tie", "tie"),
    "tie (bothbad)": ("both_bad", "both_bad"),
}
"""``winner`` -> (outcome of side a, outcome of side b)."""


@register_reader("arena")
class ArenaReader(Reader):
    sniff_priority: ClassVar[int] = 10

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        return (
            isinstance(record.get("conversation_a"), list)
            and isinstance(record.get("conversation_b"), list)
            and "model_a" in record
            and "model_b" in record
        )

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        winner = require(record, "winner", str)
        if winner not in OUTCOMES:
            raise RecordError("invalid_value", "winner", f"expected one of {', '.join(OUTCOMES)}")
        sides = {side: messages_of(record.get(key), key) for side, key in SIDES.items()}
        question = optional(record, "question_id", (str, int))
        group = str(question) if question is not None else content_id(sides["a"][0] + sides["b"][0], "arena")
        meta = unmapped(record, MAPPED)
        language = take_language(meta, "language")
        user = optional(record, "judge", str)
        created_at = timestamp(record.get("tstamp"), "tstamp")
        rows = []
        for side, outcome in zip("ab", OUTCOMES[winner], strict=True):
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
