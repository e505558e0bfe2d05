"""How to reproduce the run: the pipeline file, the config hash, input fingerprints and versions."""

from __future__ import annotations

from curate.card.markdown import code, fenced, table
from curate.card.source import CardSource


def pipeline_section(source: CardSource) -> str:
    text = str(source.manifest.get("pipeline_text") or "")
    return "\n\n".join(
        [
            "## Pipeline",
            "The pipeline file of the run, as written (`curate run` on it, with the same inputs,"
            " gives the same files byte for byte):",
            fenced(text or "# the manifest does not record the pipeline file", "yaml"),
        ]
    )


def provenance_section(source: CardSource) -> str:
    manifest = source.manifest
    files = [
        (code(str(item["name"])), code(str(f["path"])), int(f.get("bytes", 0)), code(str(f.get("sha256"))))
        for item in manifest.get("inputs", [])
        for f in item.get("files", [])
    ]
    versions = sorted((name, str(value)) for name, value in (manifest.get("versions") or {}).items())
    return "\n\n".join(
        [
            "## Reproducibility",
            table(
                ["", "value"],
                [
                    ("curate version", code(str(manifest.get("curate_version", "unknown")))),
                    ("config hash", code(str(manifest.get("config_hash", "unknown")))),
                    ("seed", code(str(manifest.get("seed", "")))),
                ],
                align="ll",
            ),
            "Input files (SHA-256 of their bytes):",
            table(["input", "file", "bytes", "sha256"], files, align="llrl"),
            "Software versions:",
            table(["package", "version"], versions, align="ll"),
        ]
    )
