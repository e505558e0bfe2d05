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
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from curate.compose import InputEntry, StageEntry, compose, data_input, render, validate
from curate.config import (
    DataInput,
    OutputConfig,
    PipelineConfig,
    load_pipeline,
    parse_pipeline,
)
from curate.config_inputs import override_inputs
from curate.errors import InputError
from curate.executors.choice import executor_settings
from curate.executors.local import DEFAULT_SHARD_ROWS
from curate.progress import QuietReporter, Reporter, reporter_for_stderr
from curate.readers.locate import Located, locate
from curate.readers.memory import InMemory
from curate.result import RunResult
from curate.running import RunSettings, execute
from curate.writers.disk import check_space, check_writable
from curate.writers.lock import OutputLock
from curate.writers.target import Protected, absolute, check_target, paths_in, protected_folders
from curate.yaml_source import load_yaml


class Pipeline:
    """A validated pipeline, ready to run: from a pipeline file, or from objects.

    >>> pipeline = Pipeline.from_yaml("pipelines/demo.yaml")  # doctest: +SKIP
    >>> result = pipeline.run(write=False)                   # doctest: +SKIP
    >>> result.funnel()                                       # doctest: +SKIP

    Built in Python, the stages are objects (or a pipeline file's entries), the inputs are a
    pipeline file's input entries (``{"name": ..., "path": ...}``, or ``"data": records`` held
    in memory instead of a path), and ``output`` is a folder or a file's ``output`` mapping.
    It is validated as a file is (``ConfigError``, each problem named as ``Pipeline():
    stages[1].dedup.threshold: ...``); relative paths start at ``base_dir`` (the current
    folder by default), as a file's start at its folder:

    >>> from curate.stages import Dedup, Normalize                      # doctest: +SKIP
    >>> pipeline = Pipeline(stages=[Normalize(), Dedup(threshold=0.8)])  # doctest: +SKIP
    >>> result = pipeline.run(data=dataset, license="CC-BY-4.0", write=False)  # doctest: +SKIP
    >>> Pipeline.from_yaml(pipeline.to_yaml()) == pipeline               # doctest: +SKIP
    True
    """

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        stages: Sequence[StageEntry] = (),
        inputs: Sequence[InputEntry] = (),
        output: str | os.PathLike[str] | OutputConfig | Mapping[str, Any] | None = None,
        name: str = "pipeline",
        description: str | None = None,
        seed: int = 0,
        base_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.data: dict[str, InMemory] = {}
        """The records of the inputs held in memory, by input name."""
        if config is None:
            composed = compose(
                name=name,
                description=description,
                seed=seed,
                stages=stages,
                inputs=inputs,
                output=output,
                base_dir=base_dir,
            )
            config, self.data = composed.config, composed.data
        elif stages or inputs or output is not None or base_dir is not None:
            raise TypeError("Pipeline() takes a PipelineConfig, or stages, inputs and output: not both")
        self.config = config

    @classmethod
    def from_yaml(
        cls,
        source: str | Path,
        *,
        base_dir: str | Path | None = None,
        inputs: Mapping[str, str | os.PathLike[str]] | None = None,
    ) -> Pipeline:
        """Load and validate a pipeline file (``ConfigError`` names every problem).

        ``source`` is the file's path, or its text (a string holding a newline, as ``to_yaml``
        returns), whose relative paths start at ``base_dir`` (the current folder by default).
        ``inputs`` (input name -> path or URL) reads those inputs from elsewhere, keeping their
        other settings, as ``curate run --input NAME=PATH`` does (``curate.config_inputs``).
        """
        paths = {name: os.fspath(path) for name, path in (inputs or {}).items()}
        if isinstance(source, str) and "\n" in source:
            document = load_yaml(source)
            if paths:
                document = override_inputs(document, paths, None)
            return cls(parse_pipeline(document, base=Path(base_dir) if base_dir else None))
        return cls(load_pipeline(source, inputs=paths))

    @classmethod
    def from_dict(cls, data: dict[str, Any], base_dir: str | Path | None = None) -> Pipeline:
        """Validate a pipeline given as a dict; relative paths resolve against ``base_dir``."""
        return cls(parse_pipeline(data, base=Path(base_dir) if base_dir else None))

    def to_yaml(self, *, data_paths: Mapping[str, str | os.PathLike[str]] | None = None) -> str:
        """The pipeline file of this pipeline: ``Pipeline.from_yaml(text)`` validates it to an
        equal pipeline (with relative paths taken from the same folder).

        A pipeline loaded from a file gives the file's text. An input held in memory is
        written as a comment naming what held it, since a file cannot hold records; once they
        are saved to a file, ``data_paths`` (input name -> path) writes the input with it.
        """
        if data_paths:
            return render(self.config.raw, data_paths)
        return self.config.text

    def with_data(
        self,
        data: object,
        *,
        source: str = "data",
        format: str | None = None,
        license: str | None = None,
        consent: str | None = None,
        dataset: str | None = None,
    ) -> Pipeline:
        """This pipeline with ``data`` (records in memory) as its one input, named ``source``.

        When the pipeline declares an input named ``source``, its settings (format, license,
        consent, ...) apply to ``data`` unless given here; other inputs are not read.
        """
        raw = self.config.raw
        declared = [entry for entry in raw.get("inputs") or [] if entry.get("name") == source]
        where = ("path", "data", "revision", "config", "split")  # where the declared input's records were
        settings = {key: value for key, value in (declared or [{}])[0].items() if key not in where}
        given = {"format": format, "license": license, "consent": consent, "dataset": dataset}
        settings.update({"name": source, **{key: value for key, value in given.items() if value is not None}})
        entry, held = data_input(data, settings, "run()", self.config.base_dir)
        pipeline = Pipeline.__new__(Pipeline)
        composed = validate({**raw, "inputs": [entry]}, {source: held}, self.config.base_dir)
        pipeline.config, pipeline.data = composed.config, composed.data
        return pipeline

    def __eq__(self, other: object) -> bool:
        """Pipelines are equal when they say the same (name, inputs, stages and their options,
        output, the folder their relative paths start at) and hold the same records in memory."""
        if not isinstance(other, Pipeline):
            return NotImplemented
        return self._says() == other._says()

    __hash__ = None  # type: ignore[assignment]

    def _says(self) -> tuple[Any, ...]:
        config = self.config
        held = {name: id(source.data) for name, source in self.data.items()}
        return (
            config.name,
            config.description,
            config.seed,
            config.inputs,
            config.stages,
            config.output,
            config.base_dir,
            held,
        )

    def __repr__(self) -> str:
        config = self.config
        stages = ", ".join(spec.name for spec in config.stages) or "no stage"
        inputs = ", ".join(
            f"{spec.name} ({spec.data})" if isinstance(spec, DataInput) else spec.name
            for spec in config.inputs
        )
        return f"<Pipeline {config.name!r}: {inputs or 'no input'} -> {stages}>"

    def run(
        self,
        data: object = None,
        *,
        format: str | None = None,
        source: str = "data",
        license: str | None = None,
        consent: str | None = None,
        dataset: str | None = None,
        write: bool = True,
        output_dir: str | Path | None = None,
        strict: bool = False,
        quiet: bool = True,
        reporter: Reporter | None = None,
        workers: int | None = None,
        shard_rows: int = DEFAULT_SHARD_ROWS,
        overwrite: bool = False,
        resume: bool = False,
        restart: bool = False,
        work_dir: str | Path | None = None,
        keep_work: bool = False,
        limit: int | None = None,
        force: bool = False,
        collect: bool = True,
        executor: Literal["local", "ray"] | None = None,
        ray_address: str | None = None,
        executor_options: Mapping[str, Any] | None = None,
    ) -> RunResult:
        """Run every stage; write the output folder unless ``write=False``.

        Before anything is read, the output folder is checked (``OutputError`` when it is not
        a curate output and ``overwrite`` is false, and always for ``/``, the home folder, a
        symbolic link, or a folder holding the pipeline file or an input) and locked against
        a second run writing it at the same time.

        Finished shards are kept in a work folder (``<output>.work``, or ``work_dir``) until
        the run succeeds (or always, with ``keep_work``): ``resume=True`` continues a run that
        was killed from them, ``restart=True`` discards them. ``limit`` reads at most that many
        records of each input (a sample run, which ``publish`` refuses). A run whose ``pairs``
        stage could pair nothing from the rows read stops before the slow stages, unless ``force``.

        ``data`` runs the pipeline on records held in memory instead of its inputs: a polars or
        pandas DataFrame, a ``datasets`` ``Dataset``, ``DatasetDict`` or ``IterableDataset``, an
        Arrow table or a list of dicts, in any source ``format`` (``auto`` by default), read as
        the same records in a file would be (``with_data`` says how ``source`` and the other
        settings apply). Such a run cannot be resumed.

        ``executor`` chooses the local executor or a Ray cluster (``ray_address``, or the
        pipeline file's ``executor`` settings); either writes the same output.
        ``executor_options`` gives Ray settings over the file's ``executor`` block
        (``num_cpus``, ``object_store_memory``, ``spill_dir``, ``actor_cpus``, ``max_retries``).
        """
        if data is not None:
            pipeline = self.with_data(
                data, source=source, format=format, license=license, consent=consent, dataset=dataset
            )
            return pipeline.run(
                write=write,
                output_dir=output_dir,
                strict=strict,
                quiet=quiet,
                reporter=reporter,
                workers=workers,
                shard_rows=shard_rows,
                overwrite=overwrite,
                resume=resume,
                restart=restart,
                work_dir=work_dir,
                keep_work=keep_work,
                limit=limit,
                force=force,
                collect=collect,
                executor=executor,
                ray_address=ray_address,
                executor_options=executor_options,
            )
        if not self.config.inputs:
            raise InputError(
                "the pipeline has no input: give data=... to run(), or inputs=[...] to Pipeline()"
            )
        if resume and self.data:
            raise InputError(
                "a run on records held in memory cannot be resumed: nothing says they are the ones it"
                " started on; run it again (restart=True discards the earlier run's work)"
            )
        chosen = executor_settings(self.config.executor, executor, ray_address, executor_options)
        target = absolute(Path(output_dir)) if output_dir else self.config.output_dir
        settings = RunSettings(
            strict, workers, shard_rows, resume, restart, keep_work, limit, force, collect, chosen
        )
        reporter = reporter or (QuietReporter() if quiet else reporter_for_stderr())
        if not write:
            located = self._locate()
            with tempfile.TemporaryDirectory(prefix="curate-work-") as scratch:
                return execute(
                    self.config, self.data, target, Path(scratch) / "work", False, settings, reporter, located
                )
        self.check_output(target, overwrite=overwrite)
        located = self._locate()
        work = absolute(Path(work_dir)) if work_dir else target.with_name(f"{target.name}.work")
        self._check_disk(target, work, located, sample=limit is not None)
        with OutputLock(target), OutputLock(work):
            return execute(self.config, self.data, target, work, True, settings, reporter, located)

    def _locate(self) -> dict[str, Located]:
        """Every file input's files, resolved once (a Hub input to one commit) for the whole run."""
        config = self.config
        return {
            spec.name: locate(spec, config.base_dir)
            for spec in config.inputs
            if not isinstance(spec, DataInput)
        }

    def check_output(self, output_dir: str | Path | None = None, *, overwrite: bool = False) -> Path:
        """The output folder a run would write, or ``OutputError`` saying why it may not.

        ``overwrite=True`` leaves only the refusals no flag lifts (``/``, home, a symbolic
        link, a folder holding the pipeline file or an input), as ``curate validate`` checks.
        """
        target = absolute(Path(output_dir)) if output_dir else self.config.output_dir
        check_target(target, _read_by(self.config), overwrite=overwrite)
        return target

    def _check_disk(self, target: Path, work: Path, located: Mapping[str, Located], sample: bool) -> None:
        """Before any work: the folders the run writes into take files, and (unless the run
        reads a sample) have room for about the size of the inputs, remote ones included
        (``curate.writers.disk``)."""
        folders = [target.parent, work.parent]
        for folder in dict.fromkeys(folders):
            check_writable(folder)
        if not sample:
            check_space(folders, sum(files.size() for files in located.values()))


def run(path: str | Path, **options: Any) -> RunResult:
    """Load the pipeline file at ``path`` and run it (``Pipeline.run`` options apply)."""
    return Pipeline.from_yaml(path).run(**options)


def _read_by(config: PipelineConfig) -> list[Protected]:
    """The pipeline file, the inputs and the files stage options name: the output must spare them."""
    return protected_folders(
        config.file,
        [
            (spec.name, spec.path, config.base_dir)
            for spec in config.inputs
            if not isinstance(spec, DataInput) and spec.path is not None
        ],
        [path for spec in config.stages for path in paths_in(spec.options)],
    )
