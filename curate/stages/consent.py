"""The ``consent`` stage: drop records whose owners withheld consent or opted out.

Each record's ``consent`` (``granted``, ``withheld`` or ``unknown``) was set by the reader:
from the source field an input names (``consent_field`` with ``consent_values``), else the
input's ``consent``. Opt-out lists (``optout:``, text or Parquet; see
``curate.licensing.optout``) name users and records to leave out whatever their consent.

Reasons, checked in this order: ``optout:record``, ``optout:user``, ``consent:withheld``,
``consent:unknown`` (only under ``require: granted``). The decision is per record, so a
re-run with a longer opt-out list removes exactly the new entries' records.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import polars as pl
from pydantic import Field

from curate.licensing.optout import OptOutList, OptOuts, read_optout
from curate.options import ExistingPath, StageOptions
from curate.record import SETTING
from curate.stages.base import FilterStage, KeptDropped, RunContext, StageReport, register


class ConsentOptions(StageOptions):
    """Options of the ``consent`` stage."""

    require: Literal["granted", "not_withheld"] = Field(
        "not_withheld",
        description="`granted` keeps only records whose consent is granted; `not_withheld` also keeps "
        "records whose consent is unknown.",
    )
    optout: ExistingPath | list[ExistingPath] = Field(
        default_factory=list,
        description="Opt-out lists (one file or a list): text with one user key or record id a line "
        "(`user:` / `record:` prefixes narrow an entry), or Parquet with key / user / id [/ source] columns.",
    )

    @property
    def optout_files(self) -> list[Path]:
        return self.optout if isinstance(self.optout, list) else [self.optout]


class OptOutCounts(StageReport):
    user: int = Field(description="Records dropped because their user is listed.")
    record: int = Field(description="Records dropped because their id is listed.")


class OptOutFile(StageReport):
    file: str = Field(description="The list, as the pipeline file names it.")
    entries: Annotated[int, SETTING]
    sha256: str


class ConsentReport(StageReport):
    """Records kept and dropped by consent value, and the opt-out lists applied."""

    require: Literal["granted", "not_withheld"]
    consent: dict[str, KeptDropped] = Field(description="By consent value: granted, withheld, unknown.")
    optout: OptOutCounts
    optout_lists: list[OptOutFile]


@register("consent")
class Consent(FilterStage[ConsentOptions, ConsentReport]):
    """Keeps records whose consent meets ``require`` and that no opt-out list names."""

    Options = ConsentOptions
    Report = ConsentReport
    reasons: ClassVar[tuple[str, ...]] = ("consent", "optout")

    def __init__(self, options: ConsentOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self._lists: list[OptOutList] = []
        self._optouts: OptOuts | None = None
        self._consent: Counter[tuple[str, str]] = Counter()
        self._reasons: Counter[str] = Counter()

    def reset(self) -> None:
        self._consent = Counter()
        self._reasons = Counter()

    def setup(self) -> None:
        self._lists = [read_optout(path, self._label(path)) for path in self.options.optout_files]
        self._optouts = OptOuts(self._lists)

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self._optouts is None:
            raise self.not_set_up()
        record, user = self._optouts.expressions(frame.columns)
        consent = pl.col("consent").fill_null("unknown")
        judged = frame.with_columns(_record=record, _user=user, _consent=consent)
        rules = [
            (
                pl.col("_record").is_not_null(),
                "optout:record",
                pl.format("record id is on the opt-out list {}", pl.col("_record")),
            ),
            (
                pl.col("_user").is_not_null(),
                "optout:user",
                pl.format("user is on the opt-out list {}", pl.col("_user")),
            ),
            (
                pl.col("_consent") == "withheld",
                "consent:withheld",
                pl.lit("the source records that consent was withheld"),
            ),
        ]
        if self.options.require == "granted":
            rules.append(
                (
                    pl.col("_consent") != "granted",
                    "consent:unknown",
                    pl.lit("consent is not recorded as granted (require: granted)"),
                )
            )
        judged = judged.with_columns(
            reason=_first(rules, lambda rule: pl.lit(rule[1])),
            detail=_first(rules, lambda rule: rule[2]),
        )
        self._count(judged)
        return judged.drop("_record", "_user", "_consent")

    def _count(self, judged: pl.DataFrame) -> None:
        for consent, reason, rows in judged.group_by("_consent", "reason").len().iter_rows():
            value = consent if consent in ("granted", "withheld") else "unknown"
            self._consent[(value, "kept" if reason is None else "dropped")] += rows
            if reason is not None:
                self._reasons[reason] += rows

    def report(self) -> ConsentReport:
        return ConsentReport(
            require=self.options.require,
            consent={
                value: KeptDropped(
                    kept=self._consent[(value, "kept")], dropped=self._consent[(value, "dropped")]
                )
                for value in ("granted", "withheld", "unknown")
            },
            optout=OptOutCounts(user=self._reasons["optout:user"], record=self._reasons["optout:record"]),
            optout_lists=[
                OptOutFile(file=listed.label, entries=listed.entries, sha256=listed.sha256)
                for listed in self._lists
            ],
        )

    def _label(self, path: Path) -> str:
        """The list's path as the pipeline file would write it (relative to the file's folder)."""
        try:
            return Path(os.path.relpath(path, self.context.pipeline_dir)).as_posix()
        except ValueError:
            return path.name


Rule = tuple[pl.Expr, str, pl.Expr]


def _first(rules: list[Rule], value: Callable[[Rule], pl.Expr]) -> pl.Expr:
    """The value of the first rule whose condition holds, else null."""
    chained = pl.lit(None, dtype=pl.String)
    for rule in reversed(rules):
        chained = pl.when(rule[0]).then(value(rule)).otherwise(chained)
    return chained
