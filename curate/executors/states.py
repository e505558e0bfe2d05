"""A stage's state in the work folder: pickled, with its large arrays mapped back, not read.

A state (dedup's summaries and decisions, pairs' links) is pickled with protocol 5: every
contiguous array of at least ``MAPPED_BYTES`` goes out of band into ``<name>.bin`` (each at
an offset aligned to ``ALIGN``), the rest into ``<name>.pickle`` with those offsets. Read
back, the arrays are views of a read-only memory map of the ``.bin`` file, so a state as
large as the input costs no memory until its rows are read (``curate.memory.release`` gives
their pages back after).
"""

from __future__ import annotations

import functools
import mmap
import pickle
import sys
from pathlib import Path
from typing import Any, BinaryIO, Final

from curate.memory import release
from curate.writers.atomic import atomic_path, write_bytes

MAPPED_BYTES: Final = 1 << 16
OPEN_FILES: Final = 10_240
"""Open files asked for where the hard limit is none (macOS's most)."""
ALIGN: Final = 64


def write_state(path: Path, state: object) -> None:
    """Write ``state`` to ``path`` (the pickle) and ``path.bin`` (its large arrays)."""
    offsets: list[tuple[int, int] | None] = []
    with atomic_path(_data(path)) as temporary, temporary.open("wb") as handle:

        def out_of_band(buffer: pickle.PickleBuffer) -> bool:
            view = buffer.raw()
            if view.nbytes < MAPPED_BYTES:
                offsets.append(None)
                return True
            offsets.append(_append(handle, view))
            release(buffer)  # the source's pages, when it is mapped itself
            return False

        payload = pickle.dumps(state, protocol=5, buffer_callback=out_of_band)
    write_bytes(path, pickle.dumps((offsets, payload), protocol=5))


def read_state(path: Path) -> object:
    """The state written to ``path``; its large arrays are read-only views of a memory map."""
    offsets, payload = pickle.loads(path.read_bytes())
    mapped = [offset for offset in offsets if offset is not None]
    buffers: list[Any] = []
    if mapped:
        whole = memoryview(_map(_data(path)))
        buffers = [whole[start : start + size] for start, size in mapped]
    return pickle.loads(payload, buffers=buffers)


def remove_state(path: Path) -> None:
    path.unlink(missing_ok=True)
    _data(path).unlink(missing_ok=True)


def _map(path: Path) -> mmap.mmap:
    with path.open("rb") as handle:
        if sys.version_info >= (3, 13):
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ, trackfd=False)
        _allow_open_files()
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


@functools.cache
def _allow_open_files() -> None:
    """Before Python 3.13 a memory map keeps its file open, and a step's states are mapped one
    file a shard (dedup's summaries: 200 at 1M rows): the soft limit of open files (1,024 on
    many systems, 256 on macOS) is raised to the hard one, as far as the system allows."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return


def _append(handle: BinaryIO, view: memoryview) -> tuple[int, int]:
    start = handle.tell()
    padding = -start % ALIGN
    handle.write(b"\0" * padding)
    handle.write(view)
    return start + padding, view.nbytes


def _data(path: Path) -> Path:
    return path.with_name(path.name + ".bin")
