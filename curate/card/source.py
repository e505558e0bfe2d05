"""What a card is made from: a run's record and its published rows, never its rejects.

A ``CardSource`` comes from an output folder (``manifest.json``, validated, and the files
under ``data/``) or from a record and rows still in memory; either way the card sees the
same things, so ``curate card OUT`` rebuilds the card a run wrote, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from pydantic import ValidationError

from curate import registry
from curate.record import (
    MANIFEST_FILE,
    LicenseSummary,
    Manifest,
    StageReport,
    StageStats,
    read_manifest,
    record_error,
)
from curate.schema import split_order
from curate.writers.dataset import DATA_DIR, DataFile


@dataclass(frozen=True)
class CardSource:
    """A run's record, its stages' reports as their models, and per split its rows (lazily read)."""

    manifest: Manifest
    rows: dict[str, pl.LazyFrame]
    reports: tuple[StageReport | None, ...]
    """One per ``manifest.stages``: the report as its stage's model, or None when the stage
    reported nothing or is not installed here (a plug-in's report is then shown as tables)."""

    @classmethod
    def from_folder(cls, folder: Path) -> CardSource:
        """Read ``folder/manifest.json`` and scan ``folder/data`` (Parquet first, else JSON Lines).

        A record that does not validate, a stage report included, is a ``CurateError`` naming
        the file and the field.
        """
        manifest = read_manifest(folder)
        reports = typed_reports(manifest, folder / MANIFEST_FILE)
        return cls(manifest, _scan_data(folder / DATA_DIR), reports)

    @classmethod
    def in_memory(cls, manifest: Manifest, splits: Mapping[str, pl.DataFrame]) -> CardSource:
        """The source of a run not (yet) written: its record and its rows by split."""
        rows = {name: frame.lazy() for name, frame in splits.items()}
        return cls(manifest, rows, typed_reports(manifest, MANIFEST_FILE))

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def kind(self) -> str:
        return self.manifest.output.kind

    @property
    def layout(self) -> str:
        """What a row of the data files is: ``conversations``, ``pairs`` (conversational), or a
        pair in another format variant (``standard``, ``kto``: one reply)."""
        variant = self.manifest.output.format_variant
        return variant if self.kind == "pairs" and variant not in (None, "conversational") else self.kind

    @property
    def stages(self) -> list[StageStats]:
        """The stages that ran, reading (``read``) first."""
        return self.manifest.stages

    def stage(self, name: str) -> StageStats | None:
        return self.manifest.stage(name)

    @property
    def license(self) -> LicenseSummary | None:
        """The derived license record, or None when the run derived none."""
        return self.manifest.license

    @property
    def splits(self) -> dict[str, int]:
        """Rows per split, as the manifest counts them."""
        return self.manifest.output.splits

    @property
    def data_format(self) -> str:
        """The format the Hub viewer and ``load_dataset`` read: Parquet when it was written."""
        formats = self.manifest.output.formats or ["parquet"]
        return "parquet" if "parquet" in formats else formats[0]

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


def typed_reports(manifest: Manifest, where: Path | str) -> tuple[StageReport | None, ...]:
    """Each stage's report validated by the ``Report`` of the stage registered under its name.

    A report that does not fit is a ``CurateError`` naming ``where`` and the field.
    """
    reports: list[StageReport | None] = []
    for index, stage in enumerate(manifest.stages):
        model = registry.stages.get(stage.name).Report if stage.name in registry.stages else None
        if not stage.report or model is None:
            reports.append(None)
            continue
        try:
            reports.append(model.model_validate(stage.report))
        except ValidationError as exc:
            raise record_error(where, exc, ("stages", index, "report")) from None
    return tuple(reports)


def _scan_data(folder: Path) -> dict[str, pl.LazyFrame]:
    files: dict[str, dict[str, list[Path]]] = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        found = DataFile.parse(path.name)
        if found is not None:
            files.setdefault(found.format, {}).setdefault(found.split, []).append(path)
    if "parquet" in files:
        by_split = {split: pl.scan_parquet(paths) for split, paths in files["parquet"].items()}
    else:
        by_split = {split: pl.scan_ndjson(paths) for split, paths in files.get("jsonl", {}).items()}
    return {split: by_split[split] for split in sorted(by_split, key=split_order)}
