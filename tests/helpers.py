"""Small builders shared by tests: rows, frames and pipeline files."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import polars as pl

import curate
from curate import schema
from curate.stages.base import Stage


def conversation(
    id: str = "c1",
    *turns: tuple[str, str],
    source: str = "test",
    **columns: Any,
) -> dict[str, Any]:
    """One conversation row; ``turns`` are ``(role, content)``, default a user/assistant pair."""
    messages = [
        {"role": role, "content": content}
        for role, content in (turns or (("user", "hi"), ("assistant", "hello")))
    ]
    row: dict[str, Any] = {
        "id": id,
        "source": source,
        "messages": messages,
        "license": "MIT",
        "consent": "granted",
    }
    row.update(columns)
    return row


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    """A conversations frame from rows made by ``conversation``."""
    return schema.conversations(rows)


def write_pipeline(folder: Path, text: str) -> Path:
    """Write a pipeline file (dedented) into ``folder`` and return its path."""
    path = folder / "pipeline.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run_pipeline(folder: Path, text: str, **options: Any) -> curate.RunResult:
    """Write and run a pipeline file; the output goes to ``folder/out`` unless it says otherwise."""
    return curate.Pipeline.from_yaml(write_pipeline(folder, text)).run(**options)


def figures(stage: Stage[Any]) -> dict[str, Any]:
    """A stage's report as the manifest stores it (``{}`` when it reports nothing)."""
    report = stage.report()
    return report.model_dump() if report is not None else {}
