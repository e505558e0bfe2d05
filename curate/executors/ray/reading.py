"""The first step's inputs on Ray: which are read in pieces by parallel tasks, and their shards.

An input that ``plan`` splits into pieces (``curate.executors.ray.pieces``) is read by one Ray
task per piece, all scheduled at once through a ``ray.data`` source (``PiecesSource``); the
driver then cuts its shards from the pieces' events (``assemble``), and the step's
``map_batches`` tasks take each shard's rows from the pieces in the work folder. Any other
input is read in order by one task (``ReadInput``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from curate.config import InputConfig
from curate.errors import StageError
from curate.executors.ray import pieces as piece_sizes
from curate.executors.ray.assemble import assemble
from curate.executors.ray.figures import step_figures
from curate.executors.ray.pieces import Piece, defers, pieces_step, plan_pieces
from curate.executors.ray.shards import Failure, block, first_line
from curate.executors.ray.tasks import PiecesSource, ReadPiece
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.readers.load import reader_class_of
from curate.readers.locate import Located
from curate.record_executor import RayStepRecord

Pieced = dict[int, tuple[list[Piece], str]]
"""Inputs read in pieces, by number: their pieces and their format."""


def plan(number: int, spec: InputConfig, located: Located | None) -> tuple[list[Piece], str] | None:
    """The pieces of an input and its format, or None when one task reads it in order."""
    if located is None or spec.limit is not None:
        return None
    pieces = plan_pieces(number, located, piece_sizes.PIECE_BYTES)
    if not pieces:
        return None
    reader = reader_class_of(spec, located)
    return None if defers(reader) else (pieces, reader.format)


def read_pieces(
    work: WorkFolder,
    step: str,
    pieced: Pieced,
    specs: Sequence[InputConfig],
    reporter: Reporter,
) -> RayStepRecord | None:
    """Read every unfinished piece of ``pieced`` into the work folder, a Ray task each; Ray's
    figures for the tasks (None when none ran). A read task whose worker dies is retried as
    ``ray.data`` retries reads (its own setting: ``read_datasource`` takes no ``max_retries``)."""
    import ray.data

    wanted = [
        ReadPiece(piece, specs[number], format, work.path, step)
        for number, (pieces, format) in pieced.items()
        for piece in pieces
        if not work.done(pieces_step(step), piece.key)
    ]
    if not wanted:
        return None
    source = PiecesSource(wanted)
    dataset = ray.data.read_datasource(source, override_num_blocks=len(wanted))
    from ray.exceptions import RayError

    reporter.start("read pieces", len(wanted))
    try:
        for done in dataset.iter_rows():
            if done["error"] is not None:
                raise Failure.loads(done["error"]).error()
            reporter.advance(1)
            work.log("piece_done", step=pieces_step(step), piece=done["shard"], node=done["node"])
    except RayError as exc:
        raise StageError(
            f"a Ray task reading the inputs of step {step} failed ({first_line(exc)}); the pieces read are"
            " kept: rerun with --resume to continue from them"
        ) from exc
    reporter.finish()
    return step_figures(dataset, pieces_step(step), ("read",), "tasks")


def piece_shards(
    work: WorkFolder, step: str, pieced: Pieced, shard_rows: int, strict: bool
) -> list[pa.Table]:
    """The unfinished shards of the inputs read in pieces, one block each, in input order; the
    format of each input is noted where ``ReadInput`` notes it."""
    blocks = []
    for number, (pieces, format) in pieced.items():
        for shard in assemble(work, step, pieces, shard_rows, strict):
            if not work.done(step, shard.key):
                blocks.append(block(shard.key, shard))
        work.write_shard(f"{step}.inputs", f"{number:02d}", {}, {"format": format, "sha256": None})
    return blocks


def merged(first: RayStepRecord | None, second: RayStepRecord | None) -> RayStepRecord | None:
    """Ray's figures of two datasets of one step as one (the step's name and stages: ``second``'s)."""
    if first is None or second is None:
        return second or first
    summed: dict[str, Any] = {
        name: getattr(first, name) + getattr(second, name)
        for name in ("tasks", "blocks", "task_seconds", "cpu_seconds")
    }
    return second.model_copy(update={**summed, "nodes": max(first.nodes, second.nodes)})
