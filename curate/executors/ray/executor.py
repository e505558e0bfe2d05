"""The Ray executor: the local executor's plan and work folder, with record steps run by Ray.

Record steps go through ``ray.data``: the first step reads each input in a Ray task
(``tasks.ReadInput``, the local executor's reader and shards), later ones slice the step
before them in the work folder; ``map_batches`` runs the step's stages on one shard per call,
in an actor pool when a stage loads something (one model per actor), as plain tasks
otherwise; every call writes its shard into the work folder. Whole-data steps run their
passes over shards as Ray calls too (``whole``), and only their decisions here, on the driver,
after checking that they fit its memory (``driver``): what they hold grows with the rows only
by their compact summaries (``DESIGN.md``, "Whole-data steps"). What a step's stages share
(decontamination's evaluation index) is built here once and put in the object store.

Shards are keyed by input and number, never by arrival, and every figure is read back from
the work folder in shard order, so the output is the local executor's byte for byte; and a
run killed on the cluster resumes from the work folder as a local one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from curate.config import ExecutorConfig, PipelineConfig
from curate.dedup.joining import Joiner
from curate.errors import ExecutorError, StageError
from curate.executors.compact import CompactNames
from curate.executors.local import Execution, LocalExecutor
from curate.executors.ray.cluster import Cluster, ray_cluster
from curate.executors.ray.driver import check_driver_memory
from curate.executors.ray.figures import step_figures
from curate.executors.ray.reading import merged, piece_shards, plan, read_pieces
from curate.executors.ray.shards import Failure, ShardInput, first_line, slices
from curate.executors.ray.tasks import (
    InputsSource,
    ReadInput,
    Shared,
    StepActor,
    loads_models,
    run_shard,
    share,
)
from curate.executors.ray.whole import WholeOnRay
from curate.executors.ray.writing import write_on_ray
from curate.executors.reads import InputSeen
from curate.executors.steps import Step
from curate.executors.workdir import WorkFolder
from curate.licensing import resolve_input_license
from curate.progress import Reporter
from curate.record import InputData, InputRecord
from curate.record_executor import ExecutorRecord, RayStepRecord
from curate.stages.base import CompactStage, PartitionedStage, RunContext, Stage
from curate.writers.jobs import FileJob


class RayExecutor(LocalExecutor):
    """Runs ``stages`` as ``LocalExecutor`` does, with record steps on the Ray cluster of ``settings``."""

    def __init__(
        self,
        config: PipelineConfig,
        stages: Sequence[Stage[Any]],
        context: RunContext,
        work: WorkFolder,
        reporter: Reporter,
        *,
        settings: ExecutorConfig,
        **options: Any,
    ) -> None:
        super().__init__(config, stages, context, work, reporter, **options)
        self.settings = settings
        self.cluster: Cluster | None = None
        self._held = ExitStack()
        """The cluster, joined by ``run`` and left on ``__exit__``, once the output is written."""
        self.figures: list[RayStepRecord] = []
        """Ray's figures of each step this run gave it, in step order."""

    def run(self) -> Execution:
        try:
            cluster = self._held.enter_context(ray_cluster(self.settings, self.reporter))
        except ExecutorError:
            # Nothing ran: a work folder without a finished shard would only make the next
            # run (with the right address) ask for --resume.
            if not any(self.work.finished(step.key) for step in self.steps):
                self.work.remove()
            raise
        self.cluster = cluster
        self.work.log("ray_joined", cpus=cluster.cpus, nodes=cluster.nodes, ray=cluster.ray_version)
        return super().run()

    def write_files(self, jobs: Sequence[FileJob], folder: Path) -> None:
        """The output's data and rejects files, written by the cluster's workers (``writing``)."""
        if self.cluster is None:
            super().write_files(jobs, folder)
            return
        write_on_ray(jobs, folder, self.work, self.reporter, self.settings.max_retries)

    def __exit__(self, *exc: object) -> None:
        """Leave the cluster (stopping a Ray instance the run started), whatever happened."""
        self.cluster = None
        self._held.close()

    def record(self) -> ExecutorRecord | None:
        if self.cluster is None:
            return None
        found = self.cluster.record()
        return found.model_copy(
            update={"max_retries": self.settings.max_retries, "steps": self.figures or None}
        )

    # Steps -----------------------------------------------------------------------------

    def _read_step(self, step: Step) -> list[InputRecord]:
        import ray.data

        inputs, pieced = [], {}
        for number, spec in enumerate(self.config.inputs):
            if self.limit is not None:
                spec = spec.model_copy(update={"limit": min(spec.limit or self.limit, self.limit)})
            held = self.data.get(spec.name)
            planned = plan(number, spec, self.located.get(spec.name)) if held is None else None
            if planned is not None:
                pieced[number] = planned
                continue
            inputs.append(
                ReadInput(
                    number,
                    spec,
                    self.config.base_dir,
                    self.context.strict,
                    self.shard_rows,
                    self.work.path,
                    step.key,
                    held.data if held is not None else None,
                )
            )
        datasets = []
        if inputs:
            datasets.append(ray.data.read_datasource(InputsSource(inputs), override_num_blocks=len(inputs)))
        read = None
        if pieced:
            read = read_pieces(self.work, step.key, pieced, self.config.inputs, self.reporter)
            blocks = piece_shards(self.work, step.key, pieced, self.shard_rows, self.context.strict)
            if blocks:
                datasets.append(ray.data.from_arrow(blocks))
        if datasets:
            self._run_step(step, datasets[0].union(*datasets[1:]) if len(datasets) > 1 else datasets[0], None)
            if read is not None and self.figures and self.figures[-1].step == step.key:
                self.figures[-1] = merged(read, self.figures[-1]) or self.figures[-1]
        reads = self._reads()
        records = []
        for number, spec in enumerate(self.config.inputs):
            seen = self.work.facts(f"{step.key}.inputs", f"{number:02d}")
            if spec.format == "auto":
                self.reporter.message(f"input {spec.name}: format auto chose {seen['format']}")
            held = self.data.get(spec.name)
            data = InputData(type=held.kind, sha256=seen["sha256"]) if held is not None else None
            found = InputSeen(seen["format"], spec.format == "auto", resolve_input_license(spec), data)
            chosen = [read for read in reads if read["input"] == number]
            records.append(self._input_record(spec, found, chosen))
        return records

    def _record_step(self, step: Step, previous: list[str]) -> None:
        import pyarrow as pa
        import ray.data

        source = self.steps[step.number - 2].key
        heights = [self.work.rows(source, key) for key in previous]
        blocks: list[pa.Table] = []
        for number, pieces in enumerate(slices(previous, heights, self.shard_rows)):
            key = f"{number:05d}"
            if not self.work.done(step.key, key):
                blocks.append(ShardInput(key, source=source, pieces=pieces).row())
        if blocks:
            self._run_step(step, ray.data.from_arrow(blocks), sum(heights))

    def _whole_step(self, step: Step, previous: list[str]) -> None:
        """A compact or partitioned stage's passes as Ray calls (``whole.WholeOnRay``); any other
        whole-data stage on the driver, as the local executor runs it."""
        stage = self.stages[step.stages[0]]
        if not isinstance(stage, CompactStage | PartitionedStage):
            super()._whole_step(step, previous)
            return
        assert self.cluster is not None
        source = self.steps[step.number - 2].key
        heights = [self.work.rows(source, key) for key in previous]
        if not self.work.done(CompactNames(step.key).decisions, "all"):
            limit, clusters = self.settings.driver_memory, self.settings.clusters
            place = check_driver_memory(stage, sum(heights), limit, clusters)
            if stage.edge_memory(sum(heights)) is not None:
                self.work.log("clusters_joined", step=step.key, on=place, setting=clusters)
            if place == "cluster":
                stage.context = replace(stage.context, joiner=self._joiner())
        passes = WholeOnRay(
            self.work,
            step,
            stage,
            self.context,
            self.reporter,
            self.cluster.cpus,
            self.settings.actor_cpus,
            source,
            previous,
            heights,
            self.shard_rows,
            self.settings.max_retries,
        )
        if isinstance(stage, CompactStage):
            passes.run_compact(stage)
        else:
            passes.run_partitioned(stage, self.batch_rows)
        figures = passes.figures()
        if figures is not None:
            self.figures.append(figures)

    def _joiner(self) -> Joiner:
        """Stars grouped and clusters joined on the cluster: the driver holds no edges."""
        from curate.executors.ray.components import OnRay

        assert self.cluster is not None
        return OnRay(actors=min(4, self.cluster.cpus), partitions=max(2, self.cluster.cpus))

    def _run_step(self, step: Step, dataset: Any, total: int | None) -> None:
        """Run ``step``'s stages on every shard of ``dataset``, each written into the work folder."""
        from ray.data import ActorPoolStrategy
        from ray.exceptions import RayError

        assert self.cluster is not None
        stages = [(position, self.stages[position]) for position in step.stages]
        built = [(position, stage.name, stage.options) for position, stage in stages]
        arguments = {"work": str(self.work.path), "step": step.key, "built": built, "context": self.context}
        retries = self.settings.max_retries
        pool = "actors" if loads_models(stages) else "tasks"
        arguments["shared"] = self._shared(step, stages)
        if pool == "actors":
            actors = max(1, int(self.cluster.cpus // self.settings.actor_cpus))
            mapped = dataset.map_batches(
                StepActor,
                fn_constructor_kwargs=arguments,
                batch_size=1,
                batch_format="pyarrow",
                compute=ActorPoolStrategy(min_size=1, max_size=actors),
                num_cpus=self.settings.actor_cpus,
                # An actor whose process dies is started again and its shard given again; Ray's
                # default is to do so forever, which a shard that always kills it would make a hang.
                max_restarts=retries,
                max_task_retries=retries,
            )
        else:
            mapped = dataset.map_batches(
                run_shard, fn_kwargs=arguments, batch_size=1, batch_format="pyarrow", max_retries=retries
            )
        self.reporter.start("+".join(("read", *step.names) if step.reads else step.names), total)
        try:
            for done in mapped.iter_rows():
                if done["error"] is not None:
                    raise Failure.loads(done["error"]).error()
                self.reporter.advance(done["rows"])
                self.work.log(
                    "shard_done", step=step.key, shard=done["shard"], rows=done["rows"], node=done["node"]
                )
        except RayError as exc:
            raise StageError(
                f"a Ray task of step {step.key} failed ({first_line(exc)}; one whose worker dies is run"
                f" again up to {retries} times, executor.max_retries); the finished shards are kept:"
                " rerun with --resume to continue from them"
            ) from exc
        self.reporter.finish()
        names = ("read", *step.names) if step.reads else step.names
        figures = step_figures(mapped, step.key, names, pool)
        if figures is not None:
            self.figures.append(figures)

    def _shared(self, step: Step, stages: list[tuple[int, Stage[Any]]]) -> Shared:
        """What the step's stages share (decontamination's evaluation index), built here once and
        put in the object store for every actor, instead of built by each."""
        if not any(type(stage).shared is not Stage.shared for _, stage in stages):
            return {}
        self.reporter.start(f"{'+'.join(step.names)}: shared", None)
        shared = share(stages)
        self.reporter.finish()
        self.work.log("shared_built", step=step.key, stages=sorted(shared))
        return shared
