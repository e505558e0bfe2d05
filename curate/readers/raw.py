"""A record as a file holds it, parsed or refused, and the checks every layout applies to one.

``RawRecord`` carries the file and the line (or row) a record starts on, and either its parsed
value or the reason it could not be used; ``parse_line`` makes one of a line of JSON,
``record_from_row`` of a table's row. Both refuse records over ``max_record_bytes`` and values
that are not JSON objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawRecord:
    """One record as found in a file: a parsed value, or the reason it could not be parsed."""

    file: str
    line: int
    raw: str | None
    value: Any = None
    reason: str | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def parse_line(data: bytes, label: str, line: int, max_bytes: int) -> RawRecord:
    data = data.rstrip(b"\r\n")
    if len(data) > max_bytes:
        return RawRecord(
            label,
            line,
            preview(data),
            reason="too_large",
            detail=f"{len(data)} bytes > max_record_bytes {max_bytes}",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RawRecord(
            label,
            line,
            data.decode("utf-8", "replace"),
            reason="invalid_utf8",
            detail=f"invalid UTF-8 at byte {exc.start}",
        )
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return RawRecord(label, line, text, reason="invalid_json", detail=json_problem(exc))
    return checked(RawRecord(label, line, text, value))


def record_from_row(value: Any, label: str, row: int, max_bytes: int) -> RawRecord:
    try:
        raw = orjson.dumps(value, default=str).decode()
    except orjson.JSONEncodeError as exc:  # nested beyond orjson's limit
        detail = f"the row cannot be shown as JSON ({exc})"
        return RawRecord(label, row, None, reason="invalid_value", detail=detail)
    if len(raw) > max_bytes:
        return RawRecord(
            label,
            row,
            preview(raw.encode()),
            reason="too_large",
            detail=f"record > max_record_bytes {max_bytes}",
        )
    return checked(RawRecord(label, row, raw, value))


def checked(record: RawRecord) -> RawRecord:
    if isinstance(record.value, dict):
        return record
    kind = type(record.value).__name__
    return RawRecord(
        record.file,
        record.line,
        record.raw,
        reason="wrong_type",
        detail=f"expected a JSON object, got {kind}",
    )


def json_problem(exc: orjson.JSONDecodeError) -> str:
    message = str(exc).split(":", 1)[0]
    return f"{message} at column {exc.colno}" if getattr(exc, "colno", None) else message


def shown_text(text: str) -> str:
    """Text decoded with ``surrogateescape``, with its undecodable bytes shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def preview(data: bytes, limit: int = 1000) -> str:
    return data[:limit].decode("utf-8", "replace") + " ...[truncated]"
