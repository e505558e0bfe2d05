"""Read one input of a pipeline into canonical conversation rows and read rejects."""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import polars as pl

from curate import registry, schema
from curate.errors import InputError
from curate.licensing import resolve_input_license
from curate.readers.base import Origin, Reader, RecordError, unexpected
from curate.readers.files import RawRecord, iter_raw_records
from curate.readers.locate import Located, locate
from curate.readers.memory import InMemory

if TYPE_CHECKING:
    from curate.config import InputConfig

SNIFF_RECORDS = 20
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CHUNK_ROWS = 10_000


@dataclass
class InputRead:
    """The rows read from one input, what could not be read, and the counts.

    ``license`` is the license the input gives records that carry none (its ``license:``,
    resolved through the registry for ``auto``).
    """

    name: str
    format: str
    frame: pl.DataFrame
    rejects: pl.DataFrame
    records: int
    license: str
    files: list[dict[str, Any]] = field(default_factory=list)
    detected: bool = False

    @property
    def reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(self.rejects["reason"].to_list()).items()))


def read(
    path: str | os.PathLike[str] | object,
    format: str = "auto",
    *,
    name: str = "input",
    strict: bool = False,
    **settings: Any,
) -> InputRead:
    """Read a file, glob or folder as a pipeline input would, from a notebook or a script.

    ``path`` may also be records held in memory: a polars or pandas DataFrame, a
    ``datasets.Dataset`` (``DatasetDict``, ``IterableDataset``), an Arrow table or a list of
    dicts, read as the same records in a file are (``curate.readers.memory``).

    ``settings`` are the other keys of a pipeline input (``license``, ``consent``,
    ``options``, ``limit``, ``max_record_bytes``...); relative paths are taken from the
    current folder.

    An argument a pipeline input would refuse raises ``ConfigError`` naming it
    (``read(): license: unknown license 'CC-BY-4'; did you mean 'CC-BY-4.0'?``).

    >>> read("data/sharegpt.json", "sharegpt", license="CC-BY-4.0").frame  # doctest: +SKIP
    """
    from curate.config import DataInput, InputConfig  # the pipeline file's models sit above the readers
    from curate.config_issues import validated

    context = {"base_dir": Path.cwd()}
    if not isinstance(path, str | os.PathLike):
        data = InMemory(path)
        arguments = {"name": name, "data": data.kind, "format": format, **settings}
        memory = validated(DataInput, arguments, "read()", context=context)
        return read_input(memory, Path.cwd(), strict=strict, data=data)
    arguments = {"name": name, "path": os.fspath(path), "format": format, **settings}
    spec = validated(InputConfig, arguments, "read()", context=context)
    return read_input(spec, Path.cwd(), strict=strict)


def read_input(
    spec: InputConfig,
    base_dir: Path,
    *,
    strict: bool = False,
    on_records: Callable[[int], None] | None = None,
    data: InMemory | None = None,
) -> InputRead:
    """Read every file of ``spec`` (or the records of ``data``) into one frame; bad records go
    to the rejects unless ``strict``.

    Reader options the format refuses raise ``ConfigError`` naming the input and the option.
    """
    stream = InputStream(spec, base_dir, strict=strict, on_records=on_records, data=data)
    shards = list(stream.shards(shard_rows=None))
    frames = [shard.frame for shard in shards]
    return InputRead(
        name=spec.name,
        format=stream.format,
        frame=frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical", rechunk=True),
        rejects=pl.concat([shard.rejects for shard in shards], how="vertical"),
        records=stream.records,
        license=stream.license,
        files=stream.fingerprints(),
        detected=stream.detected,
    )


@dataclass(frozen=True)
class InputShard:
    """A bounded slice of one input: the rows its records gave, and the records that failed.

    ``records`` counts the records read into this shard (kept or rejected), so the shards of
    an input add up to its record count.
    """

    number: int
    frame: pl.DataFrame
    rejects: pl.DataFrame
    records: int


class InputStream:
    """One input read as a sequence of shards, in file order, so no input is ever held whole.

    ``data`` reads records held in memory (``curate.readers.memory``) instead of the files of
    ``spec.path``; everything after the raw records is the same for both. ``located`` gives the
    input's files as the run resolved them (``curate.readers.locate``); by default they are
    resolved here.

    The shards are the same on every run of the same files and ``shard_rows``: a resumed run
    can skip the ones it finished. ``records``, ``format`` and ``license`` are final once
    ``shards`` is exhausted.
    """

    def __init__(
        self,
        spec: InputConfig,
        base_dir: Path,
        *,
        strict: bool = False,
        on_records: Callable[[int], None] | None = None,
        data: InMemory | None = None,
        located: Located | None = None,
    ) -> None:
        self.spec = spec
        self.base_dir = base_dir
        self.strict = strict
        self.on_records = on_records
        self.data = data
        if located is None:
            located = locate(spec, base_dir) if data is None else Located((), base_dir)
        self.located = located
        self.records = 0
        self.detected = spec.format == "auto"
        self.format = spec.format
        self.license = resolve_input_license(spec)

    def fingerprints(self) -> list[dict[str, Any]]:
        """Every file of the input as the manifest records it, in reading order (none for data in memory)."""
        return self.located.fingerprints()

    def shards(self, shard_rows: int | None) -> Iterator[InputShard]:
        """Shards of at most ``shard_rows`` rows (one shard when None); a record's rows stay together."""
        from curate.config_issues import validated

        spec = self.spec
        raws = (
            _records(self.located, spec)
            if self.data is None
            else itertools.islice(self.data.records(spec.max_record_bytes), spec.limit)
        )
        if spec.format == "auto":
            from curate.readers.auto import detect_format

            sample, raws = _sample(raws)
            reader_class = detect_format([raw.value for raw in sample if raw.ok], spec.name)
        else:
            reader_class = registry.readers.get(spec.format)
        self.format = reader_class.format
        options = validated(reader_class.Options, spec.options, f"input {spec.name!r}", ("options",))
        reader = reader_class(options)
        rejects = _Rejects(spec.name, self.strict)
        builder = _RowBuilder(spec, rejects.refuse)
        number = taken = 0
        for raw in raws:
            self.records += 1
            if self.on_records and self.records % 1000 == 0:
                self.on_records(1000)
            origin = Origin(raw.file, raw.line, raw.raw)
            if not raw.ok:
                rejects.add(origin, raw.reason or "invalid_record", raw.detail)
            else:
                try:
                    builder.add(reader.read(raw.value, origin), origin)
                except RecordError as exc:
                    rejects.refuse(origin, exc)
                except Exception as exc:  # one record never ends the run: it is a reject
                    rejects.refuse(origin, unexpected(exc, reader_class.format))
            if shard_rows is not None and builder.size >= shard_rows:
                yield InputShard(number, builder.take(), rejects.take(), self.records - taken)
                number, taken = number + 1, self.records
        finished = reader.finish()
        for origin, error in finished.rejects:
            rejects.refuse(origin, error)
        for origin, rows in finished.rows:
            try:
                builder.add(rows, origin)
            except RecordError as exc:
                rejects.refuse(origin, exc)
        if self.on_records:
            self.on_records(self.records % 1000)
        if number == 0 or builder.size or rejects.size:
            yield InputShard(number, builder.take(), rejects.take(), self.records - taken)


def reader_class_of(spec: InputConfig, located: Located) -> type[Reader]:
    """The reader an input's records go through: its ``format``, or for ``auto`` the one its
    first records look like (as ``InputStream.shards`` finds it)."""
    if spec.format != "auto":
        return registry.readers.get(spec.format)
    from curate.readers.auto import detect_format

    sample, _ = _sample(_records(located, spec))
    return detect_format([raw.value for raw in sample if raw.ok], spec.name)


def _records(located: Located, spec: InputConfig) -> Iterator[RawRecord]:
    count = 0
    for file in located.files:
        for raw in iter_raw_records(file, located.label(file), spec.max_record_bytes):
            if spec.limit is not None and count >= spec.limit:
                return
            count += 1
            yield raw


def _sample(raws: Iterator[RawRecord]) -> tuple[list[RawRecord], Iterator[RawRecord]]:
    """The records read until ``SNIFF_RECORDS`` parsed ones, and all records again after them."""
    sample: list[RawRecord] = []
    parsed = 0
    for raw in raws:
        sample.append(raw)
        parsed += raw.ok
        if parsed >= SNIFF_RECORDS:
            break
    return sample, itertools.chain(sample, raws)


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

    return _RowBuilder(spec, refuse).completed


class _Rejects:
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


class _RowBuilder:
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
        self.seen: Counter[str] = Counter()
        self.taken: set[str] = set()
        self.license = resolve_input_license(spec)
        path = spec.consent_field
        self.consent_keys = path.removeprefix("meta.").split(".") if path is not None else None

    def add(self, rows: list[dict[str, Any]], origin: Origin) -> None:
        """Complete ``rows`` (all of one record, or none if one of them cannot be stored)."""
        done = self.completed(rows)
        for row in done:
            row["id"] = self._unique(str(row["id"]))
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

    def _unique(self, identifier: str) -> str:
        """``identifier``, or the first ``identifier#N`` (N from 2) no earlier row of the input took."""
        if identifier in self.taken:
            number = max(self.seen[identifier], 1) + 1
            while f"{identifier}#{number}" in self.taken:
                number += 1
            self.seen[identifier] = number
            identifier = f"{identifier}#{number}"
        self.taken.add(identifier)
        return identifier

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


def input_files(spec: InputConfig, base_dir: Path) -> list[dict[str, Any]]:
    """Every file of an input as the manifest records it, in reading order (``InputError``: none)."""
    return locate(spec, base_dir).fingerprints()
