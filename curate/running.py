"""One run of a validated pipeline, once its output folder has been checked and locked.

Every stage is built, the work folder opened under the run's key (the pipeline, the version of
each input, the shard size), the steps handed to the executor, the run record built
(``curate.manifest``) and, unless the run only collects, the output folder written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate import registry
from curate.config import ExecutorConfig, PipelineConfig, StageSpec
from curate.executors.choice import make_executor
from curate.executors.outputs import WorkOutputs
from curate.executors.workdir import RunKey, WorkFolder
from curate.manifest import build_manifest, package_versions
from curate.progress import Reporter, empty_inputs
from curate.readers.locate import Located
from curate.readers.memory import InMemory
from curate.readers.remote import file_version
from curate.record import Manifest
from curate.result import RunResult
from curate.stages.base import RunContext, Stage
from curate.writers.disk import disk_faults
from curate.writers.jobs import RunJobs
from curate.writers.streams import OutputFacts


@dataclass(frozen=True)
class RunSettings:
    """The options of ``Pipeline.run`` that reach past its checks of the output folder."""

    strict: bool
    workers: int | None
    shard_rows: int
    resume: bool
    restart: bool
    keep_work: bool
    limit: int | None
    force: bool
    collect: bool
    executor: ExecutorConfig


def execute(
    config: PipelineConfig,
    data: Mapping[str, InMemory],
    target: Path,
    work_path: Path,
    write: bool,
    settings: RunSettings,
    reporter: Reporter,
    located: Mapping[str, Located],
) -> RunResult:
    """Run the stages of ``config`` on its inputs (``data``: the inputs held in memory), keeping
    finished shards in ``work_path``; write the output folder ``target`` when ``write``."""
    context = RunContext(
        pipeline_dir=config.base_dir,
        output_dir=target,
        seed=config.seed,
        strict=settings.strict,
        inputs=config.inputs,
        workers=settings.workers or max(1, min(os.cpu_count() or 1, 8)),
        format_variant=config.output.format_variant,
    )
    stages = [_build(spec, context) for spec in config.stages]
    fingerprints = {
        spec.name: located[spec.name].fingerprints() if spec.name in located else [] for spec in config.inputs
    }
    key = RunKey(
        curate_version=package_versions().get("curate", "unknown"),
        config_hash=config.config_hash,
        inputs=tuple((name, _versions(files) or _held(name, data)) for name, files in fingerprints.items()),
        shard_rows=settings.shard_rows,
        limit=settings.limit,
    )
    work, resumed = WorkFolder.open(work_path, key, resume=settings.resume, restart=settings.restart)
    if resumed:
        reporter.message(f"resuming the run in {work_path}")
    work.log("run_start", resumed=resumed, workers=context.workers, shard_rows=settings.shard_rows)
    executor = make_executor(
        settings.executor,
        config,
        stages,
        context,
        work,
        reporter,
        fingerprints=fingerprints,
        located=located,
        shard_rows=settings.shard_rows,
        workers=context.workers,
        limit=settings.limit,
        force=settings.force,
        data=data,
    )
    # The executor holds what it ran on (a Ray cluster) until the output files are written.
    with executor:
        with disk_faults(work_path):
            execution = executor.run()
        outputs = WorkOutputs(
            work, execution.output, execution.conversations, execution.rejects, config.output.format_variant
        )
        facts = outputs.facts()
        manifest = build_manifest(
            config, execution.inputs, execution.stats, facts, settings.limit, executor.record()
        )
        frames: dict[str, Any] = {}
        if settings.collect or not write:
            frames = {
                "output": outputs.collect(execution.output),
                "conversations": outputs.collect(execution.conversations),
                "rejects_by_stage": {key: _concat(list(outputs.rejects(key)())) for key in execution.rejects},
            }
        result = RunResult(config=config, manifest=manifest, frames=frames)
        if write:
            work.log("write_start")
            with disk_faults(target):
                _write(config, manifest, outputs, facts, target, stages, executor.write_files)
            result.output_dir = target
            work.log("run_done")
            if not settings.keep_work:
                work.remove()
        if manifest.executor is not None:
            reporter.summary(execution.stats, manifest.executor)
        else:
            reporter.summary(execution.stats)
        for line in empty_inputs(execution.inputs):
            reporter.message(line)
        return result


def _write(
    config: PipelineConfig,
    manifest: Manifest,
    outputs: WorkOutputs,
    facts: OutputFacts,
    target: Path,
    stages: list[Stage[Any]],
    run: RunJobs,
) -> None:
    from curate.card import write_card
    from curate.writers.output import write_output

    def artifacts(folder: Path) -> None:
        for stage in stages:
            stage.write_artifacts(folder, facts.rows)

    write_output(
        target,
        manifest,
        {name: (outputs.split(name, facts.heights.get(name)), size) for name, size in facts.sizes.items()},
        {key: outputs.rejects(key) for key in outputs.reject_parts},
        shard_rows=config.output.shard_rows,
        artifacts=artifacts,
        card=write_card if config.output.card else None,
        run=run,
    )


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")


def _versions(files: list[dict[str, Any]]) -> tuple[tuple[str, str | None], ...]:
    """Each file of an input in the run's key: its path and what identifies its version
    (a local file's SHA-256; a remote one's SHA-256, ETag, or size and time: ``file_version``)."""
    return tuple((str(file["path"]), file_version(file)) for file in files)


def _held(name: str, data: Mapping[str, InMemory]) -> tuple[tuple[str, str | None], ...]:
    """An input held in memory in the run's key: what held it, and no fingerprint."""
    return ((f"<{data[name].kind}>", None),) if name in data else ()


def _build(spec: StageSpec, context: RunContext) -> Stage[Any]:
    stage_class = registry.stages.get(spec.name)
    return stage_class(spec.options, context)
