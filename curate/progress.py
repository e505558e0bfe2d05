"""Progress and the end-of-run table. The runner reports; stages never print."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from curate.result import StageStats


class Reporter(Protocol):
    """Receives progress from the runner."""

    def start(self, task: str, total: int | None) -> None: ...
    def advance(self, rows: int) -> None: ...
    def finish(self) -> None: ...
    def message(self, text: str) -> None: ...
    def summary(self, stats: list[StageStats]) -> None: ...


class QuietReporter:
    """Reports nothing (``--quiet``, notebooks, tests)."""

    def start(self, task: str, total: int | None) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def finish(self) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def summary(self, stats: list[StageStats]) -> None:
        pass


class RichReporter:
    """A progress bar per stage on stderr, and a table of the run at the end."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        # Logs and CI have no terminal width; 120 columns keep the summary table readable there.
        self.console = Console(file=sys.stderr, width=None if sys.stderr.isatty() else 120)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._task: int | None = None

    def start(self, task: str, total: int | None) -> None:
        if self._task is None:
            self._progress.start()
        self._task = self._progress.add_task(task, total=total)

    def advance(self, rows: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, rows)  # type: ignore[arg-type]

    def finish(self) -> None:
        if self._task is not None:
            task = self._task
            total = self._progress.tasks[-1].completed
            self._progress.update(task, total=total, completed=total)  # type: ignore[arg-type]

    def message(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def summary(self, stats: list[StageStats]) -> None:
        from rich.table import Table

        self._progress.stop()
        table = Table(title="curate run", title_justify="left")
        for column in ("stage", "in", "out", "rejected", "seconds", "top reasons"):
            table.add_column(
                column, justify="right" if column in ("in", "out", "rejected", "seconds") else "left"
            )
        for s in stats:
            ranked = sorted(s.reasons.items(), key=lambda item: (-item[1], item[0]))[:3]
            reasons = ", ".join(f"{reason} {count:,}" for reason, count in ranked)
            out = f"{s.rows_out:,}" + ("" if s.unit_out == s.unit_in else f" {s.unit_out}")
            table.add_row(s.name, f"{s.rows_in:,}", out, f"{s.rows_rejected:,}", f"{s.seconds:.1f}", reasons)
        self.console.print(table)
