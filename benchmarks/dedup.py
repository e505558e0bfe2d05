"""Benchmark of the ``dedup`` stage against the way a user would do it with datasketch.

Generates conversations of ~1 KB (a user turn and an assistant turn) with planted duplicate
clusters: an original and copies of it that are exact, or carry random word edits
(substitutions, insertions, deletions) of 2-10% of their words. Some rows reuse only an
original's prompt with a fresh answer (alternatives, which must not be dropped).

Both methods see the same rows in the same order and drop a row when it resembles an
earlier one. The truth is planted and measured: a row is a true duplicate when an earlier
row of its cluster has an exact Jaccard (word 5-gram sets) at or above the threshold. A
dropped row counts as correct when it is a true duplicate and the row it names is in its
cluster. Note that 5-gram Jaccard falls fast with edits: ~3% of words edited is already
below 0.8, so most edited copies are planted *below* the threshold and must be kept.

Usage::

    .venv/bin/python benchmarks/dedup.py                # 50,000 conversations
    .venv/bin/python benchmarks/dedup.py 1000000 --reference 20000

The reference (datasketch ``MinHash.update`` per shingle, ``MinHashLSH`` query then insert)
runs on the first ``--reference`` rows (default: all, at most 50,000); the stage runs on the
same rows for the speed ratio, then on all rows when there are more.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import os
import platform
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curate import schema
from curate.stages.base import RunContext
from curate.stages.dedup import Dedup

VOCABULARY = 30_000
PROMPT_WORDS = (15, 40)
ANSWER_WORDS = (120, 170)
NGRAM = 5
KEPT_ID = re.compile(r"duplicate of '([^']*)'")


@dataclass
class Corpus:
    frame: pl.DataFrame
    cluster: np.ndarray
    """Planted cluster of each row (the row number of its original, before shuffling)."""
    kind: np.ndarray
    """original | exact | edited | alternative."""


WORD = re.compile(r"[a-z]+")
CHUNK = 20_000


class Words:
    """Random words, Zipf-distributed, drawn in bulk."""

    def __init__(self, rng: np.random.Generator) -> None:
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        self.vocabulary = ["".join(rng.choice(letters, n)) for n in rng.integers(2, 10, VOCABULARY)]
        weights = 1.0 / np.arange(1, VOCABULARY + 1) ** 0.9
        self.weights = weights / weights.sum()
        self.rng = rng

    def texts(self, lengths: np.ndarray) -> list[str]:
        ids = self.rng.choice(VOCABULARY, int(lengths.sum()), p=self.weights).tolist()
        vocabulary, texts, start = self.vocabulary, [], 0
        for length in lengths.tolist():
            texts.append(" ".join([vocabulary[i] for i in ids[start : start + length]]))
            start += length
        return texts

    def edit(self, words: list[str], rate: float) -> list[str]:
        """Substitute, insert or delete ``rate`` of the words, at random places."""
        result = list(words)
        for _ in range(max(1, round(rate * len(words)))):
            place = int(self.rng.integers(0, len(result)))
            action = int(self.rng.integers(0, 3))
            if action == 0:
                result[place] = self.vocabulary[int(self.rng.integers(0, VOCABULARY))]
            elif action == 1:
                result.insert(place, self.vocabulary[int(self.rng.integers(0, VOCABULARY))])
            elif len(result) > NGRAM + 1:
                del result[place]
        return result


def generate(size: int, duplicate_share: float, alternative_share: float, seed: int) -> Corpus:
    """``size`` conversations; ``duplicate_share`` of them copies, ``alternative_share`` new answers.

    Rows are made in their final (shuffled) order, a chunk at a time, from the originals'
    texts: the Python strings of one chunk at most are alive at once.
    """
    rng = np.random.default_rng(seed)
    words = Words(rng)
    copies = int(size * duplicate_share)
    alternatives = int(size * alternative_share)
    originals = size - copies - alternatives
    source = np.concatenate([np.arange(originals), rng.integers(0, originals, copies + alternatives)])
    kind = np.array(
        ["original"] * originals + ["copy"] * copies + ["alternative"] * alternatives, dtype=object
    )
    exact = rng.random(size) < 1 / 3
    kind[(kind == "copy") & exact] = "exact"
    kind[kind == "copy"] = "edited"
    order = rng.permutation(size)
    source, kind = source[order], kind[order]

    parts = []
    for start in range(0, originals, CHUNK):
        count = min(CHUNK, originals - start)
        prompts = words.texts(rng.integers(*PROMPT_WORDS, count))
        answers = words.texts(rng.integers(*ANSWER_WORDS, count))
        parts.append(pl.DataFrame({"prompt": prompts, "answer": answers}))
    base = pl.concat(parts)
    del parts
    chunks = []
    for start in range(0, size, CHUNK):
        stop = min(start + CHUNK, size)
        chunk = base[source[start:stop]]
        chunk_kind = kind[start:stop]
        answers = chunk["answer"].to_list()
        prompts = chunk["prompt"].to_list()
        fresh = iter(words.texts(rng.integers(*ANSWER_WORDS, int((chunk_kind == "alternative").sum()))))
        for position, what in enumerate(chunk_kind.tolist()):
            if what == "alternative":
                answers[position] = next(fresh)
            elif what == "edited":
                prompt = prompts[position].split()
                edited = words.edit(prompt + answers[position].split(), float(rng.uniform(0.02, 0.10)))
                prompts[position] = " ".join(edited[: len(prompt)])
                answers[position] = " ".join(edited[len(prompt) :])
        chunks.append(conversations(start, prompts, answers))
    return Corpus(frame=schema.conform(pl.concat(chunks)), cluster=source, kind=kind)


def conversations(first: int, prompts: list[str], answers: list[str]) -> pl.DataFrame:
    """Rows ``r<first>``... with a user question and an assistant answer."""

    def sentence(column: str, end: str) -> pl.Expr:
        text = pl.col(column)
        return (text.str.slice(0, 1).str.to_uppercase() + text.str.slice(1) + end).alias("content")

    return pl.DataFrame({"prompt": prompts, "answer": answers}).select(
        pl.format("r{}", pl.int_range(pl.len()) + first).alias("id"),
        pl.lit("bench").alias("source"),
        pl.concat_list(
            pl.struct(pl.lit("user").alias("role"), sentence("prompt", "?")),
            pl.struct(pl.lit("assistant").alias("role"), sentence("answer", ".")),
        ).alias("messages"),
        pl.lit("MIT").alias("license"),
        pl.lit("granted").alias("consent"),
    )


def shingles(words: list[str]) -> set[str]:
    return {" ".join(words[i : i + NGRAM]) for i in range(max(len(words) - NGRAM + 1, 1))}


@dataclass
class Truth:
    best: np.ndarray
    """Per row: the highest exact Jaccard of the conversation with an earlier row of its cluster."""
    with_reply: np.ndarray
    """Per row: an earlier row of its cluster reaches the threshold on both the conversation
    and the final reply (the stage's rule: different answers to one prompt are not duplicates)."""


def truth(corpus: Corpus, rows: int, threshold: float) -> Truth:
    """Exact Jaccard of word 5-gram sets (each message shingled on its own) within clusters."""
    best, with_reply = np.zeros(rows), np.zeros(rows, dtype=bool)
    clusters = pl.DataFrame({"cluster": corpus.cluster[:rows], "row": np.arange(rows)})
    groups = clusters.group_by("cluster").agg(pl.col("row").sort()).filter(pl.col("row").list.len() > 1)
    batch: list[list[int]] = []
    for members in [*groups["row"].to_list(), None]:
        if members is not None:
            batch.append(members)
        if batch and (members is None or sum(map(len, batch)) >= CHUNK):
            needed = [row for group in batch for row in group]
            texts = corpus.frame["messages"].gather(needed).to_list()
            sets = {
                row: [shingles(WORD.findall(message["content"].lower())) for message in messages]
                for row, messages in zip(needed, texts, strict=True)
            }
            for group in batch:
                for later in range(1, len(group)):
                    for earlier in range(later):
                        one, two = sets[group[later]], sets[group[earlier]]
                        whole = jaccard(set().union(*one), set().union(*two))
                        best[group[later]] = max(best[group[later]], whole)
                        reply = jaccard(one[-1], two[-1])
                        with_reply[group[later]] |= whole >= threshold and reply >= threshold
            batch = []
    return Truth(best, with_reply)


def jaccard(one: set[str], two: set[str]) -> float:
    return len(one & two) / len(one | two) if one | two else 1.0


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    dropped: int


def score(corpus: Corpus, duplicate: np.ndarray, kept_for: dict[int, int]) -> Score:
    """``duplicate`` marks true duplicates; ``kept_for`` maps a dropped row to the row it names.
    A drop is correct when the row is a true duplicate and the named row is in its cluster."""
    correct = sum(
        1 for row, kept in kept_for.items() if duplicate[row] and corpus.cluster[row] == corpus.cluster[kept]
    )
    precision = correct / len(kept_for) if kept_for else 1.0
    recall = correct / int(duplicate.sum()) if duplicate.any() else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, len(kept_for))


BUCKETS = ((0.7, 0.75), (0.75, 0.8), (0.8, 0.85), (0.85, 0.9), (0.9, 1.0), (1.0, 1.01))


def quality(corpus: Corpus, rows: int, threshold: float, methods: dict[str, dict[int, int]]) -> None:
    found = truth(corpus, rows, threshold)
    rules = {
        "conversation J >= threshold": found.best >= threshold,
        "conversation and reply J >= threshold (the stage's rule)": found.with_reply,
    }
    for rule, duplicate in rules.items():
        print(f"\ntrue duplicates at {rule}: {int(duplicate.sum()):,}")
        print(f"{'method':<24}{'precision':>10}{'recall':>9}{'F1':>8}{'dropped':>9}")
        for name, pairs in methods.items():
            result = score(corpus, duplicate, pairs)
            print(
                f"{name:<24}{result.precision:>10.4f}{result.recall:>9.4f}{result.f1:>8.4f}{result.dropped:>9,}"
            )
    best = found.best
    print("\nrecall by the conversation's Jaccard with its closest earlier cluster member")
    print(
        f"{'':<24}"
        + "".join(f"{f'{low:.2f}' if high > 1 else f'{low:.2f}-{high:.2f}':>12}" for low, high in BUCKETS)
    )
    print(
        f"{'rows':<24}"
        + "".join(f"{int(((best >= low) & (best < high)).sum()):>12,}" for low, high in BUCKETS)
    )
    for name, pairs in methods.items():
        dropped = np.zeros(rows, dtype=bool)
        dropped[list(pairs)] = True
        bucket = [dropped[(best >= low) & (best < high)] for low, high in BUCKETS]
        print(
            f"{name:<24}" + "".join(f"{part.mean():>12.3f}" if part.size else f"{'-':>12}" for part in bucket)
        )
    for name, pairs in methods.items():
        below = sum(1 for row in pairs if 0 < best[row] < threshold)
        alternatives = sum(1 for row in pairs if corpus.kind[row] == "alternative")
        print(
            f"{name}: dropped {below:,} planted copies below the threshold and {alternatives:,} alternatives"
        )


class PeakMemory:
    """Peak resident memory of this process while the block runs (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _rss(self) -> int:
        with Path("/proc/self/statm").open() as statm:
            return int(statm.read().split()[1]) * self._page

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):  # freed heap back to the system first
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        self.start = self.peak = self._rss()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def run_stage(
    frame: pl.DataFrame, threshold: float, workers: int
) -> tuple[float, dict[int, int], PeakMemory]:
    stage = Dedup.from_options(RunContext(workers=workers), threshold=threshold)
    with PeakMemory() as memory:
        started = time.perf_counter()
        stage.setup()
        output = stage.process(frame)
        seconds = time.perf_counter() - started
    position = {name: row for row, name in enumerate(frame["id"].to_list())}
    kept_for = {
        position[name]: position[KEPT_ID.search(detail).group(1)]  # type: ignore[union-attr]
        for name, detail in output.rejected.select("id", "detail").iter_rows()
    }
    return seconds, kept_for, memory


def run_reference(texts: list[str], threshold: float) -> tuple[float, dict[int, int], PeakMemory]:
    """What a user writes with datasketch: one MinHash per text, query, insert if new."""
    from datasketch import MinHash, MinHashLSH

    kept_for: dict[int, int] = {}
    with PeakMemory() as memory:
        started = time.perf_counter()
        lsh = MinHashLSH(threshold=threshold, num_perm=128)
        for row, text in enumerate(texts):
            signature = MinHash(num_perm=128)
            for shingle in shingles(WORD.findall(text.lower())):
                signature.update(shingle.encode("utf-8"))
            found = lsh.query(signature)
            if found:
                kept_for[row] = min(found)
            else:
                lsh.insert(row, signature)
        seconds = time.perf_counter() - started
    return seconds, kept_for, memory


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("size", nargs="?", type=int, default=50_000, help="conversations (default 50,000)")
    parser.add_argument("--reference", type=int, help="rows for datasketch (default: all, at most 50,000)")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--duplicates", type=float, default=0.3, help="share of rows that are copies")
    parser.add_argument("--alternatives", type=float, default=0.05, help="share of rows with a reused prompt")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="threads of the stage")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-quality", action="store_true", help="skip precision/recall (exact Jaccard is slow)"
    )
    args = parser.parse_args()
    reference_rows = min(args.size, args.reference if args.reference is not None else 50_000)

    started = time.perf_counter()
    corpus = generate(args.size, args.duplicates, args.alternatives, args.seed)
    megabytes = corpus.frame["messages"].estimated_size("mb")
    kinds = ", ".join(f"{count:,} {kind}" for kind, count in Counter(corpus.kind.tolist()).most_common())
    made = time.perf_counter() - started
    print(f"corpus: {args.size:,} conversations ({kinds}), {megabytes:,.0f} MB of text, made in {made:.0f} s")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
        f"python {platform.python_version()}, numpy {np.__version__}, polars {pl.__version__}; "
        f"stage threads {args.workers}"
    )

    subset = corpus.frame.head(reference_rows)
    texts = [" ".join(m["content"] for m in messages) for messages in subset["messages"].to_list()]
    stage_seconds, stage_pairs, stage_memory = run_stage(subset, args.threshold, args.workers)
    reference_seconds, reference_pairs, reference_memory = run_reference(texts, args.threshold)
    del texts
    print(f"\nspeed on the first {reference_rows:,} rows (load average now {os.getloadavg()[0]:.2f})")
    print(f"{'method':<24}{'docs/s':>10}{'seconds':>10}{'peak RSS':>12}{'before':>10}")
    for name, seconds, memory in (
        ("curate dedup stage", stage_seconds, stage_memory),
        ("datasketch reference", reference_seconds, reference_memory),
    ):
        print(
            f"{name:<24}{reference_rows / seconds:>10,.0f}{seconds:>10.1f}"
            f"{memory.peak / 2**30:>9.2f} GB{memory.start / 2**30:>7.2f} GB"
        )
    print(f"ratio: {reference_seconds / stage_seconds:.1f}x")
    if not args.no_quality:
        methods = {"curate dedup stage": stage_pairs, "datasketch reference": reference_pairs}
        quality(corpus, reference_rows, args.threshold, methods)

    if args.size > reference_rows:
        del subset
        seconds, pairs, memory = run_stage(corpus.frame, args.threshold, args.workers)
        print(
            f"\nall {args.size:,} rows: stage {args.size / seconds:,.0f} docs/s, {seconds:.1f} s; "
            f"peak RSS {memory.peak / 2**30:.2f} GB ({memory.start / 2**30:.2f} GB before the stage, "
            f"holding the corpus); load average {os.getloadavg()[0]:.2f}"
        )
        if not args.no_quality:
            quality(corpus, args.size, args.threshold, {"curate dedup stage": pairs})


if __name__ == "__main__":
    main()
