"""``openai``: chat-completions style records, ``{"messages": [{role, content}], ...}``.

Every other top-level field (``model``, ``id``, ``metadata``...) is read where the schema has
a column for it and kept in ``meta`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from curate.readers.base import (
    Reader,
    canonical_role,
    content_id,
    optional,
    register_reader,
    require,
    text_of,
    timestamp,
    unmapped,
)

MAPPED = frozenset({"messages", "id", "model", "language", "created_at", "created", "user", "license"})


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
        raw_messages = require(record, "messages", list)
        messages = []
        for index, message in enumerate(raw_messages):
            where = f"messages[{index}]"
            if not isinstance(message, dict):
                from curate.readers.base import RecordError

                raise RecordError("wrong_type", where, f"expected an object, got {type(message).__name__}")
            messages.append(
                {
                    "role": canonical_role(message.get("role"), f"{where}.role"),
                    "content": text_of(message.get("content"), f"{where}.content"),
                }
            )
        identifier = optional(record, "id", (str, int))
        return [
            {
                "id": str(identifier) if identifier is not None else content_id(messages),
                "messages": messages,
                "model": optional(record, "model", str),
                "language": optional(record, "language", str),
                "user": optional(record, "user", str),
                "license": optional(record, "license", str),
                "created_at": timestamp(record.get("created_at", record.get("created")), "created_at"),
                "meta": unmapped(record, MAPPED),
            }
        ]
