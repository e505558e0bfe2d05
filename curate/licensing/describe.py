"""What ``curate licenses`` shows: the registry as tables, one entry in full, a pipeline's check.

Each function returns text or a rich renderable, so a notebook gets the same as the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rich.table import Table

from curate.errors import CurateError
from curate.licensing.expression import license_parts
from curate.licensing.keys import input_source_key, resolve_input_license
from curate.licensing.policy import TARGETS, UsePolicy, allows, most_restrictive
from curate.licensing.registry import (
    License,
    Source,
    Terms,
    UnknownKeyError,
    registry,
)
from curate.licensing.registry import LicenseRegistry as Registry

if TYPE_CHECKING:
    from curate.config import InputConfig, PipelineConfig

Listing = Literal["licenses", "terms", "sources"]


def registry_table(listing: Listing = "licenses") -> Table:
    """The registry's licenses, model terms or known sources as a table."""
    known = registry()
    if listing == "terms":
        table = _table("key", "provider", "use", "attribution", "models")
        for terms in known.terms:
            table.add_row(
                terms.key, terms.provider, terms.use, _yes(terms.attribution), " ".join(terms.models)
            )
        return table
    if listing == "sources":
        table = _table("key", "name", "license", "model terms", "hub")
        for source in known.sources.values():
            table.add_row(
                source.key, source.name, source.license, ", ".join(source.model_terms) or "-", source.hub
            )
        return table
    table = _table("key", "use", "attribution", "share-alike", "no-derivs", "hub id", "name")
    for entry in known.licenses.values():
        table.add_row(
            entry.key,
            entry.use,
            _yes(entry.attribution),
            _yes(entry.share_alike),
            _yes(entry.no_derivatives),
            entry.hub,
            entry.name,
        )
    return table


def describe(name: str) -> str:
    """Everything the registry says about a license, model terms or known source, as text."""
    known = registry()
    entry = known.find_license(name)
    if entry is not None:
        return _describe_license(entry)
    terms = next((t for t in known.terms if t.key == name.strip().lower()), None)
    if terms is not None:
        return _describe_terms(terms)
    source = known.find_source(name)
    if source is not None:
        return _describe_source(source)
    known.license(name)  # raises with the closest license key
    raise UnknownKeyError(f"unknown license {name!r}")  # pragma: no cover - license() raised


def _describe_license(entry: License) -> str:
    targets = [target for target in TARGETS if allows(entry.use, target)]
    lines = [
        f"{entry.key}: {entry.name}",
        f"  use class      {entry.use} (allowed for: {', '.join(targets) or 'none; see `unknown:`'})",
        f"  attribution    {_yes(entry.attribution)}",
        f"  share-alike    {_yes(entry.share_alike)}"
        + (f" (can move to {', '.join(entry.upgrades_to)})" if entry.upgrades_to else ""),
        f"  no-derivatives {_yes(entry.no_derivatives)}",
        f"  redistribution {_yes(entry.redistribution)}",
        f"  SPDX           {entry.spdx}",
        f"  Hub id         {entry.hub}",
        f"  aliases        {', '.join(entry.aliases) or '-'}",
        f"  DPI names      {', '.join(entry.dpi) or '-'}",
        f"  url            {entry.url or '-'}",
        f"  note           {entry.note}",
    ]
    return "\n".join(lines)


def _describe_terms(terms: Terms) -> str:
    lines = [
        f"{terms.key}: {terms.name} ({terms.provider})",
        f"  use of outputs {terms.use}",
        f"  attribution    {_yes(terms.attribution)}",
        f"  models         {' '.join(terms.models)}",
        f"  url            {terms.url}",
        f"  note           {terms.note}",
    ]
    return "\n".join(lines)


def _describe_source(source: Source) -> str:
    lines = [
        f"{source.key}: {source.name}",
        f"  license        {source.license}",
        f"  read from      {source.url}",
        f"  Hub dataset    {source.hub}",
        f"  format         {source.format or '-'}"
        + (" (the format names it)" if source.format_default else ""),
        f"  model terms    {', '.join(source.model_terms) or '-'}",
        f"  attribution    {source.attribution}",
        f"  note           {source.note}",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class InputCheck:
    """What the license stage would do with one input's records, judged before reading them."""

    name: str
    license: str | None
    use: str | None
    dropped_by: str | None
    detail: str | None
    terms_dropped: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class PipelineCheck:
    """The license check of a pipeline: its license stage's policy and a verdict per input."""

    policy: UsePolicy | None
    inputs: tuple[InputCheck, ...] = field(default_factory=tuple)

    @property
    def dropped(self) -> list[str]:
        return [check.name for check in self.inputs if check.dropped_by]

    def table(self) -> Table:
        table = _table("input", "license", "use class", "verdict")
        for check in self.inputs:
            table.add_row(check.name, check.license or "-", check.use or "-", _verdict(check))
        return table

    def headline(self) -> str:
        if self.policy is None:
            return "The pipeline has no license stage: no record is dropped for its license."
        policy = self.policy
        extras = [f"model_terms: {policy.model_terms}", f"unknown: {policy.unknown}"]
        if not policy.require_attribution:
            extras.append("require_attribution: false")
        return f"license stage: use {policy.use} ({', '.join(extras)})"

    def footnote(self) -> str:
        return (
            "Judged from each input's declared license before reading any data; records that carry "
            "their own license or model are judged again when the pipeline runs."
        )


def check_pipeline(path: str | Path) -> PipelineCheck:
    """Which inputs the pipeline file's ``license`` stage would drop, from declared licenses alone."""
    from curate.config import load_pipeline

    return check_config(load_pipeline(path))


def check_config(config: PipelineConfig) -> PipelineCheck:
    """Like ``check_pipeline``, for a pipeline already loaded."""
    from curate.stages.license import LicenseOptions

    options = next((spec.options for spec in config.stages if spec.name == "license"), None)
    policy = options.policy() if isinstance(options, LicenseOptions) else None
    known = registry()
    return PipelineCheck(policy, tuple(_check_input(spec, policy, known) for spec in config.inputs))


def _check_input(spec: InputConfig, policy: UsePolicy | None, known: Registry) -> InputCheck:
    try:
        expression = resolve_input_license(spec)
    except CurateError as exc:
        return InputCheck(spec.name, spec.license, None, None, None, error=str(exc))
    classes = [entry.use for part in license_parts(expression) if (entry := known.find_license(part))]
    use = most_restrictive(classes) if classes else "unknown"
    if policy is None:
        return InputCheck(spec.name, expression, use, None, None)
    verdict = policy.judge_license(expression, known)
    source_key = input_source_key(spec)
    terms_dropped: list[str] = []
    if source_key is not None:
        for key in known.sources[source_key].model_terms:
            terms_verdict = policy.judge_terms(known.terms_by_key(key))
            if terms_verdict is not None:
                terms_dropped.append(terms_verdict.reason)
    return InputCheck(
        spec.name,
        expression,
        use,
        verdict.reason if verdict else None,
        verdict.detail if verdict else None,
        tuple(terms_dropped),
    )


def _verdict(check: InputCheck) -> str:
    if check.error:
        return f"cannot tell: {check.error}"
    if check.dropped_by:
        return f"dropped ({check.dropped_by})"
    if check.terms_dropped:
        return f"kept; replies by models under {', '.join(check.terms_dropped)} would be dropped"
    return "kept"


def _table(*columns: str) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        table.add_column(column, no_wrap=index == 0, overflow="fold")
    return table


def _yes(value: bool) -> str:
    return "yes" if value else "no"
