"""``openai``: chat-completions style records, ``{"messages": [{role, content}], ...}``.

Every other top-level field (``model``, ``id``, ``metadata``...) is read where the schema has
a column for it and kept in ``meta`` otherwise. Feedback on the conversation, when present at
the top level or inside a ``metadata`` object, becomes the signal: ``thumbs`` (``up`` /
``down``, a boolean, or ``1`` / ``-1``) and ``rating`` or ``score`` (a number).

Logs of conversations with tools hold **tool turns**: messages of role ``tool`` (or the
older ``function``) with a tool's output, and assistant messages that only call tools
(``content`` null or empty, ``tool_calls`` or ``function_call`` set). ``messages`` keeps the
roles ``system`` / ``user`` / ``assistant`` only, so tool turns never go there; the
``tools`` option says what becomes of them:

- ``keep`` (default): each is kept verbatim in ``meta.tool_turns`` as ``{"index": i,
  "message": {...}}``, ``i`` its place among the source's messages; an assistant message
  with text and tool calls stays in ``messages`` with its text, its calls in ``meta.turns``;
- ``drop_turns``: they are left out, and so are the tool calls of assistant messages with
  text; ``meta.tool_turns_dropped`` counts the turns;
- ``reject``: a record holding one is an ``invalid_value`` reject naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from curate.readers.base import (
    Reader,
    ReaderOptions,
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


TOOL_ROLES = frozenset({"tool", "function"})
CALL_KEYS = ("tool_calls", "function_call")


class OpenAIOptions(ReaderOptions):
    tools: Literal["keep", "drop_turns", "reject"] = Field(
        "keep",
        description="Tool turns (role tool, assistant turns that only call tools): keep them in "
        "meta.tool_turns, drop them, or reject the record. They never enter messages.",
    )


@register_reader("openai")
class OpenAIReader(Reader):
    Options: ClassVar[type[ReaderOptions]] = OpenAIOptions
    sniff_priority: ClassVar[int] = 80

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        messages = record.get("messages")
        return (
            isinstance(messages, list)
            and bool(messages)
            and all(
                isinstance(m, dict) and "role" in m and ("content" in m or is_tool_turn(m)) for m in messages
            )
            and "chosen" not in record
        )

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        tools = self.options.tools  # type: ignore[attr-defined]
        messages, extras = messages_of(record.get("messages"), "messages", skip=is_tool_turn)
        found = tool_turns(record.get("messages"))
        if found and tools == "reject":
            index = found[0]["index"]
            raise RecordError(
                "invalid_value", f"messages[{index}]", "a tool turn (the input says tools: reject)"
            )
        if tools == "drop_turns":
            extras = [
                {key: value for key, value in extra.items() if key not in CALL_KEYS} for extra in extras
            ]
        identifier = optional(record, "id", (str, int))
        meta = unmapped(record, MAPPED) | turn_extras(extras)
        if found:
            meta |= {"tool_turns": found} if tools == "keep" else {"tool_turns_dropped": len(found)}
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


def is_tool_turn(message: Any) -> bool:
    """True for a tool's output, and for an assistant message that only calls tools."""
    if not isinstance(message, dict):
        return False
    role = message.get("role")
    if role in TOOL_ROLES:
        return True
    calls = any(message.get(key) for key in CALL_KEYS)
    return role == "assistant" and calls and not message.get("content")


def tool_turns(messages: Any) -> list[dict[str, Any]]:
    """The tool turns of a message list, each with its place in it."""
    if not isinstance(messages, list):
        return []
    return [{"index": i, "message": message} for i, message in enumerate(messages) if is_tool_turn(message)]


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
