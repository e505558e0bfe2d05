"""What ``curate licenses`` shows, as plain data: registry listings, one entry's fields, a pipeline's check.

The command line (``curate.cli.licenses``) renders these; a notebook gets the same data
(``pl.DataFrame(rows.rows, schema=rows.columns, orient="row")`` makes a listing a frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from curate.errors import CurateError
from curate.licensing.keys import input_source_key, resolve_input_license
from curate.licensing.policy import TARGETS, UsePolicy, allows, expression_use
from curate.licensing.registry import (
    KnownLicense,
    LicenseRegistry,
    Source,
    Terms,
    UnknownKeyError,
    registry,
)

if TYPE_CHECKING:
    from curate.config import InputConfig, PipelineConfig

Listing = Literal["licenses", "terms", "sources"]


@dataclass(frozen=True)
class Rows:
    """A listing: its column names and one row of text per entry, in registry order."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Description:
    """One registry entry in full: a title line and ``(label, value)`` fields, in display order."""

    title: str
    fields: tuple[tuple[str, str], ...]


def registry_rows(listing: Listing = "licenses") -> Rows:
    """The registry's licenses, model terms or known sources, one row each."""
    known = registry()
    if listing == "terms":
        return Rows(
            ("key", "provider", "use", "attribution", "models"),
            tuple(
                (terms.key, terms.provider, terms.use, _yes(terms.attribution), " ".join(terms.models))
                for terms in known.terms
            ),
        )
    if listing == "sources":
        return Rows(
            ("key", "name", "license", "model terms", "hub"),
            tuple(
                (source.key, source.name, source.license, ", ".join(source.model_terms) or "-", source.hub)
                for source in known.sources.values()
            ),
        )
    return Rows(
        ("key", "use", "attribution", "share-alike", "no-derivs", "hub id", "name"),
        tuple(
            (
                entry.key,
                entry.use,
                _yes(entry.attribution),
                _yes(entry.share_alike),
                _yes(entry.no_derivatives),
                entry.hub,
                entry.name,
            )
            for entry in known.licenses.values()
        ),
    )


def describe(name: str) -> Description:
    """Everything the registry says about a license (any alias), model terms or known source."""
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


def _describe_license(entry: KnownLicense) -> Description:
    targets = [target for target in TARGETS if allows(entry.use, target)]
    upgrades = f" (can move to {', '.join(entry.upgrades_to)})" if entry.upgrades_to else ""
    return Description(
        f"{entry.key}: {entry.name}",
        (
            ("use class", f"{entry.use} (allowed for: {', '.join(targets) or 'none; see `unknown:`'})"),
            ("attribution", _yes(entry.attribution)),
            ("share-alike", _yes(entry.share_alike) + upgrades),
            ("no-derivatives", _yes(entry.no_derivatives)),
            ("redistribution", _yes(entry.redistribution)),
            ("SPDX", entry.spdx),
            ("Hub id", entry.hub),
            ("aliases", ", ".join(entry.aliases) or "-"),
            ("DPI names", ", ".join(entry.dpi) or "-"),
            ("url", entry.url or "-"),
            ("note", entry.note),
        ),
    )


def _describe_terms(terms: Terms) -> Description:
    return Description(
        f"{terms.key}: {terms.name} ({terms.provider})",
        (
            ("use of outputs", terms.use),
            ("attribution", _yes(terms.attribution)),
            ("models", " ".join(terms.models)),
            ("url", terms.url),
            ("note", terms.note),
        ),
    )


def _describe_source(source: Source) -> Description:
    named = " (the format names it)" if source.format_default else ""
    return Description(
        f"{source.key}: {source.name}",
        (
            ("license", source.license),
            ("read from", source.url),
            ("Hub dataset", source.hub),
            ("format", (source.format or "-") + named),
            ("model terms", ", ".join(source.model_terms) or "-"),
            ("attribution", source.attribution),
            ("note", source.note),
        ),
    )


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
        """The inputs whose records the license stage would drop for their declared license."""
        return [check.name for check in self.inputs if check.dropped_by]


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


def _check_input(spec: InputConfig, policy: UsePolicy | None, known: LicenseRegistry) -> InputCheck:
    try:
        expression = resolve_input_license(spec)
    except CurateError as exc:
        return InputCheck(spec.name, spec.license, None, None, None, error=str(exc))
    use = expression_use(expression, known)
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


def _yes(value: bool) -> str:
    return "yes" if value else "no"
