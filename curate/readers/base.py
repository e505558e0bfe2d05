"""What a reader is, and the small helpers every reader shares.

A reader turns one parsed source record (a dict) into zero or more canonical conversation
rows (see ``curate.schema.CONVERSATION``). It does not open files, count, or fill the
input-level defaults: ``curate.readers.load`` does that for every format alike.

A record that does not fit the format raises ``RecordError`` naming the field; the loader
turns it into a row of ``rejects/read.parquet``. Messages name fields and types, never the
values, so a PII value cannot leak into an error.

Most formats convert record by record. A format whose rows need other records (the flat
OpenAssistant layout, where a reply's conversation is the chain of its ancestors) overrides
``read`` to keep what it needs with the record's ``Origin`` and builds its rows in
``finish``, which the loader calls once after the last record of the input.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import orjson
import xxhash

from curate import registry
from curate.options import StrictModel
from curate.schema import Label, Outcome, Thumb

R = TypeVar("R", bound="type[Reader]")

READ_REASONS: dict[str, str] = {
    "invalid_json": "the line or element is not valid JSON",
    "invalid_utf8": "the bytes are not valid UTF-8",
    "too_large": "the record is larger than the input's max_record_bytes",
    "empty_line": "a blank line between JSON Lines records",
    "unreadable_file": "the file cannot be opened or decompressed at all",
    "wrong_type": "a field (or the record itself) has the wrong JSON type",
    "missing_field": "a field the format requires is absent or null",
    "invalid_value": "a field has a value the format does not allow",
    "no_messages": "the record holds no message",
    "no_shared_prompt": "the two sides of a preference record do not start with the same prompt",
    "orphan": "a message whose parent (or an ancestor) is missing or could not be read",
    "unanswered": "a prompt message that no reply in the input answers",
    "too_deep": "the record is nested deeper than the reader follows (HTML, an oasst tree)",
    "invalid_record": "the reader failed on the record in an unexpected way",
}
"""Every reason a read reject can carry, with what it means."""


class RecordError(ValueError):
    """A record does not fit its format; ``field`` says where (``conversation[2].role``)."""

    def __init__(self, reason: str, field: str, message: str) -> None:
        self.reason = reason
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def unexpected(exc: Exception, format: str) -> RecordError:
    """The reject for an exception a reader did not mean to raise on a record.

    Foreign messages may quote record text, so only the kind of failure is named.
    """
    if isinstance(exc, RecursionError):
        return RecordError("too_deep", "record", f"nested too deeply to read as a {format} record")
    return RecordError("invalid_record", "record", f"{type(exc).__name__} while reading a {format} record")


class ReaderOptions(StrictModel):
    """Base class of a reader's options (an input's ``options:`` mapping)."""


@dataclass(frozen=True)
class Origin:
    """Where a record was found: file label, line (row for Parquet) and its raw text."""

    file: str
    line: int
    raw: str | None = None


@dataclass
class Finished:
    """What ``Reader.finish`` returns: the rows of each kept record, and records refused.

    Rows come with the ``Origin`` of the record they were built for, so that a row the
    loader cannot store is rejected as that record, like a row returned by ``read``.
    """

    rows: list[tuple[Origin, list[dict[str, Any]]]] = dataclasses.field(default_factory=list)
    rejects: list[tuple[Origin, RecordError]] = dataclasses.field(default_factory=list)


class Reader(ABC):
    """Base class of every reader. Register a subclass with ``@register_reader("name")``."""

    format: ClassVar[str]
    Options: ClassVar[type[ReaderOptions]] = ReaderOptions
    sniff_priority: ClassVar[int] = 100
    """Lower is tried first by ``format: auto``; specific formats go before generic ones."""

    def __init__(self, options: ReaderOptions | None = None) -> None:
        self.options = options or self.Options()

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        """True when ``record`` looks like this format (used by ``format: auto``)."""
        return False

    @abstractmethod
    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Canonical rows for one record; ``meta`` may be left as a dict of unmapped fields."""

    def read(self, record: dict[str, Any], origin: Origin) -> list[dict[str, Any]]:
        """Rows for one record found at ``origin``; a deferring reader keeps it for ``finish``."""
        return self.convert(record)

    def finish(self) -> Finished:
        """Rows and rejects of records kept back by ``read``; called once, after the last record."""
        return Finished()


def register_reader(name: str) -> Callable[[R], R]:
    """Register a reader class under the format ``name``."""

    def decorate(cls: R) -> R:
        cls.format = name
        registry.readers.add(name, cls)
        return cls

    return decorate


# -- helpers shared by readers ---------------------------------------------------------------

ROLE_ALIASES: dict[str, str] = {
    "human": "user",
    "user": "user",
    "prompter": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "system": "system",
}


def canonical_role(value: Any, field: str) -> str:
    """Map a source's role name onto ``system`` / ``user`` / ``assistant``."""
    role = ROLE_ALIASES.get(value) if isinstance(value, str) else None
    if role is not None:
        return role
    if not isinstance(value, str):
        raise RecordError("wrong_type", field, f"expected a role name, got {type(value).__name__}")
    role = ROLE_ALIASES.get(value.strip().lower())
    if role is None:
        known = ", ".join(sorted(ROLE_ALIASES))
        raise RecordError("invalid_value", field, f"unknown role (known: {known})")
    return role


def require(
    record: Mapping[str, Any], key: str, kind: type | tuple[type, ...], field: str | None = None
) -> Any:
    """``record[key]``, checked for presence and type."""
    where = field or key
    if key not in record or record[key] is None:
        raise RecordError("missing_field", where, "missing")
    value = record[key]
    if not isinstance(value, kind):
        raise RecordError("wrong_type", where, f"expected {_names(kind)}, got {type(value).__name__}")
    return value


def optional(
    record: Mapping[str, Any], key: str, kind: type | tuple[type, ...], field: str | None = None
) -> Any:
    """``record[key]`` when present and not null, checked for type; else ``None``."""
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, kind):
        raise RecordError("wrong_type", field or key, f"expected {_names(kind)}, got {type(value).__name__}")
    return value


def text_of(value: Any, field: str) -> str:
    """Message content as a string; a list of ``{type: text, text}`` parts is joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, dict) for part in value):
        texts = [part.get("text") for part in value if part.get("type", "text") == "text"]
        if all(isinstance(text, str) for text in texts):
            return "\n".join(texts)
    if value is None:
        raise RecordError("missing_field", field, "missing")
    raise RecordError("wrong_type", field, f"expected a string, got {type(value).__name__}")


def timestamp(value: Any, field: str) -> datetime | None:
    """A UTC datetime from epoch seconds (or milliseconds) or an ISO 8601 string."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 1e11 else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    raise RecordError("invalid_value", field, "expected epoch seconds or an ISO 8601 timestamp")


def messages_of(
    value: Any,
    field: str,
    role_key: str = "role",
    content_key: str = "content",
    skip: Callable[[Any], bool] | None = None,
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Canonical messages from a list of message objects, and each one's other keys.

    The second list has one dict per message (empty when the message has nothing else), so
    per-turn fields can be kept in ``meta`` aligned with the messages. Items ``skip`` is true
    for are left out (the reader keeps them its own way); errors still name each item by its
    place in ``value``.
    """
    if value is None:
        raise RecordError("missing_field", field, "missing")
    if not isinstance(value, list):
        raise RecordError("wrong_type", field, f"expected a list, got {type(value).__name__}")
    if not value:
        raise RecordError("no_messages", field, "the list of messages is empty")
    messages: list[dict[str, str]] = []
    extras: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if skip is not None and skip(item):
            continue
        if not isinstance(item, dict):
            raise RecordError("wrong_type", where, f"expected an object, got {type(item).__name__}")
        messages.append(
            {
                "role": canonical_role(item.get(role_key), f"{where}.{role_key}"),
                "content": text_of(item.get(content_key), f"{where}.{content_key}"),
            }
        )
        extras.append({key: item[key] for key in item if key not in (role_key, content_key)})
    return messages, extras


def turn_extras(extras: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"turns": extras}`` for ``meta`` when any message had other keys, else nothing."""
    return {"turns": extras} if any(extras) else {}


def signal(
    outcome: Outcome | None = None,
    rank: int | None = None,
    score: float | None = None,
    thumbs: Thumb | None = None,
    label: Label | None = None,
) -> dict[str, Any]:
    """A ``signal`` struct with every field present."""
    return {"outcome": outcome, "rank": rank, "score": score, "thumbs": thumbs, "label": label}


def number(value: Any, field: str) -> float | None:
    """A finite float from a JSON number (or a numeric string); null stays null."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError("wrong_type", field, "expected a number, got bool")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise RecordError("wrong_type", field, f"expected a number, got {type(value).__name__}") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise RecordError("invalid_value", field, "expected a finite number")
    return result


def content_id(messages: list[dict[str, str]], *extra: str) -> str:
    """A stable id for a record that has none: a hash of its messages."""
    digest = xxhash.xxh3_128()
    digest.update(orjson.dumps(messages))
    for part in extra:
        digest.update(part.encode())
    return digest.hexdigest()[:24]


def unmapped(record: Mapping[str, Any], mapped: set[str] | frozenset[str]) -> dict[str, Any]:
    """The fields of ``record`` a reader did not map, for ``meta``."""
    return {key: value for key, value in record.items() if key not in mapped}


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    words = {
        "str": "a string",
        "list": "a list",
        "dict": "an object",
        "int": "an integer",
        "float": "a number",
        "bool": "a boolean",
    }
    return " or ".join(words.get(k.__name__, k.__name__) for k in kinds)
