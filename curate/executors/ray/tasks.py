"""What runs inside Ray: an input read into shards, and a record step run on one shard.

A shard travels through ``ray.data`` as one row (``curate.executors.ray.shards``): its key
in the work folder, and its rows or where in the work folder they are. ``map_batches`` is
given one row at a time, so each call runs the step's stages on exactly the shard the local
executor would give them (their reports count per shard), and writes it into the work folder
as a local worker does: the same files, the marker last. What a call returns is one small
row: the shard, its rows, the node it ran on, and a curate error, if one stopped it (a full
disk included), carried back as data (``Failure``), so the driver raises the error the local
executor would.

The work folder must be reachable at the same path from every node (a shared file system).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import ray
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask

from curate import registry
from curate.config import InputConfig
from curate.errors import CurateError
from curate.executors.pool import Built, finish_shard
from curate.executors.ray.pieces import Piece, read_piece
from curate.executors.ray.shards import DONE_SCHEMA, PAYLOAD, Failure, ShardInput, block
from curate.executors.reads import read_facts, timed
from curate.executors.workdir import WorkFolder
from curate.readers.load import InputStream
from curate.readers.memory import InMemory
from curate.stages.base import RunContext, Stage
from curate.writers.disk import disk_faults


@dataclass(frozen=True)
class ReadInput:
    """One input of the first step, as a read task in Ray reads it."""

    number: int
    spec: InputConfig
    base_dir: Path
    strict: bool
    shard_rows: int
    work: Path
    step: str
    held: object = None
    """The records of an input held in memory (what ``InMemory`` wraps: it holds a running
    hash, which does not travel), or None."""

    @property
    def seen(self) -> str:
        """Where the task leaves what it found besides the rows (``InputSeen``'s figures)."""
        return f"{self.step}.inputs"

    def blocks(self) -> Iterator[pa.Table]:
        """The input's unfinished shards, one block each, in order; then its format is noted."""
        work = WorkFolder(self.work)
        try:
            data = InMemory(self.held) if self.held is not None else None
            stream = InputStream(self.spec, self.base_dir, strict=self.strict, data=data)
            for shard, seconds in timed(stream.shards(self.shard_rows)):
                key = f"{self.number:02d}-{shard.number:05d}"
                if work.done(self.step, key):
                    continue
                parts = {"rejects-read": shard.rejects}
                facts = {"read": read_facts(self.number, shard, seconds)}
                yield ShardInput(key, shard.frame, parts, facts).row()
            sha256 = stream.data.sha256 if stream.data is not None else None
            with disk_faults(self.work):
                seen = {"format": stream.format, "sha256": sha256}
                work.write_shard(self.seen, f"{self.number:02d}", {}, seen)
        except CurateError as error:
            yield block("", Failure.of(error))


@dataclass(frozen=True)
class ReadPiece:
    """One piece of an input read in pieces (``curate.executors.ray.pieces``), as its task reads it."""

    piece: Piece
    spec: InputConfig
    reader: str
    """The input's format (the reader, ``auto`` resolved)."""
    work: Path
    step: str

    def blocks(self) -> Iterator[pa.Table]:
        """Read the piece into the work folder; one row saying it is done (or why not)."""
        work = WorkFolder(self.work)
        try:
            with disk_faults(self.work):
                read_piece(self.piece, self.spec, registry.readers.get(self.reader), work, self.step)
        except CurateError as error:
            yield _done(self.piece.key, Failure.of(error).dumps())
            return
        yield _done(self.piece.key, None)


class PiecesSource(Datasource):
    """Pieces of inputs as a ``ray.data`` source: one read task per piece, all at once."""

    def __init__(self, pieces: list[ReadPiece]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.pieces = pieces

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None
    ) -> list[ReadTask]:
        metadata = BlockMetadata(num_rows=1, size_bytes=None, input_files=None, exec_stats=None)
        return [ReadTask(piece.blocks, metadata) for piece in self.pieces]


def _done(key: str, error: bytes | None) -> pa.Table:
    row = {"shard": key, "rows": 0, "node": node_id(), "error": error}
    return pa.Table.from_pylist([row], schema=DONE_SCHEMA)


Shared = dict[int, Any]
"""Per stage position, the object store reference of what the stage shares (``Stage.shared``)."""


class InputsSource(Datasource):
    """The inputs of a run as a ``ray.data`` source: one read task per input, in input order,
    each giving a block per unfinished shard as it reads (an input is read in order, since a
    shard's ids depend on the records before it)."""

    def __init__(self, inputs: list[ReadInput]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.inputs = inputs

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None
    ) -> list[ReadTask]:
        metadata = BlockMetadata(num_rows=None, size_bytes=None, input_files=None, exec_stats=None)
        return [ReadTask(reading.blocks, metadata) for reading in self.inputs]


def run_shard(
    batch: pa.Table, work: str, step: str, built: Built, context: RunContext, shared: Shared | None = None
) -> pa.Table:
    """``map_batches`` function of a step whose stages load nothing: built for each shard."""
    stages = build(built, context, shared)
    for _, stage in stages:
        stage.setup()
    try:
        return _finish(WorkFolder(Path(work)), step, stages, batch)
    finally:
        for _, stage in stages:
            stage.teardown()


class StepActor:
    """``map_batches`` class of a step whose stages load a model: built and set up once per actor."""

    def __init__(
        self, work: str, step: str, built: Built, context: RunContext, shared: Shared | None = None
    ) -> None:
        self.work = WorkFolder(Path(work))
        self.step = step
        self.stages = build(built, context, shared)
        for _, stage in self.stages:
            stage.setup()

    def __call__(self, batch: pa.Table) -> pa.Table:
        return _finish(self.work, self.step, self.stages, batch)


def build(built: Built, context: RunContext, shared: Shared | None = None) -> list[tuple[int, Stage[Any]]]:
    """A step's stages, as a worker process builds them (its own, without pools of its own),
    each given what the driver built once for all its copies (``Stage.shared``), if anything."""
    import curate  # noqa: F401  (registers the stages)

    alone = replace(context, workers=1)
    stages = [(position, registry.stages.get(name)(options, alone)) for position, name, options in built]
    for position, stage in stages:
        if shared and position in shared:
            stage.share(ray.get(shared[position]))
    return stages


def share(stages: list[tuple[int, Stage[Any]]]) -> Shared:
    """What each stage that can share something builds here, once, put in the object store
    for every actor and task of the step to read (``Stage.shared``)."""
    found = {}
    for position, stage in stages:
        value = stage.shared()
        if value is not None:
            found[position] = ray.put(value)
    return found


def loads_models(stages: list[tuple[int, Stage[Any]]]) -> bool:
    """Whether a step's stages load something in ``setup`` (a model, an index, a file): then
    actors that keep them are worth their start, else plain tasks build them per shard."""
    return any(
        stage.loads is not None
        or type(stage).setup is not Stage.setup
        or type(stage).teardown is not Stage.teardown
        for _, stage in stages
    )


def _finish(work: WorkFolder, step: str, stages: list[tuple[int, Stage[Any]]], batch: pa.Table) -> pa.Table:
    done = []
    for payload in batch.column(PAYLOAD).to_pylist():
        item = pickle.loads(payload)
        if isinstance(item, Failure):
            done.append({"shard": "", "rows": 0, "node": node_id(), "error": payload})
            continue
        try:
            with disk_faults(work.path):
                frame = item.rows(work)
                finish_shard(work, step, stages, item.key, frame, item.parts_of(work), item.facts)
        except CurateError as error:
            done.append({"shard": item.key, "rows": 0, "node": node_id(), "error": Failure.of(error).dumps()})
            continue
        done.append({"shard": item.key, "rows": frame.height, "node": node_id(), "error": None})
    return pa.Table.from_pylist(done, schema=DONE_SCHEMA)


def node_id() -> str:
    """The Ray node this task or actor runs on (the ledger names it)."""
    return str(ray.get_runtime_context().get_node_id())
