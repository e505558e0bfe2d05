"""Files that appear whole or not at all: write to a temporary name, then rename."""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        yield temporary
        temporary.replace(target)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``target``; on success it replaces ``target`` whole.

    A run that fails leaves the previous output untouched and no half-written folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        previous = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            target.replace(previous)
        staging.replace(target)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove the staging folders that killed runs left beside ``target`` (they hold raw rejects).

    A staging folder is named for the process that made it; one whose process is still alive
    belongs to a running run and is left alone.
    """
    from curate.writers.lock import process_alive

    removed = []
    for kind in ("tmp", "old"):
        for path in target.parent.glob(f".{glob.escape(target.name)}.{kind}-*"):
            pid = path.name.rsplit("-", 1)[-1]
            if path.is_dir() and not path.is_symlink() and pid.isdigit() and not process_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return sorted(removed)
