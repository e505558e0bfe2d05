"""What a card is made from: a run's manifest and its published rows, never its rejects.

A ``CardSource`` comes from an output folder (``manifest.json`` and the files under
``data/``) or from a ``RunResult`` still in memory; either way the card sees the same
things, so ``curate card OUT`` rebuilds the card a run wrote, byte for byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from curate.errors import CurateError
from curate.result import split_order

if TYPE_CHECKING:
    from curate.result import RunResult

DATA_FILE = re.compile(r"^(?P<split>.+)-\d{5}-of-\d{5}\.(?P<format>parquet|jsonl)$")


@dataclass(frozen=True)
class CardSource:
    """A run's manifest and, per split, its published rows (lazily read)."""

    manifest: dict[str, Any]
    rows: dict[str, pl.LazyFrame]

    @classmethod
    def from_folder(cls, folder: Path) -> CardSource:
        """Read ``folder/manifest.json`` and scan ``folder/data`` (Parquet first, else JSON Lines)."""
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise CurateError(f"{folder} is not a curate output folder: it has no manifest.json")
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        return cls(manifest, _scan_data(folder / "data"))

    @classmethod
    def from_result(cls, result: RunResult) -> CardSource:
        return cls(result.manifest, {name: frame.lazy() for name, frame in result.splits().items()})

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", "dataset"))

    @property
    def kind(self) -> str:
        return str(self.manifest.get("output", {}).get("kind", "conversations"))

    @property
    def stages(self) -> list[dict[str, Any]]:
        """The stages that ran, reading (``read``) first."""
        return list(self.manifest.get("stages", []))

    def stage(self, name: str) -> dict[str, Any] | None:
        return next((stage for stage in self.stages if stage.get("name") == name), None)

    @property
    def license(self) -> dict[str, Any] | None:
        """The derived license record, or None when the run derived none."""
        value = self.manifest.get("license")
        return value if isinstance(value, dict) and value.get("id") else None

    @property
    def splits(self) -> dict[str, int]:
        """Rows per split, as the manifest counts them."""
        return {str(k): int(v) for k, v in self.manifest.get("output", {}).get("splits", {}).items()}

    @property
    def data_format(self) -> str:
        """The format the Hub viewer and ``load_dataset`` read: Parquet when it was written."""
        formats = self.manifest.get("output", {}).get("formats") or ["parquet"]
        return "parquet" if "parquet" in formats else str(formats[0])

    def column(self, name: str) -> pl.DataFrame:
        """One column of every split, with a ``split`` column; empty when the output lacks it."""
        frames = [
            lazy.select(pl.col(name), pl.lit(split).alias("split"))
            for split, lazy in self.rows.items()
            if name in lazy.collect_schema().names()
        ]
        if not frames:
            return pl.DataFrame(schema={name: pl.String, "split": pl.String})
        return pl.concat(frames).collect()

    def head(self, split: str, rows: int) -> pl.DataFrame:
        lazy = self.rows.get(split)
        return lazy.head(rows).collect() if lazy is not None else pl.DataFrame()


def _scan_data(folder: Path) -> dict[str, pl.LazyFrame]:
    files: dict[str, dict[str, list[Path]]] = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        match = DATA_FILE.match(path.name)
        if match:
            files.setdefault(match["format"], {}).setdefault(match["split"], []).append(path)
    if "parquet" in files:
        by_split = {split: pl.scan_parquet(paths) for split, paths in files["parquet"].items()}
    else:
        by_split = {split: pl.scan_ndjson(paths) for split, paths in files.get("jsonl", {}).items()}
    return {split: by_split[split] for split in sorted(by_split, key=split_order)}
