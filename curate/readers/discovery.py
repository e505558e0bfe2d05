"""Which files an input's ``path`` names: globs, folders of data files, saved datasets.

The pipeline file's check that a path matches something and the readers that open the
files use these same rules, so a path that validates is a path that reads. It imports
nothing from curate.
"""

from __future__ import annotations

import glob
from pathlib import Path

DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".parquet", ".csv", ".tsv")
COMPRESSION_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2", ".xz")


def files_of(pattern: str, folder: Path) -> list[Path]:
    """The files an input's ``path`` names, sorted so that runs are reproducible.

    A folder written by ``datasets.save_to_disk`` is one item; any other folder stands for
    the data files under it.
    """
    path = Path(pattern).expanduser()
    if not path.is_absolute():
        path = folder / path
    if glob.has_magic(str(path)):
        return sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
    if path.is_dir():
        if is_saved_dataset(path):
            return [path]
        return sorted(p for p in path.rglob("*") if p.is_file() and is_data_file(p))
    return [path] if path.exists() else []


def without_compression(name: str) -> str:
    """``name`` without its compression suffixes (``chats.jsonl.gz`` -> ``chats.jsonl``)."""
    for suffix in COMPRESSION_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def is_data_file(path: Path) -> bool:
    """True for a file a folder input reads: JSON, JSON Lines, Parquet, CSV or TSV, optionally compressed."""
    return without_compression(path.name).endswith(DATA_SUFFIXES)


def is_saved_dataset(path: Path) -> bool:
    """True for a folder written by ``Dataset.save_to_disk`` or ``DatasetDict.save_to_disk``."""
    return (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists()


def total_size(paths: list[Path]) -> int:
    """Bytes on disk of ``paths`` (every file under a saved-dataset folder)."""
    files = [member for path in paths for member in (path.rglob("*") if path.is_dir() else [path])]
    return sum(member.stat().st_size for member in files if member.is_file())
