"""An input of many files, or one large file, read in pieces by several Ray tasks at once.

Reading an input in one pass, as the local executor does, decides four things in file
order: the ids made unique within the input (a later ``a`` becomes ``a#2``), where shards are
cut (after the record that brings a shard to ``shard_rows``), the line numbers of rejects,
and which blank lines are rejects (those a record follows in the same file). A **piece** is
a file (local or remote), a range of an uncompressed local JSON Lines file that starts and
ends at line starts, or a run of row groups of a local Parquet file (its rows numbered on from
the groups before it). A Ray task reads each piece with the input's reader (``read_piece``) and writes
into the work folder its rows (ids as read), its rejects (a range's lines counted from its
start), and one event per record: rows that fit the columns, rows that do not, or a reject.
The driver then walks the events of every piece in order (``curate.executors.ray.assemble``),
doing with counters and ids what the one pass does, and gives each shard task the slices of
the pieces that hold its rows and rejects, so every shard is the local executor's, byte for
byte.

An input goes by pieces only when its reader converts each record alone (not ``oasst``'s flat
layout, which links messages across records), it reads every record (no ``limit``), it is not
a saved dataset, and it makes at least two pieces or is remote; otherwise one task reads it
in order. A remote file (a Hub dataset's shards, an ``s3://`` glob, one URL) is a piece whole,
never cut, opened by its task at the version the driver listed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

import polars as pl

from curate import schema
from curate.config import InputConfig
from curate.config_issues import validated
from curate.executors.workdir import WorkFolder
from curate.readers.base import Origin, Reader, RecordError, unexpected
from curate.readers.discovery import without_compression
from curate.readers.files import BROKEN_FILE_ERRORS, iter_raw_records, jsonl_range, parquet_row_groups
from curate.readers.load import CHUNK_ROWS, reject_row, row_completer
from curate.readers.locate import Located
from curate.readers.remote import RemoteFile

PIECE_BYTES: Final = 64 * 2**20
"""A JSON Lines file larger than this is read as ranges of about this size, one task each."""

ROWS: Final = 0
"""An event: a record whose rows fit the columns."""
REJECT: Final = 1
"""An event: a record rejected as it was read (its reject is written where it stands)."""
UNFIT: Final = 2
"""An event: a record whose rows do not fit the columns (its reject is written when the rows
gathered before it are made into a frame, as the one pass does)."""

EVENTS = {"kind": pl.Int8, "rows": pl.Int32, "reject": pl.Int32, "reason": pl.String, "blank": pl.Boolean}


@dataclass(frozen=True)
class Piece:
    """One file of an input, or bytes ``start`` to ``end`` of a local one (``end`` None: all of it)."""

    input: int
    number: int
    file: Path | RemoteFile
    label: str
    start: int = 0
    end: int | None = None
    groups: tuple[int, int] | None = None
    """Row groups ``first`` to ``last`` (excluded) of a Parquet file, whose rows are numbered
    on from ``start`` (the rows of the groups before them); ``end`` is then None."""

    @property
    def key(self) -> str:
        return f"{self.input:02d}-{self.number:05d}"

    @property
    def ranged(self) -> bool:
        return self.end is not None


def pieces_step(step: str) -> str:
    """Where the pieces of a step's inputs are kept in the work folder."""
    return f"{step}.pieces"


def defers(reader: type[Reader]) -> bool:
    """Whether a reader keeps records back for ``finish`` (then an input is read in one pass)."""
    return reader.read is not Reader.read or reader.finish is not Reader.finish


def plan_pieces(number: int, located: Located, piece_bytes: int = PIECE_BYTES) -> list[Piece]:
    """The pieces of input ``number``: each file, a large local JSON Lines file by line ranges
    and a large local Parquet file by runs of row groups; none for a saved dataset or a single
    local piece."""
    pieces: list[Piece] = []
    for file in located.files:
        if isinstance(file, RemoteFile):
            # A remote file is a piece whole: its task opens it, pinned to the version listed
            # here (a Hub file at the commit, from the cache when it is there).
            pieces.append(Piece(number, len(pieces), file, located.label(file)))
            continue
        if not file.is_file():
            return []  # a saved dataset: read in one pass
        label = located.label(file)
        name = file.name.lower()
        size = file.stat().st_size
        if without_compression(name) == name and name.endswith((".jsonl", ".ndjson")) and size > piece_bytes:
            for start, end in line_ranges(file, size, piece_bytes):
                pieces.append(Piece(number, len(pieces), file, label, start, end))
        elif (
            name.endswith(".parquet")
            and size > piece_bytes
            and (runs := row_group_ranges(file, size, piece_bytes))
        ):
            for first_row, groups in runs:
                pieces.append(Piece(number, len(pieces), file, label, first_row, groups=groups))
        else:
            pieces.append(Piece(number, len(pieces), file, label))
    # One local piece is read as well by the one-pass task; a remote input always goes by
    # pieces, so its task opens the very version the driver listed (not the latest at that
    # moment) with the driver's settings, not the worker's environment.
    remote = any(isinstance(piece.file, RemoteFile) for piece in pieces)
    return pieces if len(pieces) > 1 or remote else []


def line_ranges(path: Path, size: int, piece_bytes: int) -> list[tuple[int, int]]:
    """Ranges of about ``piece_bytes`` that cover the file, each starting at a line start."""
    bounds = [0]
    with path.open("rb") as handle:
        while bounds[-1] + piece_bytes < size:
            handle.seek(bounds[-1] + piece_bytes - 1)
            handle.readline()  # to the end of the line the byte before the target is on
            at = handle.tell()
            if at >= size:
                break
            bounds.append(at)
    return list(pairwise([*bounds, size]))


def row_group_ranges(path: Path, size: int, piece_bytes: int) -> list[tuple[int, tuple[int, int]]]:
    """Runs of whole row groups of about ``piece_bytes`` (by the file's average), each with the
    rows before it; none for a file whose footer cannot be read. (A file damaged inside a
    group after a whole footer is the one case where pieces differ from one pass: there the
    groups after the damage are read, where one pass stops at it.)"""
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(path).metadata
    except BROKEN_FILE_ERRORS:
        return []  # read whole, as one pass reads it: its records up to the damage, then a reject
    count = metadata.num_row_groups
    per_piece = max(1, piece_bytes * count // max(size, 1))
    found = []
    rows = 0
    for first in range(0, count, per_piece):
        last = min(first + per_piece, count)
        found.append((rows, (first, last)))
        rows += sum(metadata.row_group(group).num_rows for group in range(first, last))
    return found


def read_piece(
    piece: Piece, spec: InputConfig, reader_class: type[Reader], work: WorkFolder, step: str
) -> None:
    """Read ``piece`` with the input's reader and write its rows, rejects, events and ids."""
    started = time.perf_counter()
    options = validated(reader_class.Options, spec.options, f"input {spec.name!r}", ("options",))
    reader = reader_class(options)
    complete = row_completer(spec)
    found = _Found(spec.name)
    lines = 0
    file = piece.file
    if piece.end is not None and isinstance(file, Path):
        raws = jsonl_range(file, piece.label, piece.start, piece.end, spec.max_record_bytes)
    elif piece.groups is not None and isinstance(file, Path):
        groups = range(*piece.groups)
        raws = parquet_row_groups(file, piece.label, groups, piece.start, spec.max_record_bytes)
    else:
        raws = iter_raw_records(file, piece.label, spec.max_record_bytes)
    for raw in raws:
        lines = raw.line
        origin = Origin(raw.file, raw.line, raw.raw)
        if not raw.ok:
            found.reject(origin, raw.reason or "invalid_record", raw.detail, blank=raw.reason == "empty_line")
            continue
        try:
            rows = complete(reader.read(raw.value, origin))
        except RecordError as exc:
            found.refuse(origin, exc)
        except Exception as exc:  # one record never ends the run: it is a reject
            found.refuse(origin, unexpected(exc, reader_class.format))
        else:
            found.add(rows, Origin(origin.file, origin.line))
    found.frame()
    facts = {
        "lines": lines if piece.ranged else 0,
        "filled": found.filled,
        "seconds": time.perf_counter() - started,
    }
    parts = {
        "rows": pl.concat(found.frames, how="vertical", rechunk=True) if found.frames else schema.empty(),
        "rejects": pl.DataFrame(found.rejects, schema=schema.READ_REJECT),
        "events": pl.DataFrame(found.events, schema=EVENTS, orient="row"),
        "ids": pl.DataFrame({"id": found.ids}, schema={"id": pl.String}),
    }
    work.write_shard(pieces_step(step), piece.key, parts, facts)


class _Found:
    """What reading a piece found, in order: events, rejects, the rows in frames, their ids."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.events: list[tuple[int, int, int, str | None, bool]] = []
        self.rejects: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.frames: list[pl.DataFrame] = []
        self.filled = False
        """Whether the piece holds a line that is not blank (blank lines before it are rejects)."""
        self._pending: list[tuple[int, Origin, list[dict[str, Any]]]] = []
        self._pending_rows = 0

    def reject(self, origin: Origin, reason: str, detail: str | None, blank: bool = False) -> None:
        self.filled = self.filled or not blank
        self.events.append((REJECT, 0, len(self.rejects), reason, blank))
        self.rejects.append(reject_row(self.source, origin, reason, detail))

    def refuse(self, origin: Origin, error: RecordError) -> None:
        self.reject(origin, error.reason, f"{error.field}: {error.message}")

    def add(self, rows: list[dict[str, Any]], origin: Origin) -> None:
        self.filled = True
        self._pending.append((len(self.events), origin, rows))
        self.events.append((ROWS, len(rows), -1, None, False))
        self.ids.extend(str(row["id"]) for row in rows)
        self._pending_rows += len(rows)
        if self._pending_rows >= CHUNK_ROWS:
            self.frame()

    def frame(self) -> None:
        """The rows gathered since the last frame as one; a record whose rows do not fit the
        columns becomes an ``UNFIT`` event with its reject (as ``RowBuilder._frame`` does)."""
        pending, self._pending, self._pending_rows = self._pending, [], 0
        if not pending:
            return
        try:
            self.frames.append(schema.conversations([row for _, _, rows in pending for row in rows]))
            return
        except Exception:
            pass
        for event, origin, rows in pending:
            try:
                self.frames.append(schema.conversations(rows))
            except Exception as exc:
                problem = f"does not fit the conversation columns ({type(exc).__name__})"
                error = RecordError("invalid_value", "row", problem)
                self.events[event] = (UNFIT, len(rows), len(self.rejects), error.reason, False)
                self.rejects.append(reject_row(self.source, origin, error.reason, f"row: {problem}"))
