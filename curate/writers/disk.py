"""Disk faults: checked before a run does any work, and told in one line when they happen anyway.

Before any stage runs, ``check_writable`` creates (and removes) a file in each folder the run
will write into, and ``check_space`` compares the free space there with an estimate of what
the run writes: the size of its inputs, as a lower bound (the work folder holds every row read
once more, in Parquet, and the output and its rejects come on top). A full disk, a read-only
file system or a refused permission met later (``disk_faults``) becomes one ``OutputError``
naming the path and the errno, never a traceback; a run stopped by a full disk keeps its
finished shards, so ``--resume`` continues it once there is room.

>>> disk_message(OSError(28, "No space left on device", "/data/out/x.parquet"))
'/data/out/x.parquet: no space left on the device (ENOSPC); free some space, then run again with --resume'
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from curate.errors import OutputError

DISK_ERRORS: Final = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}
FULL: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
_OS_ERROR: Final = re.compile(r"\(os error (\d+)\)")
"""How polars (Rust) names the errno of a failed write it reports as its own exception."""


def check_writable(folder: Path) -> None:
    """``OutputError`` unless a file can be created in ``folder`` (made, with its parents, if absent)."""
    probe = folder / f".curate-probe-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        code = exc.errno if exc.errno in DISK_ERRORS else None
        reason = f"{DISK_ERRORS[code]} ({errno.errorcode[code]})" if code else exc.strerror
        raise OutputError(f"cannot write into {folder}: {reason}; choose another output folder") from None


def check_space(folders: Iterable[Path], needed: int) -> None:
    """``OutputError`` when a folder's file system has less than ``needed`` bytes free."""
    for folder in dict.fromkeys(folders):
        free = shutil.disk_usage(folder).free
        if free < needed:
            raise OutputError(
                f"not enough free space in {folder}: {size(free)} free, and the run needs about"
                f" {size(needed)} (the size of its inputs); free some space or choose another output folder"
            )


@contextmanager
def disk_faults(where: Path) -> Iterator[None]:
    """Turn a disk error met while writing ``where`` into one ``OutputError`` line."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in DISK_ERRORS:
            raise
        raise OutputError(disk_message(exc, where)) from None
    except Exception as exc:
        code = _polars_errno(exc)
        if code is None:
            raise
        raise OutputError(disk_message(OSError(code, os.strerror(code)), where)) from None


def disk_message(exc: OSError, where: Path | None = None) -> str:
    """``<path>: <what> (<ERRNO>)``, and what to do about a full disk."""
    path = exc.filename or where or "the output"
    code = exc.errno if exc.errno is not None else 0
    text = f"{path}: {DISK_ERRORS.get(code, exc.strerror)} ({errno.errorcode.get(code, code)})"
    return f"{text}; free some space, then run again with --resume" if code in FULL else text


def _polars_errno(exc: Exception) -> int | None:
    if type(exc).__module__.split(".")[0] != "polars":
        return None
    found = _OS_ERROR.search(str(exc))
    code = int(found.group(1)) if found else None
    return code if code in DISK_ERRORS else None


def size(count: int) -> str:
    """A byte count for people: ``1.5 GB``."""
    value = float(count)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
