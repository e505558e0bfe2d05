"""``openai``: chat-completions style records, ``{"messages": [{role, content}], ...}``.

Every other top-level field (``model``, ``id``, ``metadata``...) is read where the schema has
a column for it and kept in ``meta`` otherwise. Feedback on the conversation, when present at
the top level or inside a ``metadata`` object, becomes the signal: ``thumbs`` (``up`` /
``down``, a boolean, or ``1`` / ``-1``) and ``rating`` or ``score`` (a number).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from curate.readers.base import (
    Reader,
    RecordError,
    content_id,
    messages_of,
    number,
    optional,
    register_reader,
    signal,
    timestamp,
    turn_extras,
    unmapped,
)
from curate.readers.languages import take_language
from curate.schema import Thumb

MAPPED = frozenset(
    {"messages", "id", "model", "created_at", "created", "user", "license", "thumbs", "rating", "score"}
)
THUMBS: dict[Any, Thumb] = {
    "up": "up",
    "down": "down",
    "thumbs_up": "up",
    "thumbs_down": "down",
    1: "up",
    -1: "down",
}


@register_reader("openai")
class OpenAIReader(Reader):
    sniff_priority: ClassVar[int] = 80

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        messages = record.get("messages")
        return (
            isinstance(messages, list)
            and bool(messages)
            and all(isinstance(m, dict) and "role" in m and "content" in m for m in messages)
            and "chosen" not in record
        )

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        messages, extras = messages_of(record.get("messages"), "messages")
        identifier = optional(record, "id", (str, int))
        meta = unmapped(record, MAPPED) | turn_extras(extras)
        return [
            {
                "id": str(identifier) if identifier is not None else content_id(messages),
                "messages": messages,
                "model": optional(record, "model", str),
                "language": take_language(meta, "language"),
                "user": optional(record, "user", str),
                "license": optional(record, "license", str),
                "created_at": timestamp(record.get("created_at", record.get("created")), "created_at"),
                "signal": _feedback(record),
                "meta": meta,
            }
        ]


def _feedback(record: dict[str, Any]) -> dict[str, Any] | None:
    """The signal from ``thumbs`` / ``rating`` / ``score``, top level first, then ``metadata``."""
    places = [("", record)]
    if isinstance(record.get("metadata"), dict):
        places.append(("metadata.", record["metadata"]))
    thumbs = score = None
    for prefix, place in places:
        if thumbs is None and place.get("thumbs") is not None:
            thumbs = _thumbs(place["thumbs"], f"{prefix}thumbs")
        for key in ("rating", "score"):
            if score is None and place.get(key) is not None:
                score = number(place[key], f"{prefix}{key}")
    if thumbs is None and score is None:
        return None
    return signal(thumbs=thumbs, score=score)


def _thumbs(value: Any, field: str) -> Thumb:
    if isinstance(value, bool):
        return "up" if value else "down"
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, str | int) and key in THUMBS:
        return THUMBS[key]
    raise RecordError("invalid_value", field, "expected up, down, true, false, 1 or -1")
