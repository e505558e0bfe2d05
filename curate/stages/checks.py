"""What a stage's output is held to, in a run and when a stage is called on a frame.

Every row kept or rejected (or consumed, for stages whose rows are a new unit), every rejected
row with a reason the stage declared, and a report of the declared ``Report``; rejected rows
are tagged with their stage as ``rejects/<stage>.parquet`` holds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from curate.errors import StageError

if TYPE_CHECKING:
    from curate.stages.base import OptionsT, ReportT, Stage, StageOutput


def check(stage: Stage[Any], frame: pl.DataFrame, output: StageOutput) -> None:
    """A stage must account for every row and give only the reasons it declared."""
    accounted = (
        output.consumed if output.consumed is not None else output.kept.height
    ) + output.rejected.height
    if accounted != frame.height:
        raise StageError(
            f"stage {stage.name!r} lost rows: {frame.height} in, "
            f"{output.kept.height} kept, {output.rejected.height} rejected"
        )
    if "reason" not in output.rejected.columns or output.rejected["reason"].null_count():
        raise StageError(f"stage {stage.name!r} rejected rows without a reason")
    codes = set(output.rejected["reason"].str.split(":").list.first().unique().to_list())
    undeclared = codes - set(stage.reasons)
    if undeclared:
        raise StageError(f"stage {stage.name!r} gave undeclared reasons: {', '.join(sorted(undeclared))}")


def tagged(rejected: pl.DataFrame, stage: str) -> pl.DataFrame:
    """Rejected rows with their ``stage``, and ``stage``, ``reason``, ``detail`` last."""
    columns = [c for c in rejected.columns if c not in ("reason", "detail")]
    return rejected.with_columns(stage=pl.lit(stage)).select([*columns, "stage", "reason", "detail"])


def checked_report(stage: Stage[OptionsT, ReportT]) -> ReportT | None:
    """The stage's report, which must be the ``Report`` the stage declares (or None)."""
    report = stage.report()
    if report is not None and (stage.Report is None or not isinstance(report, stage.Report)):
        declared = stage.Report.__name__ if stage.Report else "none (Report is not set)"
        raise StageError(
            f"stage {stage.name!r} reported a {type(report).__name__}; its declared Report is {declared}"
        )
    return report
