"""How to reproduce the run: the pipeline, the config hash, input fingerprints and versions."""

from __future__ import annotations

from curate.card.source import CardSource
from curate.config_public import render
from curate.markdown import code, fenced, table


def pipeline_section(source: CardSource) -> str:
    """The pipeline from the record's ``config``: never the file's comments (folders written
    before curate 0.2 kept the file as written in ``pipeline_text``)."""
    config = source.manifest.config
    return "\n\n".join(
        [
            "## Pipeline",
            "The pipeline of the run as curate read it: comments left out, anchors and `${VAR}`s"
            " filled in, local paths relative to the pipeline file's folder. Run on the same inputs,"
            " it writes the same data files byte for byte.",
            fenced(render(config) if config else "# the manifest does not record the pipeline", "yaml"),
        ]
    )


def provenance_section(source: CardSource) -> str:
    manifest = source.manifest
    files = [
        (code(item.name), code(f.path), f.bytes, code(str(f.sha256)))
        for item in manifest.inputs
        for f in item.files
    ]
    held = [
        (code(item.name), code(item.data.type), code(item.data.sha256))
        for item in manifest.inputs
        if item.data
    ]
    in_memory = [
        "Inputs held in memory, given in Python rather than as files (SHA-256 of their records,"
        " each as JSON text followed by a newline):",
        table(["input", "held in", "sha256"], held, align="lll"),
    ]
    versions = sorted(manifest.versions.items())
    return "\n\n".join(
        [
            "## Reproducibility",
            table(
                ["", "value"],
                [
                    ("curate version", code(manifest.curate_version)),
                    ("config hash", code(manifest.config_hash)),
                    ("seed", code(str(manifest.seed))),
                ],
                align="ll",
            ),
            "Input files (SHA-256 of their bytes):",
            table(["input", "file", "bytes", "sha256"], files, align="llrl"),
            *(in_memory if held else []),
            "Software versions:",
            table(["package", "version"], versions, align="ll"),
        ]
    )
