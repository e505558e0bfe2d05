"""Where every row went: the funnel (table and chart), rejection reasons, and stage reports.

All figures are the manifest's, so the card and ``manifest.json`` cannot disagree. Timings
are left out on purpose: they differ between identical runs, and the card must not.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from curate.card.chart import CHART_FILE
from curate.card.reports import report_section
from curate.card.source import CardSource
from curate.markdown import code, table
from curate.record import StageStats

MAX_ARGUMENTS = 8
"""A reason code with more distinct arguments than this (``duplicate_of:<id>``) shows as one row."""


def funnel_rows(stages: list[StageStats]) -> list[list[Any]]:
    """One row per stage: stage, rows in, unit in, rejected, rows out, unit out, balanced."""
    return [
        [
            stage.name,
            stage.rows_in,
            stage.unit_in,
            stage.rows_rejected,
            stage.rows_out,
            stage.unit_out,
            "yes" if stage.balanced else "**no**",
        ]
        for stage in stages
    ]


def funnel_section(source: CardSource) -> str:
    stages = source.stages
    rows = funnel_rows(stages)
    consumed = [s.name for s in stages if s.rows_consumed is not None and s.rows_consumed != s.rows_out]
    note = (
        "Every stage accounts for each row it is given: rows in = rows out + rows rejected"
        + (
            f"; where the unit changes ({', '.join(code(str(n)) for n in consumed)}), rows in = rows"
            " consumed + rows rejected"
            if consumed
            else ""
        )
        + ". The last column checks it."
    )
    return "\n\n".join(
        [
            "## Funnel",
            f"![Rows through each stage of the run]({CHART_FILE})",
            table(["stage", "in", "unit", "rejected", "out", "unit", "balanced"], rows, align="lrlrrll"),
            note,
        ]
    )


def reason_rows(reasons: dict[str, int]) -> list[tuple[str, int]]:
    """``(reason, rows)`` rows, most frequent first; a code with many arguments becomes one row."""
    by_code: dict[str, Counter[str]] = {}
    for reason, count in reasons.items():
        reason_code, _, argument = reason.partition(":")
        by_code.setdefault(reason_code, Counter())[argument] += int(count)
    rows: list[tuple[str, int]] = []
    for reason_code, arguments in by_code.items():
        if len(arguments) > MAX_ARGUMENTS:
            rows.append((f"{reason_code}:* ({len(arguments):,} distinct)", sum(arguments.values())))
        else:
            rows += [
                (f"{reason_code}:{argument}" if argument else reason_code, count)
                for argument, count in arguments.items()
            ]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def rejections_section(source: CardSource) -> str:
    blocks = [
        "## Rejected rows",
        "Rejected rows are not part of this dataset and are never published. The output folder of"
        " the run keeps each of them in `rejects/<stage>.parquet` with its stage and reason.",
    ]
    clean = []
    for stage in source.stages:
        if not stage.reasons:
            clean.append(code(stage.name))
            continue
        blocks += [f"### {stage.name}", table(["reason", "rows"], reason_rows(stage.reasons), align="lr")]
    if clean:
        blocks.append(f"No row was rejected by: {', '.join(clean)}.")
    return "\n\n".join(blocks)


def reports_section(source: CardSource) -> str | None:
    names = Counter(stage.name for stage in source.stages)
    sections = []
    for index, (stage, report) in enumerate(zip(source.stages, source.reports, strict=True)):
        heading = stage.name if names[stage.name] == 1 else f"{stage.name} (step {index})"
        section = report_section(stage, report, heading)
        if section:
            sections.append(section)
    if not sections:
        return None
    return "\n\n".join(["## Stage reports", "What each stage found, in counts and settings.", *sections])
