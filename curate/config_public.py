"""The pipeline as a run's record and card show it: no local absolute path, no comment.

``manifest.json`` and the dataset card are published, so they hold the pipeline as curate read
it (anchors, merge keys and ``${VAR}`` filled in, ``x-`` keys dropped), with every local path
made relative to the pipeline file's folder, and rendered back to YAML without the file's
comments. Remote inputs are shown by URL, without credentials or query string. ``config_hash``
is still the hash of the pipeline as run (``PipelineConfig.config_hash``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel

from curate.readers.remote import is_remote, local_of, public_url

if TYPE_CHECKING:
    from curate.config import PipelineConfig


def public_config(config: PipelineConfig) -> dict[str, Any]:
    """``config.raw`` with every local absolute path relative to ``config.base_dir``."""
    raw = dict(config.raw)
    base = config.base_dir
    if isinstance(raw.get("inputs"), list):
        raw["inputs"] = [
            {**entry, "path": relative_path(entry["path"], base)}
            if isinstance(entry, dict) and isinstance(entry.get("path"), str)
            else entry
            for entry in raw["inputs"]
        ]
    output = raw.get("output")
    if isinstance(output, dict) and isinstance(output.get("dir"), str):
        raw["output"] = {**output, "dir": relative_path(output["dir"], base)}
    executor = raw.get("executor")
    if isinstance(executor, dict) and isinstance(executor.get("spill_dir"), str):
        raw["executor"] = {**executor, "spill_dir": relative_path(executor["spill_dir"], base)}
    entries = raw.get("stages")
    if isinstance(entries, list) and len(entries) == len(config.stages):
        raw["stages"] = [
            _public_stage(entry, spec.options, base)
            for entry, spec in zip(entries, config.stages, strict=True)
        ]
    return raw


def render(config: dict[str, Any]) -> str:
    """A config as YAML, keys in their order, written the way pipeline files are.

    Lists of plain values and small mappings of them are written inline, long text folded.

    >>> print(render({"name": "p", "stages": [{"language": {"keep": ["en"]}}, {"dedup": {}}]}), end="")
    name: p
    stages:
      - language: {keep: [en]}
      - dedup: {}
    """
    return yaml.dump(_Root(config), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Root(dict[str, Any]):
    """The top mapping, always written as a block."""


class _Dumper(yaml.SafeDumper):
    """Block style, list items indented under their key, inline leaves, folded long text."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _leaf(value: Any) -> bool:
    """A plain value that can be written inline (PyYAML's flow style mangles control characters)."""
    if isinstance(value, str):
        return value.isprintable()
    return not isinstance(value, dict | list)


def _short_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= 8 and all(_leaf(item) for item in value)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    inline = all(_leaf(item) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=inline)


def _represent_dict(dumper: yaml.SafeDumper, value: dict[Any, Any]) -> yaml.Node:
    inline = (
        len(value) <= 2
        and all(_leaf(key) for key in value)
        and all(_leaf(item) or _short_list(item) for item in value.values())
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=inline)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = None
    if "\n" in value and all(line.isprintable() for line in value.split("\n")):
        style = "|"
    elif not value.isprintable():
        style = '"'  # escaped: PyYAML writes some line-break characters raw in the other styles
    elif len(value) > 80 and value == value.strip():
        style = ">"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(
    _Root, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), False)
)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)


def relative_path(text: str, base: Path) -> str:
    """A local absolute path (or ``~/...``, ``file://...``) relative to ``base``; a URL without
    credentials, query string or fragment (a signed URL's signature); anything else as written.

    >>> relative_path("/work/data/a.jsonl", Path("/work/pipelines"))
    '../data/a.jsonl'
    >>> relative_path("data/*.jsonl", Path("/work")), relative_path("hf://datasets/o/n/x", Path("/w"))
    ('data/*.jsonl', 'hf://datasets/o/n/x')
    >>> relative_path("https://u:p@host.example/a.jsonl?sig=1", Path("/w"))
    'https://host.example/a.jsonl'
    """
    if is_remote(text):
        return public_url(text)
    path = Path(local_of(text)).expanduser()
    if not path.is_absolute():
        return text
    return Path(os.path.relpath(path, base)).as_posix()


def _public_stage(entry: Any, options: BaseModel, base: Path) -> Any:
    if not isinstance(entry, dict) or len(entry) != 1:
        return entry
    ((name, raw),) = entry.items()
    return {name: _public(raw, options, base)}


def _public(raw: Any, value: Any, base: Path) -> Any:
    """``raw`` (as written) with the strings that ``value`` (as validated) holds as paths made relative."""
    if isinstance(value, Path) and isinstance(raw, str):
        return relative_path(raw, base)
    if isinstance(value, BaseModel) and isinstance(raw, dict):
        fields = type(value).model_fields
        return {
            key: _public(item, getattr(value, key) if key in fields else None, base)
            for key, item in raw.items()
        }
    if isinstance(value, dict) and isinstance(raw, dict):
        return {key: _public(item, value.get(key), base) for key, item in raw.items()}
    if isinstance(value, list | tuple) and isinstance(raw, list) and len(value) == len(raw):
        return [_public(item, validated, base) for item, validated in zip(raw, value, strict=True)]
    return raw
