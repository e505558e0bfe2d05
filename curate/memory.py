"""Giving memory back to the system: a memory map's pages, the allocator's free heap.

A work folder's large arrays are mapped, not read (``curate.executors.states``). Pages of a
map that have been read count in the process's resident memory until they are unmapped or
given back; ``release`` gives them back, and the array stays readable (its pages come again
from the kernel's page cache when touched). On an array that is not such a view it does
nothing. ``trim`` returns the C allocator's free memory after a step that held much: without
it, the process keeps the high-water mark of every step for the rest of the run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import mmap
import pickle
from typing import Any


def release(array: Any) -> None:
    """Give back the resident pages of the memory map ``array`` is a view of, if it is one."""
    found = mapping(array)
    advice = getattr(mmap, "MADV_DONTNEED", None)  # not on Windows: the pages stay until unmapped
    if found is not None and advice is not None:
        found.madvise(advice)


def mapping(value: Any) -> mmap.mmap | None:
    """The memory map under ``value`` (an array, a memoryview, a pickle buffer), or None."""
    for _ in range(16):  # a view of a view ... of the map; never deeper in practice
        if isinstance(value, mmap.mmap):
            return value
        if isinstance(value, pickle.PickleBuffer):
            value = value.raw().obj
        elif isinstance(value, memoryview):
            value = value.obj
        elif getattr(value, "base", None) is not None:
            value = value.base
        else:
            return None
    return None


def trim() -> None:
    """Collect garbage and give the C allocator's free heap back (glibc's ``malloc_trim``;
    elsewhere only the collection)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return
