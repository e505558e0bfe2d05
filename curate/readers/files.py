"""Raw records out of files: JSON arrays, JSON Lines, Parquet, CSV/TSV, saved datasets, compressed.

Each record comes with the file and the line it starts on (the row number for Parquet and
saved datasets), so that a record that cannot be used can be named precisely. A record that
cannot even be parsed comes out as a ``RawRecord`` with ``error`` set instead of ``value``.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import orjson

from curate.errors import InputError
from curate.readers.discovery import is_saved_dataset, without_compression
from curate.readers.tables import DELIMITERS, table_rows

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


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing by suffix."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    if suffix in (".zst", ".zstd"):
        return cast(IO[bytes], io.BufferedReader(_ZstdFrames(path.open("rb"))))
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix == ".xz":
        return lzma.open(path, "rb")
    return path.open("rb")


class _ZstdFrames(io.RawIOBase):
    """The decompressed bytes of every frame of a ``.zst`` file, in order.

    Unlike zstandard's stream reader, which ends quietly at the end of a cut file, a file that
    ends inside a frame raises ``zstandard.ZstdError`` after the bytes decoded before the cut,
    so the records read up to the damage are kept and the file is still named unreadable.
    """

    def __init__(self, source: IO[bytes]) -> None:
        import zstandard

        self._zstd = zstandard
        self._source = source
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""
        self._fed = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._source.read(1 << 20)
            if not chunk:
                if self._fed and not self._frame.eof:
                    raise self._zstd.ZstdError("the file ends inside a zstd frame (cut or truncated)")
                return 0
            self._pending = self._decode(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _decode(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            if self._frame.eof:
                self._frame = self._zstd.ZstdDecompressor().decompressobj()
            self._fed = True
            out.append(self._frame.decompress(chunk))
            chunk = self._frame.unused_data if self._frame.eof else b""
        return b"".join(out)

    def close(self) -> None:
        self._source.close()
        super().close()


def layout_of(path: Path) -> str:
    """``json``, ``jsonl``, ``parquet``, ``csv``, ``tsv`` or ``saved_dataset``, by the uncompressed name."""
    if path.is_dir():
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


def iter_raw_records(path: Path, label: str, max_bytes: int) -> Iterator[RawRecord]:
    """Every record of one file or saved-dataset folder, in file order."""
    layout = layout_of(path)
    try:
        if layout == "jsonl":
            yield from _jsonl(path, label, max_bytes)
        elif layout == "json":
            yield from _json(path, label, max_bytes)
        elif layout == "parquet":
            yield from _parquet(path, label, max_bytes)
        elif layout in DELIMITERS:
            yield from _table(path, label, max_bytes, layout)
        else:
            yield from _saved_dataset(path, label, max_bytes)
    except _broken_file_errors(path) as exc:
        # The file itself is broken (truncated archive, not Parquet, ...): one reject says so.
        yield RawRecord(label, 0, None, reason="unreadable_file", detail=f"{type(exc).__name__}: {exc}")


def _broken_file_errors(path: Path) -> tuple[type[Exception], ...]:
    """What reading a broken file of this kind raises (zstandard is imported when needed)."""
    errors: tuple[type[Exception], ...] = (OSError, EOFError, ValueError, lzma.LZMAError, csv.Error)
    if path.suffix.lower() in (".zst", ".zstd"):
        import zstandard

        errors += (zstandard.ZstdError,)
    return errors


def _jsonl(path: Path, label: str, max_bytes: int) -> Iterator[RawRecord]:
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
        yield _parse_line(line, label, number, max_bytes)


def _parse_line(data: bytes, label: str, line: int, max_bytes: int) -> RawRecord:
    data = data.rstrip(b"\r\n")
    if len(data) > max_bytes:
        return RawRecord(
            label,
            line,
            _preview(data),
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
        return RawRecord(label, line, text, reason="invalid_json", detail=_json_problem(exc))
    return _checked(RawRecord(label, line, text, value))


def _json(path: Path, label: str, max_bytes: int) -> Iterator[RawRecord]:
    with open_binary(path) as handle:
        data = handle.read().removeprefix(BOM)
    if not data.strip():
        return
    # surrogateescape keeps one bad byte from costing the whole file: only the element
    # holding it is rejected (see _json_array).
    text = data.decode("utf-8", "surrogateescape")
    start = len(text) - len(text.lstrip())
    if text[start] == "[":
        yield from _json_array(text, label, max_bytes, start + 1)
    elif _holds_lines(data):
        yield from _lines(data.split(b"\n"), label, max_bytes)
    else:
        yield _parse_line(data, label, text.count("\n", 0, start) + 1, max_bytes)


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


def _json_array(text: str, label: str, max_bytes: int, position: int) -> Iterator[RawRecord]:
    """Elements of a top-level JSON array, each with the line it starts on."""
    import json

    decoder = json.JSONDecoder()
    line = 1 + text.count("\n", 0, position)
    counted = position
    length = len(text)
    while True:
        position = _skip_space(text, position)
        if position >= length:
            end_line = line + text.count("\n", counted, length)
            yield RawRecord(
                label, end_line, None, reason="invalid_json", detail="the JSON array is not closed"
            )
            return
        if text[position] == "]":
            after = _skip_space(text, position + 1)
            if after < length:
                line += text.count("\n", counted, after)
                yield RawRecord(
                    label,
                    line,
                    text[after : after + 1000],
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
        except (json.JSONDecodeError, RecursionError) as exc:
            problem = (
                f"{exc.msg} at line {exc.lineno} column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else "nested too deeply"
            )
            yield RawRecord(
                label,
                line,
                _preview(text[position : position + 1000].encode("utf-8", "replace")),
                reason="invalid_json",
                detail=f"{problem}; nothing after it can be read",
            )
            return
        raw = text[position:end]
        try:
            size = len(raw.encode("utf-8"))
        except UnicodeEncodeError as exc:
            yield RawRecord(
                label,
                line,
                raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                reason="invalid_utf8",
                detail=f"invalid UTF-8 at character {exc.start} of the element",
            )
        else:
            if size > max_bytes:
                yield RawRecord(
                    label,
                    line,
                    _preview(raw.encode()),
                    reason="too_large",
                    detail=f"{size} bytes > max_record_bytes {max_bytes}",
                )
            else:
                yield _element(raw, label, line)
        position = end


def _element(raw: str, label: str, line: int) -> RawRecord:
    """One array element parsed as a JSON Lines record is (orjson): a number beyond 64 bits or a
    lone surrogate is the same ``invalid_json`` reject on both paths, not a crash later on."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return RawRecord(label, line, raw, reason="invalid_json", detail=_json_problem(exc))
    return _checked(RawRecord(label, line, raw, value))


def _skip_space(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in " \t\r\n":
        position += 1
    return position


def _parquet(path: Path, label: str, max_bytes: int) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq

    with open_binary(path) as handle:
        source = handle if path.suffix.lower() == ".parquet" else io.BytesIO(handle.read())
        parquet = pq.ParquetFile(source)
        row = 0
        for batch in parquet.iter_batches(batch_size=4096):
            for value in batch.to_pylist():
                row += 1
                yield _record_from_row(value, label, row, max_bytes)


def _table(path: Path, label: str, max_bytes: int, layout: str) -> Iterator[RawRecord]:
    with open_binary(path) as handle:
        for line, record, raw, error in table_rows(handle, layout, max_bytes):
            if error is not None:
                shown = _preview(raw.encode()) if error.reason == "too_large" else raw
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
                yield _record_from_row(value, where, row, max_bytes)


def _record_from_row(value: Any, label: str, row: int, max_bytes: int) -> RawRecord:
    raw = orjson.dumps(value, default=str).decode()
    if len(raw) > max_bytes:
        return RawRecord(
            label,
            row,
            _preview(raw.encode()),
            reason="too_large",
            detail=f"record > max_record_bytes {max_bytes}",
        )
    return _checked(RawRecord(label, row, raw, value))


def _checked(record: RawRecord) -> RawRecord:
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


def _json_problem(exc: orjson.JSONDecodeError) -> str:
    message = str(exc).split(":", 1)[0]
    return f"{message} at column {exc.colno}" if getattr(exc, "colno", None) else message


def _preview(data: bytes, limit: int = 1000) -> str:
    return data[:limit].decode("utf-8", "replace") + " ...[truncated]"
