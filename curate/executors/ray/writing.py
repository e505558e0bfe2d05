"""The output folder's data and rejects files, written by Ray workers.

Each file is a job (``curate.writers.jobs``: a data file's first row and row groups, or a
stage's rejects) that reads its rows from the work folder's shards and writes them a row group
at a time; here every job is a ``map_batches`` call. The workers write into the work folder
(``files/``), which every node sees, not into the output folder, which need not be shared
(``--work-dir``); the driver then moves each file into the staged output folder (a rename on
one file system). A file's bytes are those the local executor writes: where files and row
groups are cut was fixed before any was written.
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from curate.errors import CurateError, StageError
from curate.executors.ray.shards import DONE_SCHEMA, Failure, block, first_line
from curate.executors.ray.tasks import node_id
from curate.executors.workdir import WorkFolder
from curate.progress import Reporter
from curate.writers.disk import disk_faults
from curate.writers.jobs import FileJob

FILES = "files"
"""The work folder's subfolder the workers write the output's files into."""


def write_on_ray(
    jobs: Sequence[FileJob], folder: Path, work: WorkFolder, reporter: Reporter, retries: int
) -> None:
    """Write every job's files on the cluster, then move them into ``folder``."""
    import ray.data
    from ray.exceptions import RayError

    if not jobs:
        return
    written = work.path / FILES
    shutil.rmtree(written, ignore_errors=True)  # what a killed run's writing left
    written.mkdir(parents=True)
    blocks = [block(f"{number:05d}", job) for number, job in enumerate(jobs)]
    dataset: Any = ray.data.from_arrow(blocks)
    mapped = dataset.map_batches(
        write_jobs,
        fn_kwargs={"folder": str(written)},
        batch_size=1,
        batch_format="pyarrow",
        max_retries=retries,
    )
    reporter.start("write", len(jobs))
    try:
        for done in mapped.iter_rows():
            if done["error"] is not None:
                raise Failure.loads(done["error"]).error()
            work.log("file_written", job=done["shard"], files=done["rows"], node=done["node"])
            reporter.advance(1)
    except RayError as exc:
        raise StageError(
            f"a Ray task writing the output files failed ({first_line(exc)}; one whose worker dies is run"
            f" again up to {retries} times, executor.max_retries); rerun with --resume: the finished steps"
            " are kept"
        ) from exc
    reporter.finish()
    for job in jobs:
        for path in job.paths:
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(written / path, folder / path)
    shutil.rmtree(written, ignore_errors=True)


def write_jobs(batch: pa.Table, folder: str) -> pa.Table:
    """``map_batches`` function: write each job of ``batch`` into ``folder``."""
    node = node_id()
    done: list[dict[str, Any]] = []
    for key, payload in zip(
        batch.column("shard").to_pylist(), batch.column("payload").to_pylist(), strict=True
    ):
        job: FileJob = pickle.loads(payload)
        try:
            with disk_faults(Path(folder)):
                job.write(Path(folder))
        except CurateError as error:
            done.append({"shard": key, "rows": 0, "node": node, "error": Failure.of(error).dumps()})
            continue
        done.append({"shard": key, "rows": len(job.paths), "node": node, "error": None})
    return pa.Table.from_pylist(done, schema=DONE_SCHEMA)
