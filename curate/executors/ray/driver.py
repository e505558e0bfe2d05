"""What the driver can hold: a whole-data step is checked against it before it starts.

The Ray executor decides a whole-data step on the driver (dedup's clusters, pairs' plan of
batches, split's sides), and what that holds grows with the rows (``driver_memory`` of the
stage, measured by ``benchmarks/decide_memory.py``). A step that would need more than the
driver may use stops before it starts, with a line that says what to do, instead of being
killed by the kernel hours later. The limit is ``executor.driver_memory``, else the memory
available to the driver when the step starts (the machine's, within its cgroup's limit).

Dedup's figure has two parts (``DESIGN.md``, "Whole-data steps"): what it holds per row
whatever happens, and its candidate edges (``edge_memory``: rows x bands x bytes an edge at
worst), which ``executor.clusters: cluster`` keeps on the Ray cluster instead
(``curate.executors.ray.components.OnRay``). ``check_driver_memory`` chooses: ``driver`` checks the
whole figure, ``cluster`` the per-row part alone, ``auto`` the driver while the whole figure
fits, else the cluster while the per-row part does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from curate.errors import ExecutorError
from curate.stages.base import CompactStage, PartitionedStage

CGROUP = Path("/sys/fs/cgroup")


Place = Literal["driver", "cluster"]
"""Where a whole-data step finds its candidate pairs and joins them."""


def check_driver_memory(
    stage: CompactStage[Any, Any] | PartitionedStage[Any, Any],
    rows: int,
    limit: int | None,
    clusters: Literal["auto", "driver", "cluster"] = "driver",
) -> Place:
    """Where ``stage``'s step over ``rows`` rows joins its clusters (``executor.clusters``);
    refuse to start it when deciding there would take more than ``limit`` bytes on the driver
    (None: the memory available now)."""
    needed = stage.driver_memory(rows)
    edges = stage.edge_memory(rows)
    if needed is None:
        return "driver"
    allowed = limit if limit is not None else available_memory()
    if edges is None or clusters == "driver" or (clusters == "auto" and needed <= allowed):
        if needed <= allowed:
            return "driver"
        hint = ", or set executor.clusters: auto to join the clusters on the Ray cluster"
        raise _too_large(stage.name, rows, needed, allowed, limit, "" if edges is None else hint)
    if needed - edges <= allowed:
        return "cluster"
    raise _too_large(stage.name, rows, needed - edges, allowed, limit, "", " with its clusters on Ray")


def _too_large(
    name: str, rows: int, needed: int, allowed: int, limit: int | None, hint: str, joined: str = ""
) -> ExecutorError:
    where = "executor.driver_memory allows" if limit is not None else "the driver has available"
    return ExecutorError(
        f"{name}: deciding over {rows:,} rows takes about {_gib(needed)} on the driver{joined}, more"
        f" than the {_gib(allowed)} {where}; run the driver (the head node) on a machine with more"
        f" memory, or set executor.driver_memory to what it may use{hint}, then rerun with --resume"
        " (the finished steps are kept)"
    )


def available_memory() -> int:
    """Bytes this process may still take: the machine's available memory, within the limit of
    its cgroup (a container's) when it has one."""
    available = _meminfo_available()
    try:
        maximum = (CGROUP / "memory.max").read_text().strip()
        current = int((CGROUP / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return available
    return available if maximum == "max" else min(available, max(0, int(maximum) - current))


def _meminfo_available() -> int:
    """``MemAvailable`` of ``/proc/meminfo`` (free memory plus what the kernel can reclaim), else
    the free pages."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _gib(size: int) -> str:
    return f"{size / 2**30:,.1f} GiB"
