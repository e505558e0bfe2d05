"""The output folder: data, rejects, stage artifacts, manifest and card, all or nothing.

The writer knows files, not stages or cards: what else goes into the folder comes in as
callbacks, which it calls on the staged folder before that replaces the target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from curate.record import MANIFEST_FILE, Manifest
from curate.writers.atomic import staged_folder, write_text
from curate.writers.jobs import RunJobs, file_jobs, write_in_process
from curate.writers.streams import Frames, SplitSize

Writes = Callable[[Path], object]
"""Something that writes its files into the (staged) output folder it is given."""


def write_output(
    target: Path,
    manifest: Manifest,
    splits: Mapping[str, tuple[Frames, SplitSize]],
    rejects: Mapping[str, Frames],
    *,
    shard_rows: int,
    artifacts: Writes | None = None,
    card: Writes | None = None,
    run: RunJobs = write_in_process,
) -> None:
    """Write a run into ``target``, replacing what a previous run left there.

    In order: the data files ``manifest`` lists (each split's rows streamed, with the sizes
    that cut them into files) and ``rejects/<key>.parquet``, as jobs that ``run`` writes
    (``curate.writers.jobs``: here, one after the other, unless an executor writes them),
    then the stages' ``artifacts``, ``manifest.json``, then the ``card`` (which reads the
    manifest back).
    """
    formats = list(manifest.output.formats)
    with staged_folder(target) as folder:
        run(file_jobs(splits, rejects, formats, shard_rows), folder)
        if artifacts is not None:
            artifacts(folder)
        write_manifest(folder, manifest)
        if card is not None:
            card(folder)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    write_text(folder / MANIFEST_FILE, manifest.to_json())
