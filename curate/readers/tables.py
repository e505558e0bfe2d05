"""Records out of CSV and TSV files: one record per row, nested columns given as JSON text.

Arena dumps and spreadsheets exported from notebooks are often CSV: the header names the
fields, every value is text, and columns that hold lists or objects (``conversation_a``,
``prompt``) hold them as JSON. Such a cell (text that starts with ``[`` or ``{`` and parses
as JSON) becomes the list or object; an empty cell is null; other cells stay text (readers
accept numbers written as text). A cell holding a Python literal instead of JSON
(``['hi', None]``, what ``str(list)`` writes) cannot be read faithfully, so its row is
refused with ``invalid_json`` and a detail saying how to export it.

Each record carries the line its row starts on (a quoted value may span lines).
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterator
from typing import IO, Any

import orjson

DELIMITERS = {"csv": ",", "tsv": "\t"}


class CellError(ValueError):
    """A cell that cannot be read: ``reason`` is a read-reject reason, the message its detail."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(detail)


Row = tuple[int, dict[str, Any] | None, str, CellError | None]
"""``(line, record, raw text, error)``: a row read, or the reason it could not be."""


def table_rows(handle: IO[bytes], layout: str, max_bytes: int) -> Iterator[Row]:
    """``(line, record, raw, error)`` for every row after the header of a CSV or TSV stream."""
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    with io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        yield from _rows(csv.reader(text, delimiter=DELIMITERS[layout]), DELIMITERS[layout], max_bytes)


def _rows(reader: Any, delimiter: str, max_bytes: int) -> Iterator[Row]:
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        raw = delimiter.join(cells)
        size = len(raw.encode("utf-8", "surrogateescape"))
        try:
            yield start, _record(names, cells, size, max_bytes), raw, None
        except CellError as exc:
            yield start, None, raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), exc


def _record(names: list[str], cells: list[str], size: int, max_bytes: int) -> dict[str, Any]:
    if size > max_bytes:
        raise CellError("too_large", f"{size} bytes > max_record_bytes {max_bytes}")
    if len(cells) > len(names):
        raise CellError("invalid_value", f"the row has {len(cells)} fields, the header {len(names)}")
    record: dict[str, Any] = {}
    for name, cell in zip(names, cells, strict=False):
        record[name] = _value(name, cell)
    for name in names[len(cells) :]:
        record[name] = None
    return record


def _value(name: str, cell: str) -> Any:
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CellError("invalid_utf8", f"column {name!r}: invalid UTF-8 at character {exc.start}") from None
    stripped = cell.strip()
    if not stripped:
        return None
    if stripped[0] not in "[{":
        return cell
    try:
        return orjson.loads(stripped)
    except orjson.JSONDecodeError:
        pass
    if _python_literal(stripped):
        raise CellError(
            "invalid_json",
            f"column {name!r} holds a Python literal (single quotes, None, True), not JSON; "
            "write nested columns with json.dumps (or DataFrame.to_json) and read the file again",
        )
    return cell


def _python_literal(text: str) -> bool:
    """True when ``text`` is a list or dict as Python's ``repr`` writes it."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return isinstance(value, list | dict)
