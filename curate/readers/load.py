"""Read one input of a pipeline into canonical conversation rows and read rejects."""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from curate import registry
from curate.licensing import resolve_input_license
from curate.readers.base import Origin, Reader, RecordError, unexpected
from curate.readers.files import RawRecord, iter_raw_records
from curate.readers.locate import Located, locate
from curate.readers.memory import InMemory
from curate.readers.rows import CHUNK_ROWS as CHUNK_ROWS
from curate.readers.rows import Rejects, RowBuilder
from curate.readers.rows import reject_row as reject_row
from curate.readers.rows import row_completer as row_completer

if TYPE_CHECKING:
    from curate.config import InputConfig

SNIFF_RECORDS = 20


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
        rejects = Rejects(spec.name, self.strict)
        builder = RowBuilder(spec, rejects.refuse)
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


def input_files(spec: InputConfig, base_dir: Path) -> list[dict[str, Any]]:
    """Every file of an input as the manifest records it, in reading order (``InputError``: none)."""
    return locate(spec, base_dir).fingerprints()
