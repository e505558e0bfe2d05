"""The pipeline file: pydantic models, loading, and errors that point at the line.

A pipeline file is validated completely before any data is read. Every problem found is
reported at once, each naming the file, the line and the YAML path
(``stages[2].dedup.threshold``), with a hint where one helps.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ByteSize, Field, ValidationError, ValidationInfo, field_validator, model_validator

from curate import registry
from curate.config_inputs import override_inputs
from curate.config_issues import issues_from
from curate.errors import ConfigError, ConfigIssue
from curate.licensing import check_dataset, check_license_key, resolve_input_license
from curate.options import AbsolutePath, StageOptions, StrictModel, base_dir
from curate.readers.discovery import files_of
from curate.readers.hub import parse_hub_path
from curate.readers.remote import check_protocol, is_remote, local_of, scheme_of
from curate.registry import RegistryError
from curate.schema import ConsentValue, FormatVariant
from curate.yaml_source import Loc, YamlDocument, load_yaml, render_loc

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
EXTENSION_PREFIX = "x-"
"""Top-level keys starting with it are ignored: a place for anchors (``x-defaults: &defaults``)."""


class InputConfig(StrictModel):
    """One input: a file, glob, folder or URL in one source format, or a Hub dataset."""

    name: str = Field(pattern=NAME_PATTERN, description="Becomes the `source` column.")
    path: str | None = Field(
        None,
        description=(
            "A file, glob or folder, relative to the pipeline file, or a URL: hf://datasets/ORG/NAME/<glob>,"
            " https://, s3://, gs://, memory:// (any fsspec protocol). Leave it out to read `dataset:`"
            " from the Hub."
        ),
    )
    format: str = Field(
        "auto", description="sharegpt | wildchat | lmsys | arena | oasst | openai | preference | auto"
    )
    license: str | None = Field(
        None, description="License key for records that carry none; `auto` for a known dataset."
    )
    dataset: str | None = Field(
        None,
        description=(
            "What the input is: a known dataset of licenses/sources.yaml (for `license: auto`) or a Hub"
            " repo id ORG/NAME. Without `path:`, the input reads this Hub dataset."
        ),
    )
    revision: str | None = Field(
        None, description="Branch, tag or commit of a Hub input (an hf:// path or `dataset:`); default main."
    )
    config: str | None = Field(
        None, description="Config of a Hub `dataset:` read; default the dataset card's default config."
    )
    split: str | None = Field(None, description="Split of a Hub `dataset:` read; default train.")
    consent: ConsentValue = Field("unknown", description="Consent for records that carry none.")
    consent_field: str | None = Field(
        None, description="Where records carry consent, as `meta.<path>` (dots between keys)."
    )
    consent_values: dict[str, ConsentValue] = Field(
        default_factory=dict, description="Maps the values found at `consent_field` to consent."
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Options of the format's reader.")
    max_record_bytes: int = Field(
        8 * 1024 * 1024, gt=0, description="Records larger than this are rejected as too_large."
    )
    limit: int | None = Field(None, gt=0, description="Read at most this many records.")

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value != "auto" and value not in registry.readers:
            raise ValueError(registry.readers.unknown_message(value))
        return value

    @field_validator("path")
    @classmethod
    def _path_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if is_remote(value):
            # No network at validation: a URL's files are listed when the run opens them.
            if scheme_of(value) == "hf":
                parse_hub_path(value)
            else:
                check_protocol(value)
            return value
        if not files_of(local_of(value), base_dir(info)):
            hint = "relative paths start at the pipeline file's folder"
            raise ValueError(f"no file matches {value!r} ({hint})")
        return value

    @field_validator("consent_field")
    @classmethod
    def _meta_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("meta."):
            raise ValueError("must start with 'meta.' (for example meta.consent)")
        return value

    @field_validator("license")
    @classmethod
    def _known_license(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() == "auto":
            return value
        return check_license_key(value)

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str | None) -> str | None:
        return None if value is None else check_dataset(value)

    @model_validator(mode="after")
    def _one_place(self) -> InputConfig:
        problem = self.location_problem()
        if problem is not None:
            raise ValueError(problem)
        return self

    def location_problem(self) -> str | None:
        """Why the input names no place to read (the other keys check themselves)."""
        if self.path is None and self.dataset is None:
            return "give `path:` (a file, glob, folder or URL) or `dataset:` (a Hub dataset, ORG/NAME)"
        return None

    @field_validator("revision")
    @classmethod
    def _revision_of_hub(cls, value: str | None, info: ValidationInfo) -> str | None:
        path = info.data.get("path")
        if value is None or not path:
            return value
        if scheme_of(path) != "hf":
            raise ValueError("applies to hf:// paths and Hub datasets only")
        asked = parse_hub_path(path)[1]
        if asked is not None and asked != value:
            raise ValueError(f"the path says @{asked}; keep one of the two")
        return value

    @field_validator("config", "split")
    @classmethod
    def _files_of_dataset(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("path"):
            raise ValueError(
                "chooses the files of a Hub `dataset:` read without `path:`;"
                " with a `path:`, name the files in it"
            )
        return value

    @model_validator(mode="after")
    def _auto_license_resolves(self) -> InputConfig:
        if self.license is not None and self.license.strip().lower() == "auto":
            resolve_input_license(self)
        return self


class DataInput(InputConfig):
    """An input whose records are held in memory, given in Python: every setting of a file
    input but ``path``.

    ``data`` names what holds the records (``datasets.Dataset``, ``polars.DataFrame``, ...,
    ``list``); the records stay with the ``Pipeline`` that was given them, so this model (in
    the run's context, in the manifest's ``config``) never carries them. A pipeline file cannot
    declare one.
    """

    path: str = Field("", exclude=True, description="Empty: the records are in memory.")
    data: str = Field(description="What holds the records, e.g. `datasets.Dataset`.")

    @field_validator("path")
    @classmethod
    def _path_exists(cls, value: str | None, info: ValidationInfo) -> str:
        if value:
            raise ValueError("an input held in memory has no path")
        return ""

    def location_problem(self) -> str | None:
        if self.revision is not None or self.config is not None or self.split is not None:
            return "an input held in memory has no `revision:`, `config:` or `split:`"
        return None


class OutputConfig(StrictModel):
    """Where and how the result is written."""

    dir: AbsolutePath | None = Field(None, description="Output folder; default out/<name>.")
    formats: list[Literal["parquet", "jsonl"]] = Field(
        default_factory=lambda: list[Literal["parquet", "jsonl"]](["parquet"]),
        min_length=1,
        description="Files written per split.",
    )
    card: bool = Field(True, description="Write a dataset card (README.md).")
    shard_rows: int = Field(500_000, gt=0, description="Rows per data file.")
    format_variant: FormatVariant = Field(
        "conversational",
        description=(
            "How pairs are written, for the trainer that reads them: conversational (TRL's"
            " conversational preference format), standard (prompt, chosen and rejected as strings;"
            " prompts of one user turn only) or kto (one reply a row: prompt, completion, label)."
        ),
    )


class ExecutorConfig(StrictModel):
    """Which executor runs the steps; for Ray, the cluster to join or how to size the one started.

    Changing it never changes the output: the same file runs on either executor.
    """

    kind: Literal["local", "ray"] = Field(
        "local", description="local: processes on this machine; ray: a Ray cluster (`curate[ray]`)."
    )
    address: str | None = Field(
        None,
        description="The Ray cluster: `auto` (the one `ray start` made on this machine), `host:port`,"
        " `ray://host:10001`, or `local` (start one for the run). Default: RAY_ADDRESS, else `local`.",
    )
    num_cpus: int | None = Field(
        None, gt=0, description="CPUs of a Ray instance curate starts (default: this machine's)."
    )
    object_store_memory: ByteSize | None = Field(
        None,
        description="Object store of a Ray instance curate starts, e.g. `4GiB` (default: 30% of memory).",
    )
    spill_dir: AbsolutePath | None = Field(
        None, description="Where a Ray instance curate starts spills objects (default: Ray's temp folder)."
    )
    actor_cpus: float = Field(
        1.0, gt=0, description="CPUs each actor of a step that loads a model reserves (one model per actor)."
    )
    max_retries: int = Field(
        3,
        ge=0,
        description="Times Ray runs a task again, or restarts an actor, whose worker died (killed, out of"
        " memory, a lost node); curate's own errors are never retried.",
    )
    driver_memory: ByteSize | None = Field(
        None,
        description="Memory the driver may use to decide a whole-data step (dedup, pairs, split), e.g."
        " `64GiB`; a step that would need more stops before it starts. Default: the driver's available"
        " memory when the step starts.",
    )


class PipelineFile(StrictModel):
    """The pipeline file as written; `stages` entries are checked against each stage."""

    name: str = Field(pattern=NAME_PATTERN, description="Name of the dataset and the run.")
    description: str | None = Field(None, description="One paragraph for the dataset card.")
    seed: int = Field(0, description="Default seed of every stage that draws at random.")
    inputs: list[InputConfig] = Field(min_length=1, description="The sources to read.")
    stages: list[Any] = Field(
        default_factory=list, description="Stages, in order; each is `- name: {options}`."
    )
    output: OutputConfig = Field(default_factory=OutputConfig)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)


@dataclass(frozen=True)
class StageSpec:
    """One validated ``- name: {options}`` entry."""

    name: str
    options: StageOptions


@dataclass(frozen=True)
class PipelineConfig:
    """A validated pipeline, with where it came from and a hash of what it says."""

    name: str
    description: str | None
    seed: int
    inputs: tuple[InputConfig, ...]
    stages: tuple[StageSpec, ...]
    output: OutputConfig
    base_dir: Path
    raw: dict[str, Any] = field(repr=False)
    file: Path | None = None
    file_text: str | None = field(default=None, repr=False)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)

    @property
    def output_dir(self) -> Path:
        return self.output.dir or (self.base_dir / "out" / self.name)

    @property
    def config_hash(self) -> str:
        canonical = json.dumps(self.raw, sort_keys=True, ensure_ascii=False, default=str)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def text(self) -> str:
        """The pipeline file's text as validated (or its YAML rendering when built from a dict)."""
        if self.file_text is not None:
            return self.file_text
        import yaml

        return yaml.safe_dump(self.raw, sort_keys=False, allow_unicode=True)


def load_pipeline(path: str | Path, *, inputs: Mapping[str, str] | None = None) -> PipelineConfig:
    """Read and validate a pipeline file; raise ``ConfigError`` naming every problem.

    ``inputs`` (input name -> path) reads those inputs from other files than the pipeline
    names, keeping their other settings (``curate.config_inputs``; ``curate run --input``).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue("", f"cannot read the pipeline file: {exc}")], str(file)) from exc
    document = load_yaml(text, str(file), environ=os.environ)
    if inputs:
        document = override_inputs(document, inputs, str(file))
    return parse_pipeline(document, base=file.resolve().parent, file=file)


def parse_pipeline(
    document: YamlDocument | dict[str, Any], base: Path | None = None, file: Path | None = None
) -> PipelineConfig:
    """Validate parsed pipeline data (from YAML or a dict built in Python)."""
    if not isinstance(document, YamlDocument):
        document = YamlDocument(document)
    base = (base or Path.cwd()).resolve()
    label = str(file) if file else None
    issues = [
        ConfigIssue(render_loc(loc), "duplicate key; the later value would silently win", line)
        for loc, line in document.duplicates
    ]
    if document.variables:
        raise ConfigError(sorted([*issues, *document.variables], key=lambda issue: issue.line or 0), label)
    data = document.data
    if not isinstance(data, dict):
        issues.append(
            ConfigIssue("", "a pipeline file must be a mapping with name, inputs, stages, output", 1)
        )
        raise ConfigError(issues, label)
    data = {key: value for key, value in data.items() if not str(key).startswith(EXTENSION_PREFIX)}
    context = {"base_dir": base}
    try:
        top = PipelineFile.model_validate(data, context=context)
    except ValidationError as exc:
        issues += issues_from(exc, (), PipelineFile, document)
        top = None
    stages = _parse_stages(data.get("stages"), document, context, issues)
    if issues or top is None:
        raise ConfigError(issues, label)
    _check_stage_order(stages, document, issues)
    _check_privacy_order(stages, document, issues)
    _check_format_variant(stages, top.output, document, issues)
    if issues:
        raise ConfigError(issues, label)
    return PipelineConfig(
        name=top.name,
        description=top.description,
        seed=top.seed,
        inputs=tuple(top.inputs),
        stages=tuple(stages),
        output=top.output,
        base_dir=base,
        raw=data,
        file=file.resolve() if file else None,
        file_text=document.text,
        executor=top.executor,
    )


def _parse_stages(
    entries: Any, document: YamlDocument, context: dict[str, Any], issues: list[ConfigIssue]
) -> list[StageSpec]:
    if not isinstance(entries, list):
        return []
    specs = []
    for index, entry in enumerate(entries):
        loc: Loc = ("stages", index)
        if isinstance(entry, str):
            entry = {entry: None}
        if not isinstance(entry, dict) or len(entry) != 1:
            issues.append(
                ConfigIssue(
                    render_loc(loc), "each stage is one `name: {options}` mapping", document.line_of(loc)
                )
            )
            continue
        ((name, options),) = entry.items()
        loc = (*loc, str(name))
        try:
            stage_class = registry.stages.get(str(name))
        except RegistryError:
            suggestion = registry.stages.suggest(str(name))
            hint = (
                f"did you mean {suggestion!r}?"
                if suggestion
                else f"known: {', '.join(registry.stages.names())}"
            )
            issues.append(
                ConfigIssue(render_loc(loc), f"unknown stage {name!r}", document.line_of(loc), hint)
            )
            continue
        if options is None:
            options = {}
        if not isinstance(options, dict):
            issues.append(
                ConfigIssue(render_loc(loc), "stage options must be a mapping (or {})", document.line_of(loc))
            )
            continue
        try:
            validated = stage_class.Options.model_validate(options, context=context)
        except ValidationError as exc:
            issues += issues_from(exc, loc, stage_class.Options, document)
            continue
        specs.append(StageSpec(str(name), validated))
    return specs


def _check_stage_order(stages: list[StageSpec], document: YamlDocument, issues: list[ConfigIssue]) -> None:
    """Each stage must accept the kind of rows the stages before it produce."""
    kind = "conversations"
    for index, spec in enumerate(stages):
        stage_class = registry.stages.get(spec.name)
        if kind not in stage_class.accepts:
            loc: Loc = ("stages", index, spec.name)
            wants = " or ".join(stage_class.accepts)
            issues.append(
                ConfigIssue(
                    render_loc(loc),
                    f"stage {spec.name!r} takes {wants} but gets {kind} here",
                    document.line_of(loc),
                    "move it before the `pairs` stage" if kind == "pairs" else "move it after `pairs`",
                )
            )
        kind = stage_class.produces or kind


def _check_privacy_order(stages: list[StageSpec], document: YamlDocument, issues: list[ConfigIssue]) -> None:
    """Record text may leave the machine only after a ``pii`` stage, or where the file says so."""
    for index, spec in enumerate(stages):
        if spec.name == "pii":
            return
        stage: Loc = ("stages", index, spec.name)
        for outbound in spec.options.unscrubbed_endpoints():
            loc = (*stage, *outbound.where)
            issues.append(
                ConfigIssue(
                    render_loc(loc),
                    f"`{spec.name}` would send record text to {outbound.url} before any `pii` stage "
                    "has scrubbed personal data from it",
                    document.line_of(loc),
                    f"put a `pii` stage before it, or set {render_loc((*stage, *outbound.switch))}: true "
                    "to send the text as it is",
                )
            )


def _check_format_variant(
    stages: list[StageSpec], output: OutputConfig, document: YamlDocument, issues: list[ConfigIssue]
) -> None:
    """A variant other than conversational writes pairs, so it needs a ``pairs`` stage; an
    option of one variant is refused under another, where it would be silently ignored."""
    variant = output.format_variant
    makes_pairs = any(registry.stages.get(spec.name).produces == "pairs" for spec in stages)
    if variant != "conversational" and not makes_pairs:
        loc: Loc = ("output", "format_variant")
        issues.append(
            ConfigIssue(
                render_loc(loc),
                f"format_variant {variant} writes preference pairs, but no stage makes pairs",
                document.line_of(loc),
                "add a `pairs` stage, or leave format_variant out to write the conversations",
            )
        )
    for index, spec in enumerate(stages):
        for option in spec.options.variant_options():
            if option.variant == variant:
                continue
            loc = ("stages", index, spec.name, *option.where)
            issues.append(
                ConfigIssue(
                    render_loc(loc),
                    f"applies only with output.format_variant: {option.variant}, and this pipeline"
                    f" writes {variant}",
                    document.line_of(loc),
                    f"set output.format_variant: {option.variant}, or remove the option",
                )
            )
