"""``lmsys``: LMSYS-Chat-1M, ``{conversation_id, model, conversation: [{role, content}], turn,
language, openai_moderation, redacted}``.

``conversation_id`` is the id and the language name becomes an ISO code; ``turn``,
``openai_moderation``, ``redacted`` and any other field stay in ``meta`` under their names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from curate.readers.base import (
    Reader,
    content_id,
    messages_of,
    optional,
    register_reader,
    timestamp,
    turn_extras,
    unmapped,
)
from curate.readers.languages import take_language

MAPPED = frozenset({"conversation_id", "conversation", "model", "tstamp"})


@register_reader("lmsys")
class LMSYSReader(Reader):
    sniff_priority: ClassVar[int] = 25

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        return "conversation_id" in record and isinstance(record.get("conversation"), list)

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        messages, extras = messages_of(record.get("conversation"), "conversation")
        identifier = optional(record, "conversation_id", (str, int))
        meta = unmapped(record, MAPPED) | turn_extras(extras)
        return [
            {
                "id": str(identifier) if identifier is not None else content_id(messages),
                "messages": messages,
                "model": optional(record, "model", str),
                "language": take_language(meta, "language"),
                "created_at": timestamp(record.get("tstamp"), "tstamp"),
                "meta": meta,
            }
        ]
