"""The whole pipeline at growing sizes: wall time and peak memory of the process tree.

For each ``--docs`` size it writes that many generated WildChat-sized conversations (as
``benchmarks/pipeline.py`` makes them: 2-4 user turns of ~550 characters, longer answers,
exact and near copies, foreign and PII-bearing turns) to a JSON Lines file, streamed so the
generator holds none of them, then runs

    normalize -> quality -> language -> dedup -> pii (pattern entities) -> pairs -> split

as ``curate run`` in a child process while sampling the resident memory of that process and
all its children (psutil) every 0.2 s. PERSON detection is off (pattern entities only), as
issue 11 asks, to keep the largest sizes short. It prints, per size, wall seconds,
conversations per second, peak RSS, each step's seconds and peak RSS, and against the
smallest size the ratios of time (per conversation) and of peak memory: flat memory and
linear time show as ratios near 1.

Usage::

    .venv/bin/python benchmarks/scale.py --docs 10000 100000 --workers 2
    .venv/bin/python benchmarks/scale.py --docs 100000 1000000 --workers 2 --keep /tmp/scale
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import fresh, variant  # the generator pipeline.py uses

ROOT = Path(__file__).resolve().parents[1]
PATTERN_ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "IBAN_CODE"]


def conversations(count: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """WildChat-layout records, one at a time; copies come from a bounded pool of recent ones."""
    rng = random.Random(seed)
    recent: list[dict[str, Any]] = []
    for index in range(count):
        roll = rng.random()
        if recent and roll < 0.25:
            record = variant(rng, rng.choice(recent), index, exact=roll < 0.05)
        else:
            record = fresh(rng, index)
        if len(recent) < 2_000:
            recent.append(record)
        else:
            recent[rng.randrange(len(recent))] = record
        yield record


def write_input(path: Path, count: int) -> int:
    """Write ``count`` conversations to ``path`` (whole or not at all: a kept input is reused)."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for record in conversations(count):
            handle.write(json.dumps(record) + "\n")
    partial.replace(path)
    return path.stat().st_size


def write_pipeline(folder: Path, data: Path, pii: bool = True) -> Path:
    pipeline = {
        "name": "scale",
        "inputs": [{"name": "wildchat", "path": str(data), "format": "wildchat", "license": "ODC-BY-1.0"}],
        "stages": [
            {"normalize": {}},
            {"quality": {"max_chars": 50000}},
            {"language": {"keep": ["en"]}},
            {"dedup": {}},
            *([{"pii": {"entities": PATTERN_ENTITIES}}] if pii else []),
            {"pairs": {"strategies": ["model_rank"], "model_rank": {"ranking": ["gpt-4*", "gpt-3.5*"]}}},
            {"split": {"test_size": 0.05}},
        ],
        "output": {"dir": str(folder / "out"), "card": False},
    }
    path = folder / "scale.yaml"
    path.write_text(json.dumps(pipeline), encoding="utf-8")  # JSON is YAML
    return path


def run(pipeline: Path, workers: int) -> tuple[float, int, int]:
    """Wall seconds, peak RSS of the process tree (bytes), and the exit code of ``curate run``;
    the run's events go to ``events.jsonl`` beside the pipeline (``step_times`` reads them),
    the samples (time, bytes) to ``rss.tsv`` (``step_peaks`` reads them)."""
    events = pipeline.with_name("events.jsonl")
    events.unlink(missing_ok=True)
    command = [
        *(sys.executable, "-m", "curate.cli", "run", str(pipeline), "-q", "--workers", str(workers)),
        *("--log-file", str(events)),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env)
    root = psutil.Process(child.pid)
    peak = 0
    try:
        with pipeline.with_name("rss.tsv").open("w", encoding="utf-8") as samples:
            while child.poll() is None:
                rss = _tree_rss(root)
                peak = max(peak, rss)
                samples.write(f"{time.time():.2f}\t{rss}\n")
                time.sleep(0.2)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    return time.perf_counter() - started, peak, child.returncode


def step_times(events: Path) -> dict[str, float]:
    """Seconds of each step of the run, from its ``--log-file`` events."""
    started: dict[str, float] = {}
    times: dict[str, float] = {}
    for line in events.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "step_start":
            started[event["step"]] = event["time"]
        elif event.get("event") == "step_done":
            times[event["step"]] = event["time"] - started[event["step"]]
        elif event.get("event") == "write_start":
            started["write"] = event["time"]
        elif event.get("event") == "run_done":
            times["write"] = event["time"] - started["write"]
    return times


def step_peaks(events: Path, samples: Path) -> dict[str, int]:
    """Peak RSS of the process tree (bytes) during each step of the run (``write``: writing the
    output folder), from the events and the samples."""
    starts: list[tuple[float, str]] = []
    for line in events.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "step_start":
            starts.append((event["time"], event["step"]))
        elif event.get("event") == "write_start":
            starts.append((event["time"], "write"))
    peaks: dict[str, int] = {}
    for line in samples.read_text(encoding="utf-8").splitlines():
        moment, rss = line.split("\t")
        current = [step for started, step in starts if started <= float(moment)]
        if current:
            peaks[current[-1]] = max(peaks.get(current[-1], 0), int(rss))
    return peaks


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Keep inputs and outputs in this folder.")
    parser.add_argument(
        "--no-pii", action="store_true", help="Leave the pii stage out (sizes pii makes take hours)."
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or Path(scratch)
        for count in sorted(args.docs):
            folder = base / f"{count}"
            folder.mkdir(parents=True, exist_ok=True)
            data = folder / "wildchat.jsonl"
            size = data.stat().st_size if data.exists() else write_input(data, count)
            pipeline = write_pipeline(folder, data, pii=not args.no_pii)
            seconds, peak, code = run(pipeline, args.workers)
            if code != 0:
                raise SystemExit(f"curate run failed at {count:,} conversations (exit {code})")
            rows.append((count, size, seconds, peak))
            print(
                f"{count:>9,} conversations ({size / 2**20:,.0f} MiB): {seconds:8.1f} s,"
                f" {count / seconds:7.1f} conv/s, peak RSS {peak / 2**30:.2f} GiB"
                f" (load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            events = pipeline.with_name("events.jsonl")
            steps = step_times(events)
            print("   " + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in steps.items()), flush=True)
            peaks = step_peaks(events, pipeline.with_name("rss.tsv"))
            print("   peak RSS: " + ", ".join(f"{step} {rss / 2**30:.2f} GiB" for step, rss in peaks.items()))
    first = rows[0]
    for count, _, seconds, peak in rows[1:]:
        time_ratio = (seconds / count) / (first[2] / first[0])
        print(
            f"{count:,} vs {first[0]:,}: time per conversation x{time_ratio:.2f},"
            f" peak memory x{peak / first[3]:.2f}"
        )


if __name__ == "__main__":
    main()
