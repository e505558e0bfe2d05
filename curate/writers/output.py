"""The output folder: data, rejects, stage artifacts, manifest and card, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curate.writers.atomic import staged_folder, write_text
from curate.writers.dataset import write_parquet, write_splits

if TYPE_CHECKING:
    from curate.result import RunResult
    from curate.stages.base import Stage


def write_output(result: RunResult, target: Path, stages: list[Stage[Any]]) -> None:
    """Write ``result`` into ``target``, replacing what a previous run left there."""
    config = result.config
    with staged_folder(target) as folder:
        files = write_splits(
            result.splits(), folder / "data", config.output.formats, config.output.shard_rows
        )
        for key, rejected in result.rejects_by_stage.items():
            write_parquet(rejected, folder / "rejects" / f"{key}.parquet")
        for stage in stages:
            stage.write_artifacts(folder, result.output)
        result.manifest["output"]["files"] = files
        write_manifest(folder, result.manifest)
        if config.output.card:
            from curate.card import write_card

            write_card(folder)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    write_text(folder / "manifest.json", text)


def read_manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data
