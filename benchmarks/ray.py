"""The same pipeline on the local executor and on Ray: wall time, Ray's overhead, per-stage times.

Writes ``--docs`` generated WildChat-sized conversations (``benchmarks/scale.py``'s generator:
2-4 user turns of ~550 characters, exact and near copies, foreign and PII-bearing turns) and
runs ``benchmarks/scale.py``'s pipeline

    normalize -> quality -> language -> dedup -> pii (pattern entities) -> pairs -> split

twice as ``curate run`` in a child process: with the local executor (``--workers``), then with
``--executor ray`` (a Ray instance started for the run, sized to the machine). It prints the
wall time of each, their ratio (Ray's overhead on one machine), the seconds each stage spent
(summed over shards, from the manifests) and where each stage runs on Ray, and checks that the
two output folders hold the same data files.

Usage::

    .venv/bin/python benchmarks/ray.py --docs 100000 --workers 2
    .venv/bin/python benchmarks/ray.py --docs 5000 --keep /tmp/ray-bench
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import ROOT, write_input, write_pipeline  # the generator and pipeline scale.py uses

WHERE = {
    "read": "Ray tasks, one per piece (64 MiB line ranges of the file)",
    "normalize": "Ray actors (fused with language)",
    "quality": "Ray actors (fused with language)",
    "language": "Ray actors (a model: its own teardown)",
    "dedup": "Ray actors per shard (signatures, band keys, apply); decide on the driver",
    "pii": "Ray actors (presidio per actor)",
    "pairs": "Ray tasks per shard and batch; the plan and merge on the driver",
    "split": "Ray tasks per shard (keys, apply); decide on the driver",
}


def run(pipeline: Path, out: Path, *options: str) -> float:
    """Wall seconds of ``curate run`` (it must succeed)."""
    command = [sys.executable, "-m", "curate.cli", "run", str(pipeline), "--out", str(out), "-q", *options]
    started = time.perf_counter()
    finished = subprocess.run(command, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"curate run {' '.join(options)} failed (exit {finished.returncode})")
    return time.perf_counter() - started


def stage_seconds(out: Path) -> dict[str, float]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {stage["name"]: stage["seconds"] for stage in manifest["stages"]}


def ray_steps(out: Path) -> list[dict[str, object]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    steps: list[dict[str, object]] = manifest["executor"].get("steps", [])
    return steps


def data_digest(out: Path) -> dict[str, str]:
    return {
        path.relative_to(out).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((out / "data").rglob("*"))
        if path.is_file()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Keep the input and both outputs in this folder.")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / "wildchat.jsonl"
        size = write_input(data, args.docs)
        pipeline = write_pipeline(folder, data)
        print(f"{args.docs:,} conversations ({size / 2**20:,.0f} MiB)")
        local = run(pipeline, folder / "local", "--workers", str(args.workers))
        print(f"local ({args.workers} workers): {local:8.1f} s  {args.docs / local:7.1f} conv/s", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} after the local run", flush=True)
        ray = run(pipeline, folder / "ray", "--workers", str(args.workers), "--executor", "ray")
        print(f"ray (started for the run): {ray:8.1f} s  {args.docs / ray:7.1f} conv/s", flush=True)
        print(f"Ray's overhead on this machine: x{ray / local:.2f} wall time")
        if data_digest(folder / "local") != data_digest(folder / "ray"):
            raise SystemExit("the two executors wrote different data files")
        print("data files: identical")
        here, there = stage_seconds(folder / "local"), stage_seconds(folder / "ray")
        print(f"{'stage':<10} {'local s':>9} {'ray s':>9}  where on Ray")
        for name, seconds in here.items():
            print(f"{name:<10} {seconds:9.1f} {there.get(name, 0.0):9.1f}  {WHERE.get(name, '')}")
        print("Ray's own figures per step (from the manifest's executor block):")
        for step in ray_steps(folder / "ray"):
            print(
                f"  {step['step']:<40} {step['pool']:<6} {step['tasks']:5d} tasks {step['nodes']} node(s)"
                f" {step['task_seconds']:9.1f} task s {step['cpu_seconds']:9.1f} CPU s"
            )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
