"""Run a pipeline: read the inputs, apply the stages in order, account for every row.

The runner owns what stages must not do: batching, counting, timing, checking that each
stage's rows balance and its reasons are declared, progress, the run record (built once, by
``curate.manifest``) and, through ``curate.writers.output``, the files of the output folder.

Every stage is built before any data is read, so options that cannot work with this run
(an earlier release's index made with other settings) stop it at once. Each stage is then
set up once, given its rows (in batches, unless it needs the whole data) and torn down.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from curate import registry, schema
from curate.config import PipelineConfig, StageSpec, load_pipeline, parse_pipeline
from curate.errors import StageError
from curate.manifest import build_manifest
from curate.progress import QuietReporter, Reporter, RichReporter
from curate.readers.load import InputRead, read_input
from curate.record import StageStats
from curate.result import RunResult
from curate.stages.base import RunContext, Stage, StageOutput
from curate.writers.lock import OutputLock
from curate.writers.target import Protected, absolute, check_target, paths_in, protected_folders

BATCH_ROWS = 5_000


class Pipeline:
    """A validated pipeline, ready to run.

    >>> pipeline = Pipeline.from_yaml("pipelines/demo.yaml")  # doctest: +SKIP
    >>> result = pipeline.run(write=False)                   # doctest: +SKIP
    >>> result.funnel()                                       # doctest: +SKIP
    """

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config

    @classmethod
    def from_yaml(cls, path: str | Path) -> Pipeline:
        """Load and validate a pipeline file (``ConfigError`` names every problem)."""
        return cls(load_pipeline(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], base_dir: str | Path | None = None) -> Pipeline:
        """Validate a pipeline given as a dict; relative paths resolve against ``base_dir``."""
        return cls(parse_pipeline(data, base=Path(base_dir) if base_dir else None))

    def run(
        self,
        *,
        write: bool = True,
        output_dir: str | Path | None = None,
        strict: bool = False,
        quiet: bool = True,
        reporter: Reporter | None = None,
        workers: int | None = None,
        batch_rows: int = BATCH_ROWS,
        overwrite: bool = False,
    ) -> RunResult:
        """Run every stage; write the output folder unless ``write=False``.

        Before anything is read, the output folder is checked (``OutputError`` when it is not
        a curate output and ``overwrite`` is false, and always for ``/``, the home folder, a
        symbolic link, or a folder holding the pipeline file or an input) and locked against
        a second run writing it at the same time.
        """
        target = absolute(Path(output_dir)) if output_dir else self.config.output_dir
        if not write:
            return self._run(target, False, strict, quiet, reporter, workers, batch_rows)
        self.check_output(target, overwrite=overwrite)
        with OutputLock(target):
            return self._run(target, True, strict, quiet, reporter, workers, batch_rows)

    def check_output(self, output_dir: str | Path | None = None, *, overwrite: bool = False) -> Path:
        """The output folder a run would write, or ``OutputError`` saying why it may not.

        ``overwrite=True`` leaves only the refusals no flag lifts (``/``, home, a symbolic
        link, a folder holding the pipeline file or an input), as ``curate validate`` checks.
        """
        target = absolute(Path(output_dir)) if output_dir else self.config.output_dir
        check_target(target, _read_by(self.config), overwrite=overwrite)
        return target

    def _run(
        self,
        target: Path,
        write: bool,
        strict: bool,
        quiet: bool,
        reporter: Reporter | None,
        workers: int | None,
        batch_rows: int,
    ) -> RunResult:
        config = self.config
        reporter = reporter or (QuietReporter() if quiet else RichReporter())
        context = RunContext(
            pipeline_dir=config.base_dir,
            output_dir=target,
            seed=config.seed,
            strict=strict,
            inputs=config.inputs,
            workers=workers or max(1, min(os.cpu_count() or 1, 8)),
        )
        stages = [_build(spec, context) for spec in config.stages]
        reads, read_stats = _read_inputs(config, strict, reporter)
        frame = pl.concat([read.frame for read in reads], how="vertical") if reads else schema.empty()
        rejects: dict[str, pl.DataFrame] = {"read": pl.concat([read.rejects for read in reads])}
        stats = [read_stats]
        conversations = frame
        for spec, stage in zip(config.stages, stages, strict=True):
            if schema.kind_of(frame) == "conversations":
                conversations = frame
            frame, rejected, stage_stats = _run_stage(stage, frame, reporter, batch_rows)
            rejects[_unique_key(spec.name, rejects)] = rejected
            stats.append(stage_stats)
        if schema.kind_of(frame) == "conversations":
            conversations = frame
        result = RunResult(
            config=config,
            output=frame,
            conversations=conversations,
            rejects_by_stage=rejects,
            inputs=reads,
            manifest=build_manifest(config, reads, stats, frame, conversations),
        )
        if write:
            _write(result, target, stages)
            result.output_dir = target
        reporter.summary(stats)
        return result


def run(path: str | Path, **options: Any) -> RunResult:
    """Load the pipeline file at ``path`` and run it (``Pipeline.run`` options apply)."""
    return Pipeline.from_yaml(path).run(**options)


def _read_inputs(
    config: PipelineConfig, strict: bool, reporter: Reporter
) -> tuple[list[InputRead], StageStats]:
    started = time.perf_counter()
    reads = []
    reasons: Counter[str] = Counter()
    for spec in config.inputs:
        reporter.start(f"read {spec.name}", None)
        read = read_input(spec, config.base_dir, strict=strict, on_records=reporter.advance)
        reporter.finish()
        if read.detected:
            reporter.message(f"input {spec.name}: format auto chose {read.format}")
        reasons.update(read.reasons)
        reads.append(read)
    records = sum(read.records for read in reads)
    rejected = sum(read.rejects.height for read in reads)
    stats = StageStats(
        name="read",
        rows_in=records,
        rows_out=sum(read.frame.height for read in reads),
        rows_rejected=rejected,
        seconds=time.perf_counter() - started,
        reasons=dict(sorted(reasons.items())),
        unit_in="records",
        rows_consumed=records - rejected,
    )
    return reads, stats


def _write(result: RunResult, target: Path, stages: list[Stage[Any]]) -> None:
    from curate.card import write_card
    from curate.writers.output import write_output

    def artifacts(folder: Path) -> None:
        for stage in stages:
            stage.write_artifacts(folder, result.output)

    output = result.config.output
    write_output(
        target,
        result.manifest,
        result.splits(),
        result.rejects_by_stage,
        shard_rows=output.shard_rows,
        artifacts=artifacts,
        card=write_card if output.card else None,
    )


def _read_by(config: PipelineConfig) -> list[Protected]:
    """The pipeline file, the inputs and the files stage options name: the output must spare them."""
    return protected_folders(
        config.file,
        [(spec.name, spec.path, config.base_dir) for spec in config.inputs],
        [path for spec in config.stages for path in paths_in(spec.options)],
    )


def _build(spec: StageSpec, context: RunContext) -> Stage[Any]:
    stage_class = registry.stages.get(spec.name)
    return stage_class(spec.options, context)


def _run_stage(
    stage: Stage[Any], frame: pl.DataFrame, reporter: Reporter, batch_rows: int
) -> tuple[pl.DataFrame, pl.DataFrame, StageStats]:
    unit_in = schema.kind_of(frame)
    started = time.perf_counter()
    reporter.start(stage.name, frame.height)
    stage.setup()
    try:
        if stage.whole_data or frame.height <= batch_rows:
            output = stage.process(frame)
            reporter.advance(frame.height)
        else:
            output = _in_batches(stage, frame, reporter, batch_rows)
    finally:
        stage.teardown()
    reporter.finish()
    seconds = time.perf_counter() - started
    _check(stage, frame, output)
    rejected = output.rejected.with_columns(stage=pl.lit(stage.name)).select(
        [c for c in output.rejected.columns if c not in ("reason", "detail")] + ["stage", "reason", "detail"]
    )
    reasons = Counter(rejected["reason"].to_list())
    stats = StageStats(
        name=stage.name,
        rows_in=frame.height,
        rows_out=output.kept.height,
        rows_rejected=rejected.height,
        seconds=seconds,
        unit_in=unit_in,
        unit_out=schema.kind_of(output.kept),
        reasons=dict(sorted(reasons.items())),
        rows_consumed=output.consumed,
        report=_report(stage),
    )
    return output.kept, rejected, stats


def _report(stage: Stage[Any]) -> dict[str, Any]:
    """The stage's report as the manifest stores it; it must be the ``Report`` the stage declares."""
    report = stage.report()
    if report is None:
        return {}
    if stage.Report is None or not isinstance(report, stage.Report):
        declared = stage.Report.__name__ if stage.Report else "none (Report is not set)"
        raise StageError(
            f"stage {stage.name!r} reported a {type(report).__name__}; its declared Report is {declared}"
        )
    return report.model_dump()


def _in_batches(stage: Stage[Any], frame: pl.DataFrame, reporter: Reporter, batch_rows: int) -> StageOutput:
    outputs = []
    for batch in frame.iter_slices(batch_rows):
        outputs.append(stage.process(batch))
        reporter.advance(batch.height)
    consumed = None
    if any(output.consumed is not None for output in outputs):
        consumed = sum(o.kept.height if o.consumed is None else o.consumed for o in outputs)
    return StageOutput(
        kept=pl.concat([output.kept for output in outputs], how="vertical"),
        rejected=pl.concat([output.rejected for output in outputs], how="vertical"),
        consumed=consumed,
    )


def _check(stage: Stage[Any], frame: pl.DataFrame, output: StageOutput) -> None:
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


def _unique_key(name: str, taken: dict[str, Any]) -> str:
    if name not in taken:
        return name
    index = 2
    while f"{name}-{index}" in taken:
        index += 1
    return f"{name}-{index}"
