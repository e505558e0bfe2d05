"""The output folder: data, rejects, stage artifacts, manifest and card, all or nothing.

The writer knows files, not stages or cards: what else goes into the folder comes in as
callbacks, which it calls on the staged folder before that replaces the target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import polars as pl

from curate.record import MANIFEST_FILE, Manifest
from curate.writers.atomic import staged_folder, write_text
from curate.writers.dataset import write_parquet, write_splits

Writes = Callable[[Path], object]
"""Something that writes its files into the (staged) output folder it is given."""


def write_output(
    target: Path,
    manifest: Manifest,
    splits: Mapping[str, pl.DataFrame],
    rejects: Mapping[str, pl.DataFrame],
    *,
    shard_rows: int,
    artifacts: Writes | None = None,
    card: Writes | None = None,
) -> None:
    """Write a run into ``target``, replacing what a previous run left there.

    In order: the data files ``manifest`` lists, ``rejects/<key>.parquet``, the stages'
    ``artifacts``, ``manifest.json``, then the ``card`` (which reads the manifest back).
    """
    with staged_folder(target) as folder:
        write_splits(splits, folder, manifest.output.formats, shard_rows)
        for key, rejected in rejects.items():
            write_parquet(rejected, folder / "rejects" / f"{key}.parquet")
        if artifacts is not None:
            artifacts(folder)
        write_manifest(folder, manifest)
        if card is not None:
            card(folder)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    write_text(folder / MANIFEST_FILE, manifest.to_json())
