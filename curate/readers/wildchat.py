"""``wildchat``: WildChat-1M records, and the reshaped layout of some published samples.

The WildChat-1M layout is ``{conversation_hash, model, timestamp, conversation: [{role,
content, language, redacted, toxic, hashed_ip, country, state, header, turn_identifier,
timestamp}], turn, language, openai_moderation, detoxify_moderation, toxic, redacted,
hashed_ip, country, state, header}``. ``conversation_hash`` is the id, ``hashed_ip`` the
user, the language name becomes an ISO code; every other field stays in ``meta`` under its
own name, and each turn's fields other than role and content are kept, aligned with the
messages, in ``meta.turns``.

The reshaped layout is ``{id, source, messages: [{role, content, ...}], metadata: {model,
timestamp, language, toxic, redacted, ...}}``. Its ``metadata`` keys are lifted to the top
of ``meta``, so that ``meta.toxic`` means the same thing for both layouts.
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

NATIVE = frozenset({"conversation_hash", "conversation", "model", "timestamp", "hashed_ip"})
RESHAPED = frozenset({"id", "messages", "metadata"})
LIFTED = frozenset({"model", "timestamp", "hashed_ip"})
MARKERS = frozenset({"toxic", "redacted", "openai_moderation", "detoxify_moderation", "hashed_ip"})
"""Fields only WildChat has; one of them in ``metadata`` tells the reshaped layout apart."""


@register_reader("wildchat")
class WildChatReader(Reader):
    sniff_priority: ClassVar[int] = 20

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        if "conversation_hash" in record:
            return isinstance(record.get("conversation"), list)
        metadata = record.get("metadata")
        return (
            isinstance(record.get("messages"), list)
            and isinstance(metadata, dict)
            and (record.get("source") == "wildchat" or bool(MARKERS & metadata.keys()))
        )

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        if "conversation_hash" in record or "messages" not in record:
            return [self._native(record)]
        return [self._reshaped(record)]

    def _native(self, record: dict[str, Any]) -> dict[str, Any]:
        messages, extras = messages_of(record.get("conversation"), "conversation")
        identifier = optional(record, "conversation_hash", str)
        meta = unmapped(record, NATIVE) | turn_extras(extras)
        return {
            "id": identifier or content_id(messages),
            "messages": messages,
            "model": optional(record, "model", str),
            "language": take_language(meta, "language"),
            "user": optional(record, "hashed_ip", str),
            "created_at": timestamp(record.get("timestamp"), "timestamp"),
            "meta": meta,
        }

    def _reshaped(self, record: dict[str, Any]) -> dict[str, Any]:
        messages, extras = messages_of(record.get("messages"), "messages")
        metadata = optional(record, "metadata", dict) or {}
        identifier = optional(record, "id", (str, int))
        meta = unmapped(record, RESHAPED) | unmapped(metadata, LIFTED) | turn_extras(extras)
        return {
            "id": str(identifier) if identifier is not None else content_id(messages),
            "messages": messages,
            "model": optional(metadata, "model", str, "metadata.model"),
            "language": take_language(meta, "language"),
            "user": optional(metadata, "hashed_ip", str, "metadata.hashed_ip"),
            "created_at": timestamp(metadata.get("timestamp"), "metadata.timestamp"),
            "meta": meta,
        }
