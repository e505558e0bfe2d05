"""Memory of writing a release's dedup index: by row groups (``write_index``) against the whole
release in one frame (how it was written before), each in a fresh process.

For each ``--rows`` size the script writes prompt and reply signatures of that many rows as
mapped shards of 5,000 rows (as a run's work folder holds them), then in a child process
measures the resident memory after the imports and the peak above it (sampled every 5 ms)
while the index of every row is written. Both ways write the same rows; the script checks
that they read back equal and prints the ratio of their peaks. The signatures are random:
what is measured is the writing, not the sketching.

Usage::

    .venv/bin/python benchmarks/index_memory.py --rows 200000 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from peak import sampled  # noqa: E402  (this folder's helper, found once the path is set)

SHARD_ROWS = 5_000
NUM_PERM = 128


def prepare(folder: Path, rows: int) -> None:
    """Random signatures, keys and ids of ``rows`` rows in shards of ``SHARD_ROWS``."""
    generator = np.random.default_rng(0)
    for number, start in enumerate(range(0, rows, SHARD_ROWS)):
        count = min(SHARD_ROWS, rows - start)
        for part in ("prompt", "reply"):
            signatures = generator.integers(0, 2**32, (count, NUM_PERM), dtype=np.uint32)
            np.save(folder / f"{part}-{number:05d}.npy", signatures)
            np.save(
                folder / f"{part}-keys-{number:05d}.npy", generator.integers(0, 2**63, count, dtype=np.uint64)
            )


def sketch(folder: Path) -> object:
    """The shards' sketches, signatures mapped from disk, as ``decide`` leaves them."""
    from curate.dedup.sketch import ConversationSketch, Sketch

    parts = {}
    for part in ("prompt", "reply"):
        shards = []
        for path in sorted(folder.glob(f"{part}-0*.npy")):
            keys = np.load(folder / path.name.replace(f"{part}-", f"{part}-keys-"))
            signatures = np.load(path, mmap_mode="r")
            present = np.ones(keys.size, dtype=bool)
            shards.append(Sketch(keys, signatures, present, np.zeros(keys.size, dtype=bool)))
        parts[part] = Sketch.concat(shards)
    return ConversationSketch(prompt=parts["prompt"], reply=parts["reply"])


def write_in_one_frame(target: Path, rows: object, found: object, settings: object) -> None:
    """The baseline: every row's sketch taken at once into one frame, written in one call."""
    import polars as pl

    from curate.dedup.index import METADATA_KEY, _index_rows

    assert isinstance(rows, pl.DataFrame)
    taken = found.take(rows["row"].to_numpy())  # type: ignore[attr-defined]
    frame = _index_rows(rows, taken, settings).rechunk()  # type: ignore[arg-type]
    frame.write_parquet(target, compression="zstd", metadata={METADATA_KEY: "{}"})


def measure(folder: Path, way: str) -> None:
    """In a fresh process: the peak resident memory above the start while writing the index."""
    import polars as pl

    from curate.dedup.index import IndexSettings, write_index

    settings = IndexSettings(num_perm=NUM_PERM, seed=0, shingle="word", ngram=5, char_ngram=3)
    found = sketch(folder)
    size = len(found.prompt.keys)  # type: ignore[attr-defined]
    rows = pl.DataFrame(
        {
            "id": [f"wildchat-{n:012d}" for n in range(size)],
            "source": ["wildchat"] * size,
            "row": np.arange(size, dtype=np.int64),
        }
    )
    target = folder / f"{way}.parquet"
    with sampled(_rss) as memory:
        if way == "row groups":
            write_index(target, rows, found, settings, "bench")  # type: ignore[arg-type]
        else:
            write_in_one_frame(target, rows, found, settings)
    print(json.dumps({"start": memory.start, "peak": memory.peak, "rows": size}))


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000])
    parser.add_argument("--measure", nargs=2, metavar=("FOLDER", "WAY"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        measure(Path(arguments.measure[0]), arguments.measure[1])
        return
    import polars as pl

    for rows in arguments.rows:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            prepare(folder, rows)
            peaks = {}
            for way in ("one frame", "row groups"):
                result = subprocess.run(
                    [sys.executable, __file__, "--measure", str(folder), way],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                figures = json.loads(result.stdout.strip().splitlines()[-1])
                peaks[way] = figures["peak"] - figures["start"]
                print(
                    f"{rows:>9,} rows, {way:>10}: peak {peaks[way] / 2**20:8.1f} MiB above the start",
                    flush=True,
                )
            same = pl.read_parquet(folder / "one frame.parquet").equals(
                pl.read_parquet(folder / "row groups.parquet")
            )
            print(
                f"{rows:>9,} rows: row groups / one frame = {peaks['row groups'] / peaks['one frame']:.2f}"
                f" (files read back equal: {same})",
                flush=True,
            )


if __name__ == "__main__":
    main()
