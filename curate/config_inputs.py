"""Input overrides: run a pipeline file on other files than the ones it names.

``curate run recipe.yaml --input wildchat=samples/wildchat.jsonl`` reads the input named
``wildchat`` from the given path and keeps every other setting of it (format, license,
``dataset``, consent, options): a recipe written for a Hub dataset runs on a local sample of
the same layout. The override replaces where the records are, so it also drops what chose
files on the Hub (``split``, ``config``, and ``revision`` unless the new path is on the Hub
too); ``dataset`` stays, since it says what the records are (``license: auto``, the card's
``source_datasets``). A relative path is taken from the current folder, as on a command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from curate.errors import ConfigError, ConfigIssue
from curate.readers.remote import is_remote, scheme_of
from curate.yaml_source import YamlDocument

HUB_CHOICES = ("split", "config")


def parse_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["NAME=PATH", ...]`` as a mapping; ``ConfigError`` for an item without ``=``.

    >>> parse_overrides(["wildchat=samples/w.jsonl", "arena=hf://datasets/o/n/*.parquet"])
    {'wildchat': 'samples/w.jsonl', 'arena': 'hf://datasets/o/n/*.parquet'}
    """
    found: dict[str, str] = {}
    for pair in pairs:
        name, equals, path = pair.partition("=")
        if not equals or not name.strip() or not path.strip():
            raise ConfigError([ConfigIssue("--input", f"{pair!r} is not NAME=PATH")])
        if name.strip() in found:
            raise ConfigError([ConfigIssue("--input", f"input {name.strip()!r} is given twice")])
        found[name.strip()] = path.strip()
    return found


def override_inputs(
    document: YamlDocument, overrides: Mapping[str, str], file: str | None, cwd: Path | None = None
) -> YamlDocument:
    """``document`` with the inputs ``overrides`` names read from the given paths.

    An unknown name is a ``ConfigError`` listing the pipeline's inputs. Nothing else changes,
    so every other problem of the file is still reported where it is written.
    """
    inputs = document.data.get("inputs") if isinstance(document.data, dict) else None
    entries = [entry for entry in inputs if isinstance(entry, dict)] if isinstance(inputs, list) else []
    names = [str(entry.get("name")) for entry in entries]
    unknown = [name for name in overrides if name not in names]
    if unknown:
        known = ", ".join(names) or "none"
        raise ConfigError(
            [
                ConfigIssue("--input", f"the pipeline has no input {name!r} (its inputs: {known})")
                for name in unknown
            ],
            file,
        )
    base = cwd or Path.cwd()
    replaced = []
    for entry in inputs if isinstance(inputs, list) else []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or name not in overrides:
            replaced.append(entry)
            continue
        path = _from_command_line(overrides[str(name)], base)
        kept = {key: value for key, value in entry.items() if key not in HUB_CHOICES}
        if scheme_of(path) != "hf":
            kept.pop("revision", None)
        kept["path"] = path
        replaced.append(kept)
    document.data = {**document.data, "inputs": replaced}
    document.text = None  # the file's text no longer says what runs
    return document


def _from_command_line(path: str, cwd: Path) -> str:
    """A local path made absolute from the current folder; a URL as it is."""
    if is_remote(path):
        return path
    local = Path(path).expanduser()
    return str(local if local.is_absolute() else Path(os.path.abspath(cwd / local)))  # noqa: PTH100
