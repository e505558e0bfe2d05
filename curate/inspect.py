"""``curate inspect``: how an input file reads, or what an output folder holds."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from curate import readers
from curate.record import MANIFEST_FILE, read_manifest


def inspect_path(path: Path, fmt: str = "auto", rows: int = 3) -> str:
    """A plain-text summary of an input file or an output folder."""
    if path.is_dir() and (path / MANIFEST_FILE).exists():
        return _output_summary(path)
    read = readers.read(path, fmt, name="inspect")
    lines = [
        f"{path}: format {read.format}{' (detected)' if read.detected else ''}",
        f"records {read.records:,}, rows {read.frame.height:,}, unreadable {read.rejects.height:,}",
    ]
    lines += [f"  {reason}: {count:,}" for reason, count in read.reasons.items()]
    if read.frame.height:
        preview = read.frame.head(rows).select(
            "id",
            "model",
            "language",
            "license",
            "group",
            pl.col("messages").list.len().alias("turns"),
            pl.col("messages").list.first().struct.field("content").str.slice(0, 60).alias("first turn"),
        )
        with pl.Config(tbl_rows=rows, fmt_str_lengths=60, tbl_width_chars=160):
            lines.append(str(preview))
    return "\n".join(lines)


def _output_summary(folder: Path) -> str:
    manifest = read_manifest(folder)
    output = manifest.output
    variant = f", format_variant {output.format_variant}" if output.format_variant else ""
    lines = [f"{folder}: {manifest.name} ({output.rows:,} {output.kind}{variant})"]
    for stage in manifest.stages:
        lines.append(
            f"  {stage.name:<14} in {stage.rows_in:>9,}  out {stage.rows_out:>9,}"
            f"  rejected {stage.rows_rejected:>9,}"
        )
    return "\n".join(lines)
