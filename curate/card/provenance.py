"""How to reproduce the run: the pipeline, the config hash, input fingerprints and versions."""

from __future__ import annotations

from curate.card.source import CardSource
from curate.config_public import render
from curate.markdown import code, fenced, table
from curate.record import InputFile, InputRecord


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
        (code(item.name), code(f.url or f.path), _size(f.bytes), code(_version(f)))
        for item in manifest.inputs
        for f in item.files
    ]
    hub = [
        (code(item.name), code(item.hub.repo), code(item.hub.revision), code(item.hub.sha))
        for item in manifest.inputs
        if item.hub
    ]
    from_hub = [
        "Inputs read from the Hugging Face Hub, each pinned to the commit its revision was:",
        table(["input", "dataset", "revision", "commit"], hub, align="llll"),
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
            "Input files (SHA-256 of their bytes):" if not _remote(manifest.inputs) else REMOTE_FILES,
            table(["input", "file", "bytes", "sha256"], files, align="llrl"),
            *(from_hub if hub else []),
            *(in_memory if held else []),
            "Software versions:",
            table(["package", "version"], versions, align="ll"),
        ]
    )


REMOTE_FILES = (
    "Input files (SHA-256 of their bytes; a remote file by its URL and, when its store states no"
    " SHA-256, the version tag it gave):"
)


def _remote(inputs: list[InputRecord]) -> bool:
    return any(file.url for item in inputs for file in item.files)


def _version(file: InputFile) -> str:
    if file.sha256 is not None or file.url is None:
        return str(file.sha256)
    if file.etag:
        return f"etag {file.etag}"
    return f"modified {file.modified}" if file.modified else "not stated"


def _size(size: int | None) -> int | str:
    return "?" if size is None else size
