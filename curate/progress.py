"""Progress and the end-of-run table. The runner reports; stages never print."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from curate.record import InputRecord
    from curate.record_executor import ExecutorRecord
    from curate.result import StageStats


class Reporter(Protocol):
    """Receives progress from the runner."""

    def start(self, task: str, total: int | None) -> None: ...
    def advance(self, rows: int) -> None: ...
    def finish(self) -> None: ...
    def message(self, text: str) -> None: ...
    def summary(self, stats: list[StageStats], executor: ExecutorRecord | None = None) -> None:
        """The end-of-run table; ``executor`` (a run on Ray) adds what Ray says each step took."""


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

    def summary(self, stats: list[StageStats], executor: ExecutorRecord | None = None) -> None:
        pass


class PlainReporter:
    """Progress as plain lines on stderr, for logs and CI: one when a step starts, one at most
    every ``interval`` seconds while it runs (records or rows so far, and per second), one
    when it ends."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._task = ""
        self._rows = 0
        self._total: int | None = None
        self._started = self._shown = 0.0

    def start(self, task: str, total: int | None) -> None:
        self._task, self._rows, self._total = task, 0, total
        self._started = self._shown = time.monotonic()
        of = f" of {total:,}" if total is not None else ""
        self._line(f"{task}: started{of}")

    def advance(self, rows: int) -> None:
        self._rows += rows
        now = time.monotonic()
        if now - self._shown >= self.interval:
            self._shown = now
            rate = self._rate(now)
            left = ""
            if self._total is not None and rate > 0 and self._total >= self._rows:
                left = f", about {_duration((self._total - self._rows) / rate)} left"
            of = f" of {self._total:,}" if self._total is not None else " so far"
            self._line(f"{self._task}: {self._rows:,}{of}, {rate:,.0f}/s{left}")

    def finish(self) -> None:
        now = time.monotonic()
        self._line(f"{self._task}: done, {self._rows:,} in {now - self._started:.1f} s")

    def message(self, text: str) -> None:
        self._line(text)

    def summary(self, stats: list[StageStats], executor: ExecutorRecord | None = None) -> None:
        RichReporter.table(stats, _console(), executor)

    def _rate(self, now: float) -> float:
        return self._rows / max(now - self._started, 1e-9)

    @staticmethod
    def _line(text: str) -> None:
        print(text, file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    """``42 s``, ``7 min``, ``3.5 h``: an estimate, so coarse."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def empty_inputs(inputs: list[InputRecord]) -> list[str]:
    """A line for each input that gave no row, saying why, for the end of the run's summary."""
    lines = []
    for read in inputs:
        if read.rows:
            continue
        if not read.records:
            lines.append(f"input {read.name} gave no rows: its {len(read.files)} file(s) hold no record")
            continue
        ranked = sorted(read.reasons.items(), key=lambda item: (-item[1], item[0]))
        why = ", ".join(f"{reason} {count:,}" for reason, count in ranked)
        lines.append(
            f"input {read.name} gave no rows: all {read.records:,} records were rejected"
            f" ({why}; see rejects/read.parquet)"
            if read.rejected == read.records
            else f"input {read.name} gave no rows from its {read.records:,} records"
        )
    return lines


def reporter_for_stderr() -> Reporter:
    """Bars and a table on a terminal; plain lines and the table elsewhere (logs, CI)."""
    return RichReporter() if sys.stderr.isatty() else PlainReporter()


def _console() -> Any:
    from rich.console import Console

    # Logs and CI have no terminal width; 120 columns keep the summary table readable there.
    return Console(file=sys.stderr, width=None if sys.stderr.isatty() else 120)


class RichReporter:
    """A progress bar per stage on stderr, and a table of the run at the end."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = _console()
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task: int | None = None

    def start(self, task: str, total: int | None) -> None:
        if self._task is None:
            self._progress.start()
        self._task = self._progress.add_task(task, total=total, rate="")

    def advance(self, rows: int) -> None:
        if self._task is not None:
            task: Any = self._task
            self._progress.advance(task, rows)
            speed = self._progress.tasks[-1].speed
            self._progress.update(task, rate=f"{speed:,.0f}/s" if speed else "")

    def finish(self) -> None:
        if self._task is not None:
            task = self._task
            total = self._progress.tasks[-1].completed
            self._progress.update(task, total=total, completed=total)  # type: ignore[arg-type]

    def message(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def summary(self, stats: list[StageStats], executor: ExecutorRecord | None = None) -> None:
        self._progress.stop()
        self.table(stats, self.console, executor)

    @staticmethod
    def table(stats: list[StageStats], console: Any, executor: ExecutorRecord | None = None) -> None:
        """The end-of-run table: rows in, out and rejected, seconds and top reasons per stage;
        for a run on Ray, a column of what Ray's statistics say each step took."""
        from rich.table import Table

        on_ray = ray_column(stats, executor) if executor is not None else None
        table = Table(title="curate run", title_justify="left")
        columns = (
            "stage",
            "in",
            "out",
            "rejected",
            "seconds",
            "top reasons",
            *(("on Ray",) if on_ray else ()),
        )
        for column in columns:
            table.add_column(
                column, justify="right" if column in ("in", "out", "rejected", "seconds") else "left"
            )
        for number, s in enumerate(stats):
            ranked = sorted(s.reasons.items(), key=lambda item: (-item[1], item[0]))[:3]
            reasons = ", ".join(f"{reason} {count:,}" for reason, count in ranked)
            out = f"{s.rows_out:,}" + ("" if s.unit_out == s.unit_in else f" {s.unit_out}")
            ray = (on_ray[number],) if on_ray else ()
            row = (s.name, f"{s.rows_in:,}", out, f"{s.rows_rejected:,}", f"{s.seconds:.1f}", reasons, *ray)
            table.add_row(*row)
        console.print(table)


def ray_column(stats: list[StageStats], executor: ExecutorRecord) -> list[str]:
    """Per row of the table, what Ray's statistics say of the step the stage ran in: its
    tasks, nodes and CPU time on the step's first stage, a mark on the stages fused with it,
    nothing on the stages that ran on the driver (or in an earlier run a resumed one continues).
    A whole-data step's cell splits its tasks by pass and adds its time on the driver."""
    cells = [""] * len(stats)
    taken = 0
    for step in executor.steps or []:
        first = next((at for at in range(taken, len(stats)) if stats[at].name == step.stages[0]), None)
        if first is None:
            continue
        tasks = ("actor task" if step.pool == "actors" else "task") + ("" if step.tasks == 1 else "s")
        nodes = "node" if step.nodes == 1 else "nodes"
        passes = ", ".join(f"{found.name} {found.tasks:,}" for found in step.passes or [])
        cell = f"{step.tasks:,} {tasks}" + (f" ({passes})" if passes else "")
        cell += f", {step.nodes} {nodes}, {step.cpu_seconds:.1f} CPU s"
        if step.driver_seconds is not None:
            cell += f"; driver {step.driver_seconds:.1f} s"
        cells[first] = cell
        for at in range(first + 1, min(first + len(step.stages), len(stats))):
            cells[at] = "  (same tasks)"
        taken = first + len(step.stages)
    return cells
