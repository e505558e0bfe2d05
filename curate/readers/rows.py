"""A reader's rows made the input's rows, and its refused records made read rejects.

``RowBuilder`` fills in the input's defaults (source, license, consent), keeps ids unique within
the input and gathers the rows into frames; ``Rejects`` gathers the read rejects (``strict``:
the first one stops the run). The one-pass reading (``curate.readers.load``) and the Ray
executor's pieces both build their rows here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from curate import schema
from curate.errors import InputError
from curate.licensing import resolve_input_license
from curate.readers.base import Origin, RecordError

if TYPE_CHECKING:
    from curate.config import InputConfig

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CHUNK_ROWS = 10_000


class UniqueIds:
    """Ids made unique within an input, in reading order: an id, or the first ``id#N`` (N
    from 2) no earlier row of the input took."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.seen: Counter[str] = Counter()

    def __call__(self, identifier: str) -> str:
        if identifier in self.taken:
            number = max(self.seen[identifier], 1) + 1
            while f"{identifier}#{number}" in self.taken:
                number += 1
            self.seen[identifier] = number
            identifier = f"{identifier}#{number}"
        self.taken.add(identifier)
        return identifier


def reject_row(source: str, origin: Origin, reason: str, detail: str | None) -> dict[str, Any]:
    """One read reject as the rejects file holds it (``schema.READ_REJECT``)."""
    return {
        "source": source,
        "file": origin.file,
        "line": origin.line,
        "stage": "read",
        "reason": reason,
        "detail": detail,
        "raw": origin.raw,
    }


def row_completer(spec: InputConfig) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """What reading does to the rows of one record before their ids are made unique within the
    input: the input's defaults filled in, ``RecordError`` for a row that cannot be stored."""

    def refuse(origin: Origin, error: RecordError) -> None:
        raise error

    return RowBuilder(spec, refuse).completed


class Rejects:
    """Read rejects of one input; under ``strict`` the first one raises ``InputError``."""

    def __init__(self, source: str, strict: bool) -> None:
        self.source = source
        self.strict = strict
        self.rows: list[dict[str, Any]] = []

    def add(self, origin: Origin, reason: str, detail: str | None) -> None:
        if self.strict:
            raise InputError(
                f"{origin.file}:{origin.line}: {reason}: {detail} (run without --strict to skip it)"
            )
        self.rows.append(reject_row(self.source, origin, reason, detail))

    def refuse(self, origin: Origin, error: RecordError) -> None:
        self.add(origin, error.reason, f"{error.field}: {error.message}")

    @property
    def size(self) -> int:
        return len(self.rows)

    def take(self) -> pl.DataFrame:
        """The rejects gathered since the last call, as a frame."""
        frame = pl.DataFrame(self.rows, schema=schema.READ_REJECT)
        self.rows = []
        return frame


class RowBuilder:
    """Fills input-level defaults and keeps ids unique within the input.

    Rows become polars frames every ``CHUNK_ROWS`` rows: a row as Python dicts takes several
    times the memory of the same row in a frame. Should a chunk not fit the columns, its
    records are tried one by one and each that does not fit is given to ``refuse``, so one
    record never costs the others.
    """

    def __init__(self, spec: InputConfig, refuse: Callable[[Origin, RecordError], None]) -> None:
        self.spec = spec
        self.refuse = refuse
        self.rows: list[dict[str, Any]] = []
        self.records: list[tuple[Origin, int]] = []
        self.chunks: list[pl.DataFrame] = []
        self.unique = UniqueIds()
        self.license = resolve_input_license(spec)
        path = spec.consent_field
        self.consent_keys = path.removeprefix("meta.").split(".") if path is not None else None

    def add(self, rows: list[dict[str, Any]], origin: Origin) -> None:
        """Complete ``rows`` (all of one record, or none if one of them cannot be stored)."""
        done = self.completed(rows)
        for row in done:
            row["id"] = self.unique(str(row["id"]))
            self.rows.append(row)
        self.records.append((Origin(origin.file, origin.line), len(done)))
        if len(self.rows) >= CHUNK_ROWS:
            self.chunks.append(self._frame())

    def completed(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` (all of one record) with the input's defaults, their ids not yet made unique;
        ``RecordError`` when one cannot be stored."""
        done = [self._complete(row) for row in rows]
        for row in done:
            identifier = str(row["id"])
            if CONTROL.search(identifier):
                raise RecordError("invalid_value", "id", "holds control characters (NUL, newline, ...)")
        return done

    def _frame(self) -> pl.DataFrame:
        """The rows gathered since the last chunk as a frame, without the records that do not fit."""
        rows, records = self.rows, self.records
        self.rows, self.records = [], []
        try:
            return schema.conversations(rows)
        except Exception:
            frames = []
            start = 0
            for origin, count in records:
                try:
                    frames.append(schema.conversations(rows[start : start + count]))
                except Exception as exc:
                    problem = f"does not fit the conversation columns ({type(exc).__name__})"
                    self.refuse(origin, RecordError("invalid_value", "row", problem))
                start += count
            return pl.concat(frames, how="vertical") if frames else schema.empty()

    def _complete(self, row: dict[str, Any]) -> dict[str, Any]:
        row["source"] = self.spec.name
        row["license"] = row.get("license") or self.license
        meta = row.get("meta")
        row["consent"] = row.get("consent") or self._consent(meta)
        if isinstance(meta, dict):
            try:
                row["meta"] = orjson.dumps(meta, default=str).decode() if meta else None
            except orjson.JSONEncodeError as exc:
                raise RecordError("invalid_value", "meta", f"cannot be stored as JSON ({exc})") from None
        return row

    def _consent(self, meta: Any) -> schema.ConsentValue:
        if self.consent_keys is None or not isinstance(meta, dict):
            return self.spec.consent
        value: Any = meta
        for key in self.consent_keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return self.spec.consent
        key = str(value).lower() if isinstance(value, bool) else str(value)
        return self.spec.consent_values.get(key, "unknown")

    @property
    def size(self) -> int:
        return sum(chunk.height for chunk in self.chunks) + len(self.rows)

    def take(self) -> pl.DataFrame:
        """The rows completed since the last call, as one frame."""
        chunks = [*self.chunks, self._frame()]
        self.chunks = []
        return chunks[0] if len(chunks) == 1 else pl.concat(chunks, how="vertical", rechunk=True)
