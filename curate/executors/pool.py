"""Shards of a record step, run in this process or over worker processes, each written whole.

The first shard of a step runs here, so a run of one shard (tests, a notebook, a small
file) starts no process. From the second on, with more than one worker, shards go to
spawned processes that each build the step's stages, set them up once (models load once per
worker) and write every shard they finish into the work folder themselves; at most two
shards per worker are in flight, so memory stays bounded whatever the input's size.
A worker whose parent dies exits on its own.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl

from curate import registry
from curate.errors import StageError
from curate.executors.steps import run_stages
from curate.executors.workdir import WorkFolder
from curate.options import StageOptions
from curate.processes import exit_with
from curate.progress import Reporter
from curate.stages.base import RunContext, Stage

IN_FLIGHT_PER_WORKER = 2


class ShardRunner:
    """Runs a step's record stages on each shard it is given and checkpoints the result."""

    def __init__(
        self,
        work: WorkFolder,
        step: str,
        stages: list[tuple[int, Stage[Any]]],
        context: RunContext,
        workers: int,
    ) -> None:
        self.work = work
        self.step = step
        self.stages = stages
        self.context = context
        self.workers = workers
        self._set_up = False
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[Future[None], tuple[str, int]] = {}
        self._submitted = 0

    def prepare(self, reporter: Reporter) -> None:
        """Set the step's stages up here, for its first shard: models that take a while to load
        show as a step of their own instead of a bar that stays at zero."""
        if self._set_up:
            return
        slow = [f"{stage.name}: {stage.loads}" for _, stage in self.stages if stage.loads]
        if slow:
            reporter.start(f"loading {'; '.join(slow)}", None)
        for _, stage in self.stages:
            stage.setup()
        self._set_up = True
        if slow:
            reporter.finish()

    def submit(
        self, shard: str, frame: pl.DataFrame, parts: dict[str, pl.DataFrame], facts: dict[str, Any]
    ) -> None:
        """Run the step on ``frame`` and write shard ``shard`` (with ``parts`` and ``facts`` beside)."""
        self._submitted += 1
        if self.workers <= 1 or self._submitted == 1 or not self.stages:
            if not self._set_up:
                for _, stage in self.stages:
                    stage.setup()
                self._set_up = True
            finish_shard(self.work, self.step, self.stages, shard, frame, parts, facts)
            self.work.log("shard_done", step=self.step, shard=shard, rows=frame.height)
            return
        if self._pool is None:
            # The first shard ran here, where stages may have started pools of their own
            # (language detection, pii); close them, or the step would hold twice the workers.
            self._tear_down()
            built = [(position, stage.name, stage.options) for position, stage in self.stages]
            self._pool = _start_pool(built, self.context, self.workers)
        while len(self._pending) >= IN_FLIGHT_PER_WORKER * self.workers:
            self._collect(FIRST_COMPLETED)
        future = self._pool.submit(_work, str(self.work.path), self.step, shard, frame, parts, facts)
        self._pending[future] = (shard, frame.height)

    def __enter__(self) -> ShardRunner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                while self._pending:
                    self._collect(FIRST_COMPLETED)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._tear_down()

    def _tear_down(self) -> None:
        if self._set_up:
            self._set_up = False
            for _, stage in self.stages:
                stage.teardown()

    def _collect(self, when: str) -> None:
        done, _ = wait(self._pending, return_when=when)
        for future in done:
            shard, rows = self._pending.pop(future)
            try:
                future.result()
            except BrokenProcessPool as exc:
                raise StageError(
                    f"a worker process of step {self.step} died (killed, or out of memory);"
                    " rerun with --resume to continue from the finished shards"
                ) from exc
            self.work.log("shard_done", step=self.step, shard=shard, rows=rows)


def finish_shard(
    work: WorkFolder,
    step: str,
    stages: list[tuple[int, Stage[Any]]],
    shard: str,
    frame: pl.DataFrame,
    parts: dict[str, pl.DataFrame],
    facts: dict[str, Any],
) -> None:
    kept, rejects, stage_facts = run_stages(stages, frame)
    work.write_shard(step, shard, {"kept": kept, **parts, **rejects}, {**facts, "stages": stage_facts})


Built = list[tuple[int, str, StageOptions]]
"""Each stage of a step as a worker rebuilds it: its position, registered name and options."""


def _start_pool(stages: Built, context: RunContext, workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        # A worker is one of the run's workers: the stages inside it use no pools of their own.
        initargs=(stages, replace(context, workers=1), os.getpid()),
    )


_STAGES: list[tuple[int, Stage[Any]]] = []


def _start_worker(stages: Built, context: RunContext, parent: int) -> None:
    exit_with(parent)
    import curate  # noqa: F401  (registers the stages)

    for position, name, options in stages:
        stage = registry.stages.get(name)(options, context)
        stage.setup()
        _STAGES.append((position, stage))


def _work(
    work: str,
    step: str,
    shard: str,
    frame: pl.DataFrame,
    parts: dict[str, pl.DataFrame],
    facts: dict[str, Any],
) -> None:
    finish_shard(WorkFolder(Path(work)), step, _STAGES, shard, frame, parts, facts)
