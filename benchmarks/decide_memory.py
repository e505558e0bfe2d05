"""Memory a whole-data stage's ``decide`` takes on the driver, per row: dedup, split, pairs.

For each ``--rows`` size it writes that many generated WildChat-sized conversations (the
generator of ``scale.py``: near and exact copies included) as shards of 5,000 rows in a work
folder, summarizes every shard as the executors do, then, in a fresh child process,
measures the resident memory after imports, loads the summaries and runs ``decide`` as
``curate.executors.compact.decide_step`` does, sampling the resident memory every 5 ms, and
reports the peak above that start, per row. The figure a Ray run checks a step against
(``DECIDE_BYTES_PER_ROW`` of each stage) is the slope between two sizes (the fixed cost of
the imports and the first arrays cancels out).

Usage::

    .venv/bin/python benchmarks/decide_memory.py --rows 20000 80000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARD_ROWS = 5_000
STAGES = {
    "dedup": ("dedup", {"threshold": 0.8}),
    "dedup-256": ("dedup", {"threshold": 0.8, "num_perm": 256}),
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
    stage.setup()
    rows = ShardRows(work, "01-read", work.finished("01-read"))
    start = _rss()
    peak = [start]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.005):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if kind == "pairs":
        count = plan_batches(work, PartitionedNames(name), None).size
    else:
        summaries = name + ".summaries"
        found = [work.state(summaries, key) for key in work.finished(summaries)]
        count = stage.decide(found, rows).height
    stop.set()
    sampler.join()
    peak[0] = max(peak[0], _rss())
    print(json.dumps({"start": start, "peak": peak[0], "rows": count}))


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 80_000])
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(Path(args.measure[0]), args.measure[1])
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    found: dict[str, list[tuple[int, int]]] = {name: [] for name in STAGES}
    with tempfile.TemporaryDirectory() as scratch:
        for rows in sorted(args.rows):
            folder = Path(scratch) / str(rows)
            folder.mkdir()
            prepare(folder, rows)
            for name in STAGES:
                command = [sys.executable, __file__, "--measure", str(folder), name]
                env = {**os.environ, "PYTHONPATH": str(ROOT)}
                done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
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


if __name__ == "__main__":
    pl.Config.set_tbl_rows(5)
    main()
