"""Builders for reader tests: write records into a file, read it back as an input."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from curate.config import InputConfig
from curate.readers import READ_REASONS, InputRead, read_input


def write_jsonl(path: Path, records: list[Any]) -> Path:
    """One line per record: a dict or list is dumped as JSON, ``str`` / ``bytes`` go as they are."""
    with path.open("wb") as handle:
        for record in records:
            if isinstance(record, bytes):
                handle.write(record + b"\n")
            elif isinstance(record, str):
                handle.write(record.encode() + b"\n")
            else:
                handle.write(orjson.dumps(record) + b"\n")
    return path


def write_json(path: Path, records: list[Any]) -> Path:
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def spec(folder: Path, path: str, fmt: str = "auto", **settings: Any) -> InputConfig:
    """An input as a pipeline file would declare it, relative to ``folder``."""
    return InputConfig.model_validate(
        {"name": "t", "path": path, "format": fmt, **settings}, context={"base_dir": folder}
    )


def read_path(folder: Path, path: str, fmt: str = "auto", strict: bool = False, **settings: Any) -> InputRead:
    return read_input(spec(folder, path, fmt, **settings), folder, strict=strict)


def read_records(
    folder: Path, records: list[Any], fmt: str = "auto", strict: bool = False, **settings: Any
) -> InputRead:
    """Write ``records`` as ``in.jsonl`` in ``folder`` and read them with the ``fmt`` reader."""
    write_jsonl(folder / "in.jsonl", records)
    return read_path(folder, "in.jsonl", fmt, strict, **settings)


def rows(read: InputRead) -> list[dict[str, Any]]:
    """The rows read, with ``meta`` parsed back into a dict."""
    out = read.frame.to_dicts()
    for row in out:
        row["meta"] = orjson.loads(row["meta"]) if row["meta"] else {}
    return out


def rejects(read: InputRead) -> list[tuple[int, str, str]]:
    """``(line, reason, detail)`` of every read reject, in order; each reason must be declared."""
    found = list(read.rejects.select("line", "reason", "detail").iter_rows())
    undeclared = {reason for _, reason, _ in found} - set(READ_REASONS)
    assert not undeclared, f"read reasons missing from READ_REASONS: {undeclared}"
    return found


def roles(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in row["messages"]]


def oasst(identifier: str, parent: str | None, role: str, **fields: Any) -> dict[str, Any]:
    """One flat oasst message (``text`` derived from its id)."""
    return {
        "message_id": identifier,
        "parent_id": parent,
        "role": role,
        "text": f"text {identifier}",
        **fields,
    }


def jsonl_bytes(records: list[dict[str, Any]]) -> bytes:
    """``records`` as a JSON Lines file's bytes."""
    return "".join(json.dumps(record) + "\n" for record in records).encode()


def parquet_bytes(records: list[dict[str, Any]]) -> bytes:
    """``records`` as a Parquet file's bytes."""
    buffer = io.BytesIO()
    pl.DataFrame(records).write_parquet(buffer)
    return buffer.getvalue()
