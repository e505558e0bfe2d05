"""A pipeline built from Python objects, validated as the pipeline file it stands for.

``Pipeline(stages=[Normalize(), Dedup(threshold=0.8)], inputs=[...], output=...)`` writes its
arguments down as a pipeline file's data (``raw``): each stage as ``{name: its options as
given}``, each input and the output as their keys. That data goes through ``parse_pipeline``,
the validation a file gets, so every problem is reported at once at its YAML path
(``Pipeline(): stages[1].dedup.threshold: ...``); and ``to_yaml`` renders the same data, so the
file it gives validates to an equal pipeline.

An input given with ``data`` instead of ``path`` holds its records in memory: its settings are
validated as a ``DataInput`` (a file input without a path), its records are kept aside as an
``InMemory``, and the YAML names it in a comment with what to do, since a file cannot hold it.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from curate import registry
from curate.config import DataInput, InputConfig, OutputConfig, PipelineConfig, parse_pipeline
from curate.config_issues import issues_from, validated
from curate.errors import ConfigError, ConfigIssue, InputError
from curate.readers.memory import InMemory
from curate.stages.base import Stage
from curate.yaml_source import YamlDocument

WHERE = "Pipeline()"
"""How errors in a pipeline built in Python name it, where a file's errors name the file."""

StageEntry = Stage[Any] | Mapping[str, Any] | str
InputEntry = InputConfig | Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Composed:
    """A validated pipeline and the records of its inputs held in memory, by input name."""

    config: PipelineConfig
    data: dict[str, InMemory]


def compose(
    *,
    name: str,
    description: str | None,
    seed: int,
    stages: Sequence[StageEntry],
    inputs: Sequence[InputEntry],
    output: str | os.PathLike[str] | OutputConfig | Mapping[str, Any] | None,
    base_dir: str | os.PathLike[str] | None,
) -> Composed:
    """Validate a pipeline given as objects; ``ConfigError`` names every problem at once."""
    data: dict[str, InMemory] = {}
    entries = []
    for index, item in enumerate(inputs):
        entry, held = _input_entry(item, index)
        entries.append(entry)
        if held is not None:
            data[str(entry.get("name"))] = held
    raw: dict[str, Any] = {"name": name}
    if description is not None:
        raw["description"] = description
    if seed:
        raw["seed"] = seed
    raw["inputs"] = entries
    raw["stages"] = [_stage_entry(stage, index) for index, stage in enumerate(stages)]
    if output is not None:
        raw["output"] = _output_entry(output)
    return validate(raw, data, base_dir)


def validate(
    raw: dict[str, Any], data: dict[str, InMemory], base_dir: str | os.PathLike[str] | None
) -> Composed:
    """``raw`` validated as a pipeline file is, its inputs held in memory as ``DataInput``s.

    A pipeline built in Python may have no input yet (``run(data=...)`` gives one).
    """
    base = Path(base_dir or Path.cwd()).resolve()
    context = {"base_dir": base}
    issues = _duplicate_names(raw["inputs"], data)
    inputs: list[Any] = []
    for index, entry in enumerate(raw["inputs"]):
        if not (isinstance(entry, Mapping) and "data" in entry):
            inputs.append(entry)
            continue
        try:
            inputs.append(DataInput.model_validate(entry, context=context))
        except ValidationError as exc:
            issues += issues_from(exc, ("inputs", index), DataInput, YamlDocument(raw))
            inputs.append(DataInput.model_construct(name="invalid", data="list"))
    placeholder = [] if inputs else [DataInput.model_construct(name="data", data="list")]
    try:
        config = parse_pipeline({**raw, "inputs": inputs or placeholder}, base=base)
    except ConfigError as exc:
        raise ConfigError([*issues, *exc.issues], WHERE) from None
    if issues:
        raise ConfigError(issues, WHERE)
    config = dataclasses.replace(config, inputs=config.inputs if inputs else (), raw=raw)
    return Composed(dataclasses.replace(config, file_text=render(raw)), data)


def data_input(
    data: object, settings: Mapping[str, Any], where: str, base_dir: Path
) -> tuple[dict[str, Any], InMemory]:
    """The raw entry of an input holding ``data`` with ``settings``, checked now so that a bad
    setting is named as the argument it came from (``run(): license: unknown license ...``)."""
    held = InMemory(data)
    entry = {**settings, "data": held.kind}
    validated(DataInput, entry, where, context={"base_dir": base_dir})
    return entry, held


def render(raw: Mapping[str, Any], data_paths: Mapping[str, str | os.PathLike[str]] | None = None) -> str:
    """The pipeline file ``raw`` stands for. An input held in memory is written as a comment
    saying what it was, unless ``data_paths`` names the file its records were saved to."""
    paths = {name: os.fspath(path) for name, path in (data_paths or {}).items()}
    head = {key: raw[key] for key in ("name", "description", "seed") if key in raw}
    parts = [_dump(head)]
    inputs = raw.get("inputs") or []
    parts.append("inputs:" if inputs else "inputs: []  # none yet: give data to run(), or add inputs here")
    for entry in inputs:
        held = entry.get("data") if isinstance(entry, Mapping) else None
        if held is None:
            parts.append(_indent(_dump([entry])))
            continue
        name = str(entry.get("name"))
        settings = {key: value for key, value in entry.items() if key != "data"}
        if name in paths:
            parts.append(_indent(_dump([{"name": name, "path": paths[name], **settings}])))
            continue
        written = _dump([{"name": name, "path": "<the file holding its records>", **settings}])
        parts.append(
            _indent(
                f"# Input {name!r} was read from memory (a {held}); a pipeline file cannot hold it.\n"
                "# Save its records to a file (Dataset.to_json, DataFrame.write_ndjson, ...) and give\n"
                f"# its path here, or call to_yaml(data_paths={{{name!r}: path}}):\n"
                + "".join(f"# {line}\n" for line in written.splitlines())
            ).rstrip()
        )
    parts.append("stages:" if raw.get("stages") else "stages: []")
    parts += [_indent(_stage_yaml(stage)) for stage in raw.get("stages") or []]
    if "output" in raw:
        parts.append(_dump({"output": raw["output"]}, flow=None))
    return "\n".join(part.rstrip() for part in parts) + "\n"


def _stage_yaml(stage: Any) -> str:
    """``- name: {options}`` on one line when it fits, as pipeline files are written by hand."""
    if isinstance(stage, Mapping) and len(stage) == 1:
        ((name, options),) = stage.items()
        line = f"- {name}: {_dump(options, True, 1000).strip()}"  # a registered name: plain YAML
        if len(line) <= 96 and "\n" not in line:
            return line
    return _dump([stage], flow=None)


def _dump(value: Any, flow: bool | None = False, width: int = 100) -> str:
    """``value`` as YAML, non-ASCII text as it is, unless that would not read back the same
    (PyYAML writes a NEL character raw, and reads it back as a line break): then escaped."""
    for readable in (True, False):
        text = yaml.safe_dump(
            value, sort_keys=False, allow_unicode=readable, default_flow_style=flow, width=width
        )
        if yaml.safe_load(text) == value:
            break
    return text


def _indent(text: str) -> str:
    return "".join(f"  {line}\n" if line else "\n" for line in text.splitlines())


def _input_entry(item: object, index: int) -> tuple[dict[str, Any], InMemory | None]:
    if isinstance(item, DataInput):
        raise TypeError(f"inputs[{index}]: give records in memory as {{'name': ..., 'data': records}}")
    if isinstance(item, InputConfig):
        return _plain(item), None
    if not isinstance(item, Mapping):
        raise TypeError(
            f"inputs[{index}]: give an input as a mapping, as a pipeline file's ({{'name': ..., 'path': ...}}"
            f" or {{'name': ..., 'data': records}}), or a curate.InputConfig; not a {type(item).__name__}"
        )
    entry = {str(key): _plain(value) for key, value in item.items() if key != "data"}
    if "data" not in item:
        return entry, None
    try:
        held = InMemory(item["data"])
    except InputError as exc:
        raise InputError(f"inputs[{index}].{exc}") from None
    return {**entry, "data": held.kind}, held


def _stage_entry(stage: object, index: int) -> Any:
    if not isinstance(stage, Stage):
        # A pipeline file's entry, checked by the parser; `name` and `name: null` mean `name: {}`.
        if isinstance(stage, str):
            return {stage: {}}
        entry = _plain(stage)
        if isinstance(entry, dict) and len(entry) == 1:
            return {name: {} if options is None else options for name, options in entry.items()}
        return entry
    cls = type(stage)
    name = getattr(cls, "name", None)
    if name is None or name not in registry.stages or registry.stages.get(name) is not cls:
        issue = ConfigIssue(
            f"stages[{index}]",
            f"{cls.__name__} is not a registered stage",
            hint="decorate the class with @curate.register('name') so that a pipeline file can name it",
        )
        raise ConfigError([issue], WHERE)
    options = stage.keywords if stage.keywords is not None else stage.options
    return {name: _plain(options)}


def _output_entry(output: object) -> Any:
    if isinstance(output, str | os.PathLike):
        return {"dir": os.fspath(output)}
    return _plain(output)


def _plain(value: Any) -> Any:
    """``value`` as a pipeline file would hold it: mappings, lists, strings, numbers, booleans."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return [_plain(item) for item in sorted(value, key=repr)]
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _duplicate_names(entries: list[Any], data: Mapping[str, InMemory]) -> list[ConfigIssue]:
    """Records held in memory are found by their input's name, so it must be the only one."""
    names = [entry.get("name") if isinstance(entry, Mapping) else None for entry in entries]
    return [
        ConfigIssue(f"inputs[{index}].name", f"another input is named {name!r}", hint="names must differ")
        for index, name in enumerate(names)
        if name in data and names.index(name) != index
    ]
