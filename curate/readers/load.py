"""Read one input of a pipeline into canonical conversation rows and read rejects."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from curate import registry, schema
from curate.config import InputConfig, files_of
from curate.errors import InputError
from curate.readers.base import Reader, RecordError
from curate.readers.files import RawRecord, iter_raw_records

SNIFF_RECORDS = 20


@dataclass
class InputRead:
    """The rows read from one input, what could not be read, and the counts."""

    name: str
    format: str
    frame: pl.DataFrame
    rejects: pl.DataFrame
    records: int
    files: list[dict[str, Any]] = field(default_factory=list)
    detected: bool = False

    @property
    def reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(self.rejects["reason"].to_list()).items()))


def read_input(
    spec: InputConfig,
    base_dir: Path,
    *,
    strict: bool = False,
    on_records: Callable[[int], None] | None = None,
) -> InputRead:
    """Read every file of ``spec``; bad records go to the rejects unless ``strict``."""
    paths = files_of(spec.path, base_dir)
    if not paths:
        raise InputError(f"input {spec.name!r}: no file matches {spec.path!r}")
    labels = {path: _label(path, base_dir) for path in paths}
    reader_class, detected = _reader_class(spec, paths, labels)
    reader = reader_class(reader_class.Options.model_validate(spec.options))
    builder = _RowBuilder(spec)
    rejects: list[dict[str, Any]] = []
    records = 0
    for raw in _records(paths, labels, spec):
        records += 1
        if on_records and records % 1000 == 0:
            on_records(1000)
        if raw.ok:
            try:
                builder.add(reader.convert(raw.value))
                continue
            except RecordError as exc:
                raw = RawRecord(
                    raw.file, raw.line, raw.raw, reason=exc.reason, detail=f"{exc.field}: {exc.message}"
                )
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                # Foreign messages may quote record text; name only the kind of failure.
                raw = RawRecord(
                    raw.file,
                    raw.line,
                    raw.raw,
                    reason="invalid_record",
                    detail=f"{type(exc).__name__} while reading a {reader_class.format} record",
                )
        if strict:
            raise InputError(
                f"{raw.file}:{raw.line}: {raw.reason}: {raw.detail} (run without --strict to skip it)"
            )
        rejects.append(
            {
                "source": spec.name,
                "file": raw.file,
                "line": raw.line,
                "stage": "read",
                "reason": raw.reason,
                "detail": raw.detail,
                "raw": raw.raw,
            }
        )
    if on_records:
        on_records(records % 1000)
    return InputRead(
        name=spec.name,
        format=reader_class.format,
        frame=builder.frame(),
        rejects=pl.DataFrame(rejects, schema=schema.READ_REJECT),
        records=records,
        files=[fingerprint(path, labels[path]) for path in paths],
        detected=detected,
    )


def _records(paths: list[Path], labels: dict[Path, str], spec: InputConfig) -> Iterator[RawRecord]:
    count = 0
    for path in paths:
        for raw in iter_raw_records(path, labels[path], spec.max_record_bytes):
            if spec.limit is not None and count >= spec.limit:
                return
            count += 1
            yield raw


def _reader_class(spec: InputConfig, paths: list[Path], labels: dict[Path, str]) -> tuple[type[Reader], bool]:
    if spec.format != "auto":
        return registry.readers.get(spec.format), False
    from curate.readers.auto import detect_format

    sample: list[dict[str, Any]] = []
    for path in paths:
        for raw in iter_raw_records(path, labels[path], spec.max_record_bytes):
            if raw.ok:
                sample.append(raw.value)
            if len(sample) >= SNIFF_RECORDS:
                break
        if len(sample) >= SNIFF_RECORDS:
            break
    return detect_format(sample, spec.name), True


class _RowBuilder:
    """Fills input-level defaults and keeps ids unique within the input."""

    def __init__(self, spec: InputConfig) -> None:
        self.spec = spec
        self.rows: list[dict[str, Any]] = []
        self.seen: Counter[str] = Counter()
        self.license = spec.license if spec.license not in (None, "auto") else "unspecified"

    def add(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["source"] = self.spec.name
            row.setdefault("license", None)
            row["license"] = row["license"] or self.license
            meta = row.get("meta")
            row["consent"] = row.get("consent") or self._consent(meta)
            if isinstance(meta, dict):
                row["meta"] = orjson.dumps(meta, default=str).decode() if meta else None
            identifier = str(row["id"])
            self.seen[identifier] += 1
            if self.seen[identifier] > 1:
                identifier = f"{identifier}#{self.seen[identifier]}"
            row["id"] = identifier
            self.rows.append(row)

    def _consent(self, meta: Any) -> str:
        if self.spec.consent_field is None or not isinstance(meta, dict):
            return self.spec.consent
        value: Any = meta
        for key in self.spec.consent_field.removeprefix("meta.").split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return self.spec.consent
        key = str(value).lower() if isinstance(value, bool) else str(value)
        return self.spec.consent_values.get(key, "unknown")

    def frame(self) -> pl.DataFrame:
        return schema.conversations(self.rows)


def fingerprint(path: Path, label: str) -> dict[str, Any]:
    """Size and SHA-256 of a file (of every file, for a saved-dataset folder)."""
    digest = hashlib.sha256()
    size = 0
    members = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for member in members:
        with member.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(block)
                size += len(block)
    return {"path": label, "bytes": size, "sha256": digest.hexdigest()}


def _label(path: Path, base_dir: Path) -> str:
    """The path as the pipeline file would write it: relative to the file's folder."""
    return Path(os.path.relpath(path.resolve(), base_dir.resolve())).as_posix()
