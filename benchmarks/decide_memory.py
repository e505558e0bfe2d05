"""Memory a whole-data stage's ``decide`` takes on the driver, per row: dedup, split, pairs.

For each ``--rows`` size it writes that many generated WildChat-sized conversations (the
generator of ``scale.py``: near and exact copies included) as shards of 5,000 rows in a work
folder, summarizes every shard as the executors do, then, in a fresh child process,
measures the resident memory after imports, loads the summaries and runs ``decide`` as
``curate.executors.compact.decide_step`` does, sampling the resident memory every 5 ms, and
reports the peak above that start, per row. The figure a Ray run checks a step against
(``HELD_PER_ROW`` of ``curate.dedup.decide``, ``DECIDE_BYTES_PER_ROW`` of split,
``LINKS_BYTES_PER_ROW`` of pairs) is the slope between two sizes (the fixed cost of the
imports and the first arrays cancels out).

``dedup-cluster`` decides with the clusters joined on a local Ray instance of 2 CPUs
(``OnRay``, what ``executor.clusters: cluster`` hands dedup): the driver's per-row figure
without candidate edges. ``--edges`` measures instead what candidate edges cost in this
process (``HELD_PER_EDGE``): rows sharing band keys in groups of four in every band (three
star edges a row and band, the same pairs in every band), found and deduplicated as dedup's
``similar_edges`` does before it verifies them.

Usage::

    .venv/bin/python benchmarks/decide_memory.py --rows 20000 80000
    .venv/bin/python benchmarks/decide_memory.py --edges 200000 800000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from peak import sampled  # noqa: E402  (this folder's helper, found once the path is set)

SHARD_ROWS = 5_000
STAGES = {
    "dedup": ("dedup", {"threshold": 0.8}),
    "dedup-256": ("dedup", {"threshold": 0.8, "num_perm": 256}),
    "dedup-cluster": ("dedup", {"threshold": 0.8}),
    "split": ("split", {"test_size": 0.05}),
    "pairs": ("pairs", {"strategies": ["model_rank"], "model_rank": {"ranking": ["gpt-4*", "gpt-3.5*"]}}),
}
"""What is measured: a name, the stage and its options. ``pairs`` holds its links and plans
its batches on the driver (``plan_batches``), the others decide."""


def prepare(folder: Path, rows: int) -> None:
    """Normalized conversations in shards of the work folder, and each stage's summaries."""
    from scale import conversations

    import curate
    from curate import registry
    from curate.executors.compact import CompactNames, summarize_shard
    from curate.executors.partitioned import PartitionedNames, link_shard
    from curate.executors.workdir import WorkFolder
    from curate.stages import Normalize

    data = folder / "wildchat.jsonl"
    with data.open("w", encoding="utf-8") as handle:
        for record in conversations(rows):
            handle.write(json.dumps(record) + "\n")
    frame = Normalize()(curate.read(data, format="wildchat").frame).kept
    work = WorkFolder(folder / "work")
    for number, start in enumerate(range(0, frame.height, SHARD_ROWS)):
        work.write_shard("01-read", f"{number:05d}", {"kept": frame.slice(start, SHARD_ROWS)}, {})
    for name, (kind, options) in STAGES.items():
        if name == "dedup-cluster":
            steps = folder / "work" / "steps"
            shutil.copytree(steps / "dedup.summaries", steps / f"{name}.summaries")
            continue
        stage = registry.stages.get(kind).from_options(**options)
        stage.setup()
        for shard in work.finished("01-read"):
            frame = work.frame("01-read", shard, "kept")
            if kind == "pairs":
                link_shard(work, PartitionedNames(name), stage, shard, frame)
            else:
                summarize_shard(work, CompactNames(name), stage, shard, frame)
        stage.teardown()


def measure(folder: Path, name: str) -> None:
    """In a fresh process: the peak resident memory of loading the summaries and deciding."""
    from curate import registry
    from curate.executors.compact import ShardRows
    from curate.executors.partitioned import PartitionedNames, plan_batches
    from curate.executors.workdir import WorkFolder

    work = WorkFolder(folder / "work")
    kind, options = STAGES[name]
    stage = registry.stages.get(kind).from_options(**options)
    if name == "dedup-cluster":
        stage.context = _on_ray()
    stage.setup()
    rows = ShardRows(work, "01-read", work.finished("01-read"))
    with sampled(_rss) as memory:
        if kind == "pairs":
            count = plan_batches(work, PartitionedNames(name), None).size
        else:
            summaries = name + ".summaries"
            found = [work.state(summaries, key) for key in work.finished(summaries)]
            count = stage.decide(found, rows).height
    print(json.dumps({"start": memory.start, "peak": memory.peak, "rows": count}))


def _on_ray() -> Any:
    """A run context whose joiner is ``OnRay`` on a local Ray instance started here."""
    import dataclasses
    import importlib
    import logging

    # This folder's ray.py (the Ray benchmark) would shadow the package.
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    ray = importlib.import_module("ray")

    from curate.executors.ray.components import OnRay
    from curate.stages.base import RunContext

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    return dataclasses.replace(RunContext(), joiner=OnRay(actors=2, partitions=2))


def measure_edges(rows: int) -> None:
    """In a fresh process: the peak resident memory of finding and deduplicating the candidate
    edges of ``rows`` rows of 14 bands sharing keys in groups of four, per star edge."""
    import numpy as np

    from curate.dedup.arrays import sorted_distinct
    from curate.dedup.joining import IN_PROCESS, Edges

    bands = 14
    keys = (np.arange(rows, dtype=np.uint64) // 4)[:, None] + np.arange(bands, dtype=np.uint64) * rows
    positions = np.arange(rows, dtype=np.int64)
    edges = 0
    with sampled(_rss, every=0.002) as memory:
        for found in IN_PROCESS.stars(positions, keys):
            edges += found.size
            unique = sorted_distinct(found.left * rows + found.right)
            del found
            candidates = Edges(unique // rows, unique % rows)
            del unique, candidates
    print(json.dumps({"start": memory.start, "peak": memory.peak, "rows": edges}))


def _rss() -> int:
    """Resident memory of this process's own: its heap and the files it maps (``RssAnon`` and
    ``RssFile``), not shared memory (``RssShmem``): the object store's pages a Ray driver
    writes into or reads from are the store's (``executor.object_store_memory``), not its own."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return sum(int(fields[name].split()[0]) * 1024 for name in ("RssAnon", "RssFile"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 80_000])
    parser.add_argument("--only", nargs="+", choices=list(STAGES), help="measure these alone")
    parser.add_argument("--edges", type=int, nargs="+", help="rows of the candidate-edge measure")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        if args.measure[0] == "edges":
            measure_edges(int(args.measure[1]))
        else:
            measure(Path(args.measure[0]), args.measure[1])
        return
    if args.edges:
        edge_figures(sorted(args.edges))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    names = args.only or list(STAGES)
    found: dict[str, list[tuple[int, int]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as scratch:
        for rows in sorted(args.rows):
            folder = Path(scratch) / str(rows)
            folder.mkdir()
            prepare(folder, rows)
            for name in names:
                command = [sys.executable, __file__, "--measure", str(folder), name]
                env = {**os.environ, "PYTHONPATH": str(ROOT)}
                done = subprocess.run(command, capture_output=True, text=True, env=env)
                if done.returncode:
                    raise SystemExit(f"{name} at {rows:,} rows failed:\n{done.stderr[-3000:]}")
                figures = json.loads(done.stdout.splitlines()[-1])
                above = figures["peak"] - figures["start"]
                found[name].append((figures["rows"], above))
                print(
                    f"{name}: {figures['rows']:>9,} rows: peak {above / 2**20:8.1f} MiB above the start,"
                    f" {above / figures['rows']:7.0f} B a row (load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
    for name, points in found.items():
        (small, low), (large, high) = points[0], points[-1]
        if large > small:
            print(
                f"{name}: {(high - low) / (large - small):.0f} B a row between {small:,} and {large:,} rows"
            )


def edge_figures(sizes: list[int]) -> None:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    points = []
    for rows in sizes:
        command = [sys.executable, __file__, "--measure", "edges", str(rows)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        figures = json.loads(done.stdout.splitlines()[-1])
        above = figures["peak"] - figures["start"]
        points.append((figures["rows"], above))
        print(
            f"edges of {rows:,} rows: {figures['rows']:,} star edges, peak {above / 2**20:.1f} MiB above"
            f" the start, {above / figures['rows']:.0f} B an edge (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    (small, low), (large, high) = points[0], points[-1]
    if large > small:
        print(f"{(high - low) / (large - small):.0f} B an edge between {small:,} and {large:,} edges")


if __name__ == "__main__":
    pl.Config.set_tbl_rows(5)
    main()
