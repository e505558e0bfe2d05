"""Raw records out of files: JSON arrays, JSON Lines, Parquet, CSV/TSV, saved datasets, compressed.

Each record comes with the file and the line it starts on (the row number for Parquet and
saved datasets), so that a record that cannot be used can be named precisely. A record that
cannot even be parsed comes out as a ``RawRecord`` with ``error`` set instead of ``value``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import orjson

from curate.errors import InputError
from curate.readers.compression import open_binary, read_until_damage
from curate.readers.discovery import is_saved_dataset, without_compression
from curate.readers.jsonscan import value_end
from curate.readers.ranges import jsonl_range as jsonl_range
from curate.readers.ranges import parquet_row_groups as parquet_row_groups
from curate.readers.raw import BOM, checked, json_problem, parse_line, preview, record_from_row, shown_text
from curate.readers.raw import RawRecord as RawRecord
from curate.readers.remote import RemoteFile
from curate.readers.tables import DELIMITERS, table_rows


def layout_of(path: Path | RemoteFile) -> str:
    """``json``, ``jsonl``, ``parquet``, ``csv``, ``tsv`` or ``saved_dataset``, by the uncompressed name."""
    if isinstance(path, Path) and path.is_dir():
        return "saved_dataset" if is_saved_dataset(path) else "folder"
    name = without_compression(path.name.lower())
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".json"):
        return "json"
    for layout in DELIMITERS:
        if name.endswith(f".{layout}"):
            return layout
    raise InputError(
        f"{path}: unknown file type; expected .json, .jsonl, .parquet, .csv or .tsv (optionally .gz/.zst)"
    )


def iter_raw_records(path: Path | RemoteFile, label: str, max_bytes: int) -> Iterator[RawRecord]:
    """Every record of one file (local or remote) or saved-dataset folder, in file order."""
    layout = layout_of(path)
    if _size(path) == 0:
        return  # an empty file holds no record, whatever its suffix promises
    try:
        if layout == "jsonl":
            yield from _jsonl(path, label, max_bytes)
        elif layout == "json":
            yield from _json(path, label, max_bytes)
        elif layout == "parquet":
            yield from _parquet(path, label, max_bytes)
        elif layout in DELIMITERS:
            yield from _table(path, label, max_bytes, layout)
        elif isinstance(path, Path):
            yield from _saved_dataset(path, label, max_bytes)
    except BROKEN_FILE_ERRORS as exc:
        # The file itself is broken (truncated archive, not Parquet, ...): one reject says so,
        # after the records read before the damage.
        yield _unreadable(label, exc)


def _size(path: Path | RemoteFile) -> int | None:
    if isinstance(path, RemoteFile):
        return path.size
    return path.stat().st_size if path.is_file() else None


BROKEN_FILE_ERRORS = (OSError, EOFError, ValueError, csv.Error)
"""What reading a broken file raises (damaged archives raise ``DamagedFileError``, an ``OSError``)."""


def _unreadable(label: str, exc: Exception) -> RawRecord:
    return RawRecord(label, 0, None, reason="unreadable_file", detail=f"{type(exc).__name__}: {exc}")


def _jsonl(path: Path | RemoteFile, label: str, max_bytes: int) -> Iterator[RawRecord]:
    with open_binary(path) as handle:
        stream = handle if isinstance(handle, io.BufferedIOBase) else io.BufferedReader(cast(Any, handle))
        yield from _lines(stream, label, max_bytes)


def _lines(lines: Iterable[bytes], label: str, max_bytes: int) -> Iterator[RawRecord]:
    """JSON Lines records; a blank line before a later record is a reject, trailing ones are not."""
    blank: list[int] = []
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix(BOM)
        if not line.strip():
            blank.append(number)
            continue
        for empty in blank:
            yield RawRecord(label, empty, "", reason="empty_line", detail="blank line between records")
        blank.clear()
        yield parse_line(line, label, number, max_bytes)


def _json(path: Path | RemoteFile, label: str, max_bytes: int) -> Iterator[RawRecord]:
    """A JSON array, one object, or JSON Lines under a ``.json`` name.

    The file is read whole. A compressed file that is damaged gives the records of the bytes
    read before the damage (the element the damage cut short is not reported on its own),
    then one ``unreadable_file`` reject.
    """
    with open_binary(path) as handle:
        data, damage = read_until_damage(handle)
    if damage is not None and not data:
        raise damage
    data = data.removeprefix(BOM)
    if data.strip():
        yield from _json_text(data, label, max_bytes, cut=damage is not None)
    if damage is not None:
        yield _unreadable(label, damage)


def _json_text(data: bytes, label: str, max_bytes: int, cut: bool) -> Iterator[RawRecord]:
    # surrogateescape keeps one bad byte from costing the whole file: only the element
    # holding it is rejected (see _json_array).
    text = data.decode("utf-8", "surrogateescape")
    start = len(text) - len(text.lstrip())
    if text[start] == "[":
        yield from _json_array(text, label, max_bytes, start + 1, cut)
    elif _holds_lines(data):
        lines = data.split(b"\n")
        yield from _lines(lines[:-1] if cut else lines, label, max_bytes)
    elif not cut:
        yield parse_line(data, label, text.count("\n", 0, start) + 1, max_bytes)


def _holds_lines(data: bytes) -> bool:
    """True for JSON Lines saved under a ``.json`` name: one complete object per line."""
    lines = [line.strip() for line in data.split(b"\n", 2)[:2]]
    if len(lines) < 2 or not all(lines):
        return False
    first = lines[0]
    if first.startswith(b"{") and first.endswith(b"}"):
        return True
    try:
        return isinstance(orjson.loads(first), dict)
    except orjson.JSONDecodeError:
        return False


def _json_array(text: str, label: str, max_bytes: int, position: int, cut: bool) -> Iterator[RawRecord]:
    """Elements of a top-level JSON array, each with the line it starts on.

    An element the decoder cannot parse is skipped to where its brackets close
    (``jsonscan.value_end``), so it is rejected alone; only brackets that never close end the
    reading. ``cut`` (the text stops where a damaged file did) leaves the unclosed end unreported.
    """
    decoder = json.JSONDecoder()
    line = 1 + text.count("\n", 0, position)
    counted = position
    length = len(text)
    while True:
        position = _skip_space(text, position)
        if position >= length:
            if not cut:
                end_line = line + text.count("\n", counted, length)
                detail = "the JSON array is not closed"
                yield RawRecord(label, end_line, None, reason="invalid_json", detail=detail)
            return
        if text[position] == "]":
            after = _skip_space(text, position + 1)
            if after < length:
                line += text.count("\n", counted, after)
                yield RawRecord(
                    label,
                    line,
                    shown_text(text[after : after + 1000]),
                    reason="invalid_json",
                    detail="text after the closing ] of the JSON array (a second array or a cut copy?)",
                )
            return
        if text[position] == ",":
            position += 1
            continue
        line += text.count("\n", counted, position)
        counted = position
        try:
            _, end = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as exc:
            found = value_end(text, position)
            if found is None:
                if not cut:
                    yield RawRecord(
                        label,
                        line,
                        preview(text[position : position + 1000].encode("utf-8", "replace")),
                        reason="invalid_json",
                        detail=f"{_decoder_problem(exc)}; nothing after it can be read",
                    )
                return
            end = found
        yield _sized_element(text[position:end], label, line, max_bytes)
        position = end


def _decoder_problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "not valid JSON"


def _sized_element(raw: str, label: str, line: int, max_bytes: int) -> RawRecord:
    try:
        size = len(raw.encode("utf-8"))
    except UnicodeEncodeError as exc:
        return RawRecord(
            label,
            line,
            shown_text(raw),
            reason="invalid_utf8",
            detail=f"invalid UTF-8 at character {exc.start} of the element",
        )
    if size > max_bytes:
        return RawRecord(
            label,
            line,
            preview(raw.encode()),
            reason="too_large",
            detail=f"{size} bytes > max_record_bytes {max_bytes}",
        )
    return _element(raw, label, line)


def _element(raw: str, label: str, line: int) -> RawRecord:
    """One array element parsed as a JSON Lines record is (orjson): a number beyond 64 bits or a
    lone surrogate is the same ``invalid_json`` reject on both paths, not a crash later on."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return RawRecord(label, line, raw, reason="invalid_json", detail=json_problem(exc))
    return checked(RawRecord(label, line, raw, value))


def _skip_space(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in " \t\r\n":
        position += 1
    return position


def _parquet(path: Path | RemoteFile, label: str, max_bytes: int) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq

    damage = None
    with open_binary(path, seekable=True) as handle:
        if path.suffix.lower() == ".parquet":
            source: Any = handle
        else:
            data, damage = read_until_damage(handle)
            source = io.BytesIO(data)
        try:
            parquet = pq.ParquetFile(source)
        except BROKEN_FILE_ERRORS:
            if damage is None:
                raise
            raise damage from None
        row = 0
        for batch in parquet.iter_batches(batch_size=4096):
            for value in batch.to_pylist():
                row += 1
                yield record_from_row(value, label, row, max_bytes)
    if damage is not None:  # a whole Parquet file with bytes after it that are not a stream
        yield _unreadable(label, damage)


def _table(path: Path | RemoteFile, label: str, max_bytes: int, layout: str) -> Iterator[RawRecord]:
    with open_binary(path) as handle:
        for line, record, raw, error in table_rows(handle, layout, max_bytes):
            if error is not None:
                shown = preview(raw.encode()) if error.reason == "too_large" else raw
                yield RawRecord(label, line, shown, reason=error.reason, detail=str(error))
            else:
                yield RawRecord(label, line, raw, record)


def _saved_dataset(path: Path, label: str, max_bytes: int) -> Iterator[RawRecord]:
    import datasets

    loaded = datasets.load_from_disk(str(path))
    parts = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [(None, loaded)]
    for split, dataset in parts:
        where = f"{label}[{split}]" if split else label
        row = 0
        for batch in dataset.with_format("arrow").iter(batch_size=4096):
            for value in batch.to_pylist():
                row += 1
                yield record_from_row(value, where, row, max_bytes)
