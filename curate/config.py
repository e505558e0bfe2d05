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
from typing import Any

from pydantic import Field, ValidationError

from curate import registry
from curate.config_inputs import override_inputs
from curate.config_issues import issues_from
from curate.config_sections import NAME_PATTERN
from curate.config_sections import DataInput as DataInput
from curate.config_sections import ExecutorConfig as ExecutorConfig
from curate.config_sections import InputConfig as InputConfig
from curate.config_sections import OutputConfig as OutputConfig
from curate.errors import ConfigError, ConfigIssue
from curate.options import StageOptions, StrictModel
from curate.registry import RegistryError
from curate.yaml_source import Loc, YamlDocument, load_yaml, render_loc

EXTENSION_PREFIX = "x-"
"""Top-level keys starting with it are ignored: a place for anchors (``x-defaults: &defaults``)."""


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
