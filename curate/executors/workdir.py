"""The work folder of a run: every finished shard of every step, and what the run was made from.

A run writes each shard it finishes here (``steps/<step>/<shard>.*``), the marker
``<shard>.done.json`` last, so a shard counts as finished only when all its files are whole.
A run killed at any point leaves finished shards that ``--resume`` reuses; it redoes only
the shards that had no marker. ``run.json`` holds what a resumed run must share with the
one it continues (curate version, pipeline, input fingerprints, shard size), and a resume
whose key differs is refused with the differences named.

Layout::

    <output>.work/
      run.json                       the run's key and the step names
      ledger.jsonl                   one line per event (for people and logs; not read back)
      steps/01-read+normalize/       a step: reading and the record stages fused with it
        00-00003.kept.parquet        rows the step kept from shard 3 of input 0
        00-00003.rejects-<stage>.parquet
        00-00003.done.json           counts, reasons and reports of each stage on that shard
      steps/02-dedup.summaries/      a whole-data step's passes (``curate.executors.compact``...)
        00003.state.pickle           a stage's state for a shard (dedup's sketches)...
        00003.state.pickle.bin       ...and its large arrays, memory-mapped when read back
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import OutputError
from curate.executors.states import read_state, write_state
from curate.writers.atomic import atomic_path, write_text

LOG = logging.getLogger("curate.run")
WORK_MARK = "curate_work"
WORK_VERSION = 2
"""2: stage states keep their large arrays in ``<shard>.state.pickle.bin``."""
DONE = ".done.json"


@dataclass(frozen=True)
class RunKey:
    """What a resumed run must share with the run it continues."""

    curate_version: str
    config_hash: str
    inputs: tuple[tuple[str, tuple[tuple[str, str | None], ...]], ...]
    """Each input's name and its files' paths and SHA-256."""
    shard_rows: int
    limit: int | None

    def differences(self, earlier: RunKey) -> list[str]:
        """What changed since ``earlier``, in words, for the refusal message."""
        changes = []
        if self.curate_version != earlier.curate_version:
            changes.append(f"curate {earlier.curate_version} -> {self.curate_version}")
        if self.config_hash != earlier.config_hash:
            changes.append("the pipeline file changed")
        mine, theirs = dict(self.inputs), dict(earlier.inputs)
        for name in sorted(mine.keys() | theirs.keys()):
            if name not in theirs:
                changes.append(f"input {name!r} is new")
            elif name not in mine:
                changes.append(f"input {name!r} is gone")
            elif mine[name] != theirs[name]:
                changes.append(f"the files of input {name!r} changed")
        if self.shard_rows != earlier.shard_rows:
            changes.append(f"shard size {earlier.shard_rows} -> {self.shard_rows} rows")
        if self.limit != earlier.limit:
            changes.append(f"--limit {earlier.limit} -> {self.limit}")
        return changes

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunKey:
        return cls(
            curate_version=str(data["curate_version"]),
            config_hash=str(data["config_hash"]),
            inputs=tuple(
                (str(name), tuple((str(path), digest) for path, digest in files))
                for name, files in data["inputs"]
            ),
            shard_rows=int(data["shard_rows"]),
            limit=None if data["limit"] is None else int(data["limit"]),
        )


class WorkFolder:
    """Finished shards of a run, written atomically and read back on ``--resume``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, path: Path, key: RunKey, *, resume: bool, restart: bool) -> tuple[WorkFolder, bool]:
        """The work folder for a run with ``key``, and whether it continues an earlier run.

        Refuses a folder that is not a curate work folder, and an earlier run's folder unless
        ``resume`` (same key, else the differences are named) or ``restart`` (start over).
        """
        work = cls(path)
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise OutputError(f"refusing to use {path} as the work folder: it is not a folder")
        earlier = work._key() if path.exists() else None
        layout = work._layout() if path.exists() else None
        if earlier is None and layout not in (None, WORK_VERSION) and not restart:
            raise OutputError(
                f"the work folder {path} was left by another version of curate: pass --restart to start over"
            )
        if path.exists() and earlier is None and layout in (None, WORK_VERSION) and any(path.iterdir()):
            raise OutputError(
                f"refusing to use {path} as the work folder: it is not one a curate run made"
                " (no run.json); choose another with --work-dir"
            )
        if earlier is not None and not restart:
            if not resume:
                raise OutputError(
                    f"an interrupted run left its work in {path}: pass --resume to continue it,"
                    " or --restart to start over"
                )
            changes = key.differences(earlier)
            if changes:
                raise OutputError(
                    f"cannot resume the run in {path}: {'; '.join(changes)}; pass --restart to start over"
                )
            return work, True
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        write_text(path / "run.json", json.dumps({WORK_MARK: WORK_VERSION, "key": key.to_json()}, indent=2))
        return work, False

    def _layout(self) -> object:
        """The layout version a curate run wrote into ``run.json``, or None."""
        try:
            data = json.loads((self.path / "run.json").read_text(encoding="utf-8"))
            return data.get(WORK_MARK) if isinstance(data, dict) else None
        except (OSError, ValueError):
            return None

    def _key(self) -> RunKey | None:
        try:
            data = json.loads((self.path / "run.json").read_text(encoding="utf-8"))
            return RunKey.from_json(data["key"]) if data.get(WORK_MARK) == WORK_VERSION else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def step(self, name: str) -> Path:
        return self.path / "steps" / name

    def done(self, step: str, shard: str) -> bool:
        return (self.step(step) / f"{shard}{DONE}").is_file()

    def finished(self, step: str) -> list[str]:
        """The shards of ``step`` that have their marker, in order."""
        folder = self.step(step)
        if not folder.is_dir():
            return []
        return sorted(path.name.removesuffix(DONE) for path in folder.glob(f"*{DONE}"))

    def write_shard(
        self,
        step: str,
        shard: str,
        frames: Mapping[str, pl.DataFrame],
        facts: Mapping[str, Any],
        state: object = None,
        row_group_size: int | None = None,
    ) -> None:
        """Write a shard's frames (and a stage's ``state``), then its marker: the shard is
        finished once the marker exists. With ``row_group_size``, frames are written in row
        groups of that size with statistics, for reading back a filtered part."""
        folder = self.step(step)
        folder.mkdir(parents=True, exist_ok=True)
        for part, frame in frames.items():
            with atomic_path(self.path_of(step, shard, part)) as temporary:
                frame.write_parquet(
                    temporary,
                    compression="zstd",
                    statistics=row_group_size is not None,
                    row_group_size=row_group_size,
                )
        if state is not None:
            # Written and read back only by curate, in a folder only this run writes.
            write_state(folder / f"{shard}.state.pickle", state)
        write_text(folder / f"{shard}{DONE}", json.dumps({"parts": sorted(frames), **facts}))

    def state(self, step: str, shard: str) -> object:
        """The stage state written with a shard, or None; its large arrays are mapped from
        the work folder, not read (``curate.executors.states``)."""
        path = self.step(step) / f"{shard}.state.pickle"
        return read_state(path) if path.is_file() else None

    def facts(self, step: str, shard: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.step(step) / f"{shard}{DONE}").read_text(encoding="utf-8"))
        return data

    def frame(self, step: str, shard: str, part: str) -> pl.DataFrame:
        return pl.read_parquet(self.path_of(step, shard, part))

    def rows(self, step: str, shard: str, part: str = "kept") -> int:
        """How many rows one part of a shard holds (from the file's metadata)."""
        count: int = pl.scan_parquet(self.path_of(step, shard, part)).select(pl.len()).collect().item()
        return count

    def path_of(self, step: str, shard: str, part: str) -> Path:
        """The file of one part (``kept``, ``rejects-<stage>``...) of a shard."""
        return self.step(step) / f"{shard}.{part}.parquet"

    def log(self, event: str, **fields: Any) -> None:
        """Append one line to the ledger and log it on ``curate.run`` (names and counts only,
        never record text)."""
        line = json.dumps({"time": round(time.time(), 3), "event": event, **fields}, default=str)
        with (self.path / "ledger.jsonl").open("a", encoding="utf-8") as ledger:
            ledger.write(line + "\n")
        LOG.info(event, extra={"fields": {"work": str(self.path), **fields}})

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
