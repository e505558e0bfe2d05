"""The shards of an input read in pieces: the one pass of the local reader, replayed from events.

``assemble`` walks the events the piece tasks wrote (``curate.executors.ray.pieces``), in
piece order, as ``InputStream.shards`` walks records: every row's id is made unique within
the input (rows of a record that does not fit the columns take their ids too, as they do
there), a record that does not fit is rejected when the rows gathered with it are framed
(every ``CHUNK_ROWS`` rows, and when a shard is cut), a shard is cut after the record that
brings it to ``shard_rows``, a range's trailing blank lines are rejects only if a later
piece of the file holds a record, and a range's lines are counted on from the ranges
before it. Only counters, ids and reasons are read here; each ``PieceShard`` names the
slices of the pieces that hold its rows and rejects, which its Ray task reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from curate import schema
from curate.errors import InputError
from curate.executors.ray.pieces import REJECT, ROWS, UNFIT, Piece, pieces_step
from curate.executors.workdir import WorkFolder
from curate.readers.load import CHUNK_ROWS
from curate.readers.rows import UniqueIds


@dataclass(frozen=True)
class PieceShard:
    """One shard of an input read in pieces: where its rows and rejects are, and its figures."""

    key: str
    step: str
    """The pieces' step in the work folder."""
    slices: tuple[tuple[str, int, int], ...]
    """(piece, first row, rows) of the shard's rows, in order."""
    renamed: tuple[tuple[int, str], ...]
    """(row of the shard, id) of the rows whose id an earlier row of the input had taken."""
    rejected: tuple[tuple[str, int, int], ...]
    """(piece, reject, lines before the piece in its file) of the shard's rejects, in order."""
    facts: dict[str, Any] = field(default_factory=dict)

    def rows(self, work: WorkFolder) -> pl.DataFrame:
        frames = [
            pl.scan_parquet(work.path_of(self.step, piece, "rows")).slice(first, count).collect()
            for piece, first, count in self.slices
        ]
        frame = pl.concat(frames, how="vertical", rechunk=True) if frames else schema.empty()
        if self.renamed:
            ids = frame["id"].to_list()
            for row, identifier in self.renamed:
                ids[row] = identifier
            frame = frame.with_columns(pl.Series("id", ids, dtype=frame.schema["id"]))
        return frame

    def parts_of(self, work: WorkFolder) -> dict[str, pl.DataFrame]:
        frames = []
        loaded: dict[str, pl.DataFrame] = {}
        for piece, index, offset in self.rejected:
            if piece not in loaded:
                loaded[piece] = work.frame(self.step, piece, "rejects")
            row = loaded[piece].slice(index, 1)
            frames.append(row.with_columns(pl.col("line") + offset) if offset else row)
        rejects = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema.READ_REJECT)
        return {"rejects-read": rejects}


def assemble(
    work: WorkFolder, step: str, pieces: list[Piece], shard_rows: int, strict: bool
) -> Iterator[PieceShard]:
    """The shards of one input from its pieces' events, as its one pass would cut them."""
    cutter = _Cutter(work, pieces_step(step), pieces[0].input, shard_rows, strict)
    facts = [work.facts(pieces_step(step), piece.key) for piece in pieces]
    offset = 0
    for at, piece in enumerate(pieces):
        if at and pieces[at - 1].file != piece.file:
            offset = 0
        # Blank lines that end a range are rejects only if a later range of the file has a record.
        later = any(
            facts[after]["filled"] for after in range(at + 1, len(pieces)) if pieces[after].file == piece.file
        )
        yield from cutter.piece(
            piece.key, offset, facts[at]["seconds"], keep_trailing=not piece.ranged or later
        )
        offset += facts[at]["lines"]
    yield from cutter.last()


class _Cutter:
    """The state of the one pass: ids taken, rows gathered, the shard being filled."""

    def __init__(self, work: WorkFolder, step: str, number: int, shard_rows: int, strict: bool) -> None:
        self.work = work
        self.step = step
        self.number = number
        self.shard_rows = shard_rows
        self.strict = strict
        self.unique = UniqueIds()
        self.shards = 0
        self._new_shard()

    def _new_shard(self) -> None:
        self.slices: list[list[Any]] = []
        self.renamed: list[tuple[int, str]] = []
        self.rejected: list[tuple[str, int, int]] = []
        self.reasons: Counter[str] = Counter()
        self.records = 0
        self.kept = 0
        """Rows of the shard that fit, so far."""
        self.framed = 0
        """Rows in the shard's frames (``RowBuilder.chunks``)."""
        self.pending: list[tuple[str, int, int, str, int]] = []
        """Records whose rows are gathered but not framed: (piece, reject or -1, rows, reason,
        lines before the piece)."""
        self.pending_rows = 0
        self.seconds = 0.0

    def piece(self, key: str, offset: int, seconds: float, keep_trailing: bool) -> Iterator[PieceShard]:
        events = self.work.frame(self.step, key, "events")
        ids = self.work.frame(self.step, key, "ids")["id"].to_list()
        kinds = events["kind"].to_list()
        blanks = events["blank"].to_list()
        last = max((at for at, blank in enumerate(blanks) if not blank), default=-1)
        share = seconds / len(kinds) if kinds else 0.0
        row = at_id = 0
        for at, (kind, rows, reject, reason) in enumerate(
            zip(
                kinds,
                events["rows"].to_list(),
                events["reject"].to_list(),
                events["reason"].to_list(),
                strict=True,
            )
        ):
            if at > last and not keep_trailing:
                break  # the blank lines that end the file
            self.records += 1
            self.seconds += share
            if kind == REJECT:
                self._reject(key, reject, offset, reason)
            else:
                first = self.kept
                for position, identifier in enumerate(ids[at_id : at_id + rows]):
                    unique = self.unique(identifier)
                    if unique != identifier and kind == ROWS:
                        self.renamed.append((first + position, unique))
                at_id += rows
                if kind == ROWS:
                    if (
                        self.slices
                        and self.slices[-1][0] == key
                        and self.slices[-1][1] + self.slices[-1][2] == row
                    ):
                        self.slices[-1][2] += rows
                    else:
                        self.slices.append([key, row, rows])
                    row += rows
                    self.kept += rows
                self.pending.append((key, reject if kind == UNFIT else -1, rows, reason or "", offset))
                self.pending_rows += rows
                if self.pending_rows >= CHUNK_ROWS:
                    self._frame()
            if self.framed + self.pending_rows >= self.shard_rows:
                self._frame()
                yield self._cut()

    def last(self) -> Iterator[PieceShard]:
        if self.shards == 0 or self.framed + self.pending_rows or self.rejected:
            self._frame()
            yield self._cut()

    def _reject(self, key: str, reject: int, offset: int, reason: str) -> None:
        if self.strict:
            found = self.work.frame(self.step, key, "rejects").row(reject, named=True)
            line = found["line"] + offset
            where = f"{found['file']}:{line}"
            raise InputError(
                f"{where}: {found['reason']}: {found['detail']} (run without --strict to skip it)"
            )
        self.rejected.append((key, reject, offset))
        self.reasons[reason] += 1

    def _frame(self) -> None:
        for key, reject, rows, reason, offset in self.pending:
            if reject >= 0:
                self._reject(key, reject, offset, reason)
            else:
                self.framed += rows
        self.pending, self.pending_rows = [], 0

    def _cut(self) -> PieceShard:
        facts = {
            "read": {
                "input": self.number,
                "records": self.records,
                "rows": self.kept,
                "rejected": len(self.rejected),
                "reasons": dict(sorted(self.reasons.items())),
                "seconds": self.seconds,
            }
        }
        shard = PieceShard(
            key=f"{self.number:02d}-{self.shards:05d}",
            step=self.step,
            slices=tuple((key, first, count) for key, first, count in self.slices),
            renamed=tuple(self.renamed),
            rejected=tuple(self.rejected),
            facts=facts,
        )
        self.shards += 1
        self._new_shard()
        return shard
