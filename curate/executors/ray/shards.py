"""A shard as it travels through ``ray.data``: one row, its key and a pickled payload.

``ShardInput`` is what a record step is given for one shard: the rows read (the first step)
or the slices of the previous step's shards in the work folder that hold them (``slices``
cuts them as ``LocalExecutor._reshard`` does). ``Failure`` is a curate error raised inside
Ray, carried back as data so the driver raises it as the local executor would. Nothing here
imports Ray.
"""

from __future__ import annotations

import importlib
import pickle
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from curate import schema
from curate.errors import CurateError
from curate.executors.workdir import WorkFolder

SHARD = "shard"
PAYLOAD = "payload"
DONE_SCHEMA = pa.schema(
    [("shard", pa.string()), ("rows", pa.int64()), ("node", pa.string()), ("error", pa.large_binary())]
)
"""What a ``map_batches`` call returns per shard: its key, rows, node, and a pickled ``Failure``."""


@dataclass(frozen=True)
class ShardInput:
    """One shard of a step: its rows (read), or the slices of an earlier step's shards that hold them."""

    key: str
    frame: pl.DataFrame | None = None
    parts: dict[str, pl.DataFrame] = field(default_factory=dict)
    """Frames written beside the step's own (the read rejects)."""
    facts: dict[str, Any] = field(default_factory=dict)
    """Figures written into the marker beside the stages' (what reading found)."""
    source: str = ""
    """The step whose kept rows ``pieces`` slice."""
    pieces: tuple[tuple[str, int, int], ...] = ()
    """(shard, first row, rows) of ``source``, in order."""

    def rows(self, work: WorkFolder) -> pl.DataFrame:
        if self.frame is not None:
            return self.frame
        frames = [
            work.frame(self.source, shard, "kept").slice(start, length)
            for shard, start, length in self.pieces
        ]
        if not frames:
            return schema.empty()
        return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")

    def parts_of(self, work: WorkFolder) -> dict[str, pl.DataFrame]:
        """The frames written beside the step's own."""
        return self.parts

    def row(self) -> pa.Table:
        """This shard as a one-row block of ``ray.data``."""
        return block(self.key, self)


def slices(shards: list[str], heights: list[int], shard_rows: int) -> list[tuple[tuple[str, int, int], ...]]:
    """The rows of ``shards`` (of ``heights`` rows) again, in order, in slices of ``shard_rows``:
    the shards ``LocalExecutor._reshard`` makes, as pieces (at least one, empty without rows)."""
    found: list[tuple[tuple[str, int, int], ...]] = []
    pending: list[tuple[str, int, int]] = []
    count = 0
    for shard, height in zip(shards, heights, strict=True):
        start = 0
        while start < height:
            take = min(shard_rows - count, height - start)
            pending.append((shard, start, take))
            start += take
            count += take
            if count == shard_rows:
                found.append(tuple(pending))
                pending, count = [], 0
    if pending:
        found.append(tuple(pending))
    elif not found:
        found.append(((shards[0], 0, 0),) if shards else ())
    return found


@dataclass(frozen=True)
class Failure:
    """A curate error raised inside Ray, carried back to the driver as its class and message."""

    module: str
    name: str
    message: str

    @classmethod
    def of(cls, error: CurateError) -> Failure:
        return cls(type(error).__module__, type(error).__qualname__, str(error))

    @classmethod
    def loads(cls, payload: bytes) -> Failure:
        """The failure a task returned, pickled (``dumps``)."""
        found = pickle.loads(payload)
        if not isinstance(found, cls):
            raise TypeError(f"expected a pickled Failure, got {type(found).__name__}")
        return found

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    def error(self) -> CurateError:
        """The error again, of its class (so with its exit code) and message."""
        found = getattr(importlib.import_module(self.module), self.name, None)
        kind = found if isinstance(found, type) and issubclass(found, CurateError) else CurateError
        error = kind.__new__(kind)
        Exception.__init__(error, self.message)
        return error


def block(key: str, item: object) -> pa.Table:
    """A one-row block of ``ray.data``: ``key`` and ``item`` (a shard, a ``Failure``) pickled."""
    payload = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    return pa.table({SHARD: pa.array([key], pa.string()), PAYLOAD: pa.array([payload], pa.large_binary())})


def first_line(error: BaseException) -> str:
    """The first line of what ``error`` says (Ray's errors carry a traceback), else its class."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
