"""Sketch every conversation: exact keys and MinHash signatures of its prompt and its reply.

Rows go through in chunks (polars builds the normalised texts of a chunk), and each chunk's
texts through numpy in batches of about ``BATCH_BYTES``, so that the arrays of the
permutation loop stay in the CPU cache. Only the sketches are kept: 8 bytes of key and
``4 * num_perm`` bytes of signature per text, never a Python object per row.

The whole conversation is not sketched again: its signature is the element-wise minimum of
the prompt's and the reply's (the MinHash of the union of their shingles, which misses only
the ``n - 1`` shingles that would straddle the cut), and its key combines theirs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from curate.dedup import text
from curate.dedup.arrays import U32, U64, Bools, Int64s
from curate.dedup.exact import SetTable
from curate.dedup.hashing import PowerTable, mix64
from curate.dedup.minhash import Permutations, signatures
from curate.dedup.shingles import TextBatch, shingle_hashes
from curate.dedup.stacked import Signatures, StackedRows

CHUNK_ROWS: Final = 8_192
BATCH_BYTES: Final = 1 << 20
PARTS: Final = ("prompt", "reply")


@dataclass(frozen=True)
class SketchSettings:
    """How texts become signatures; equal settings give comparable signatures."""

    num_perm: int
    seed: int
    shingle: text.Shingle
    ngram: int
    char_ngram: int


@dataclass(frozen=True)
class Sketch:
    """Exact keys, signatures and shingle modes of one text per row, in row order."""

    keys: U64
    signatures: Signatures
    """An array, or (summaries of a run's shards together) each shard's, read by row."""
    has_shingles: Bools
    char_mode: Bools

    @classmethod
    def allocate(cls, rows: int, num_perm: int) -> Sketch:
        return cls(
            keys=np.zeros(rows, np.uint64),
            signatures=np.zeros((rows, num_perm), np.uint32),
            has_shingles=np.zeros(rows, bool),
            char_mode=np.zeros(rows, bool),
        )

    def take(self, rows: Int64s) -> Sketch:
        return Sketch(self.keys[rows], self.signatures[rows], self.has_shingles[rows], self.char_mode[rows])

    @classmethod
    def concat(cls, sketches: Sequence[Sketch]) -> Sketch:
        """The rows of ``sketches`` one after the other; the signatures stay where they are."""
        return cls(
            keys=np.concatenate([sketch.keys for sketch in sketches]),
            signatures=StackedRows.of([sketch.signatures for sketch in sketches]),
            has_shingles=np.concatenate([sketch.has_shingles for sketch in sketches]),
            char_mode=np.concatenate([sketch.char_mode for sketch in sketches]),
        )


@dataclass(frozen=True)
class ConversationSketch:
    """The prompt and reply sketches of every row."""

    prompt: Sketch
    reply: Sketch

    @property
    def whole_keys(self) -> U64:
        """Equal exactly when both the prompts and the replies are equal."""
        return mix64(self.prompt.keys ^ mix64(self.reply.keys + np.uint64(0x632BE59BD9B4E019)))

    @property
    def has_shingles(self) -> Bools:
        return self.prompt.has_shingles | self.reply.has_shingles

    def take(self, rows: Int64s) -> ConversationSketch:
        return ConversationSketch(self.prompt.take(rows), self.reply.take(rows))

    @classmethod
    def concat(cls, sketches: Sequence[ConversationSketch]) -> ConversationSketch:
        """The rows of ``sketches`` one after the other."""
        return cls(
            prompt=Sketch.concat([sketch.prompt for sketch in sketches]),
            reply=Sketch.concat([sketch.reply for sketch in sketches]),
        )


class Sketcher:
    """Computes sketches with fixed settings; ``workers`` threads share the numpy work."""

    def __init__(self, settings: SketchSettings, workers: int = 1) -> None:
        self.settings = settings
        self.workers = max(1, workers)
        self.permutations = Permutations.from_seed(settings.num_perm, settings.seed)
        self.powers = PowerTable()

    def sketch(self, frame: pl.DataFrame) -> ConversationSketch:
        rows = frame.height
        found = {part: Sketch.allocate(rows, self.settings.num_perm) for part in PARTS}
        with ThreadPoolExecutor(self.workers) as pool:
            for start in range(0, rows, CHUNK_ROWS):
                chunk = frame.slice(start, CHUNK_ROWS)
                texts = self._texts(chunk)
                for part in PARTS:
                    self._fill(pool, texts, part, found[part], start)
        return ConversationSketch(prompt=found["prompt"], reply=found["reply"])

    def shingle_sets(self, frame: pl.DataFrame) -> Iterator[tuple[SetTable, SetTable]]:
        """Sorted distinct shingle hashes of each row's prompt and reply, a chunk of rows at a
        time (for exact Jaccard of candidate rows, so no signature here)."""
        for start in range(0, frame.height, CHUNK_ROWS):
            texts = self._texts(frame.slice(start, CHUNK_ROWS))
            tables = []
            for part in PARTS:
                char_mode, ngram, batch = self._shingle_input(texts, part)
                found = [
                    shingle_hashes(
                        _slice(batch, low, high), char_mode[low:high], ngram[low:high], self.powers
                    )
                    for low, high in _byte_batches(batch.offsets)
                ]
                values = np.concatenate([values for values, _ in found]) if found else np.zeros(0, np.uint32)
                counts = np.concatenate([counts for _, counts in found]) if found else np.zeros(0, np.int64)
                tables.append(SetTable.from_runs(values, counts))
            yield tables[0], tables[1]

    def _shingle_input(self, texts: pl.DataFrame, part: str) -> tuple[Bools, Int64s, TextBatch]:
        """Shingle modes, n-gram sizes and bytes of one part of a chunk's texts."""
        char_mode = texts[f"{part}_char"].to_numpy().astype(bool)
        ngram = np.where(char_mode, self.settings.char_ngram, self.settings.ngram).astype(np.int64)
        batch = TextBatch.from_arrow(texts[f"{part}_shingle"].to_arrow())
        # Grown here, between batches: worker threads only ever read the table.
        self.powers.ensure(int(np.diff(batch.offsets).max(initial=0)) + BATCH_BYTES + 1)
        return char_mode, ngram, batch

    def _texts(self, chunk: pl.DataFrame) -> pl.DataFrame:
        """Per row and part: the exact text, the shingle mode and the shingle text."""
        language = pl.col("language") if "language" in chunk.columns else pl.lit(None, pl.String)
        messages = pl.col("messages")
        staged = chunk.select(
            text.normalized_messages(messages).alias("messages"), language.alias("language")
        )
        staged = staged.select(
            text.prompt_of(messages).alias("prompt"), text.reply_of(messages).alias("reply"), "language"
        )
        staged = staged.select(
            *[text.exact_text(pl.col(part)).alias(f"{part}_exact") for part in PARTS],
            *[text.token_text(pl.col(part)).alias(f"{part}_tokens") for part in PARTS],
            "language",
        )
        staged = staged.with_columns(
            text.char_mode(pl.col(f"{part}_tokens"), pl.col("language"), self.settings.shingle).alias(
                f"{part}_char"
            )
            for part in PARTS
        )
        return staged.with_columns(
            text.shingle_text(pl.col(f"{part}_tokens"), pl.col(f"{part}_char")).alias(f"{part}_shingle")
            for part in PARTS
        )

    def _fill(
        self, pool: ThreadPoolExecutor, texts: pl.DataFrame, part: str, into: Sketch, base: int
    ) -> None:
        exact = TextBatch.from_arrow(texts[f"{part}_exact"].to_arrow())
        stop = base + texts.height
        into.keys[base:stop] = np.asarray(text.exact_keys(exact.data.data, exact.offsets.tolist()), np.uint64)
        char_mode, ngram, batch = self._shingle_input(texts, part)
        into.char_mode[base:stop] = char_mode
        ranges = list(_byte_batches(batch.offsets))
        jobs = [
            pool.submit(self._signatures, _slice(batch, low, high), char_mode[low:high], ngram[low:high])
            for low, high in ranges
        ]
        signatures = into.signatures
        assert isinstance(signatures, np.ndarray)  # allocated by ``sketch``
        for (low, high), job in zip(ranges, jobs, strict=True):
            found, present = job.result()
            signatures[base + low : base + high] = found
            into.has_shingles[base + low : base + high] = present

    def _signatures(self, batch: TextBatch, char_mode: Bools, ngram: Int64s) -> tuple[U32, Bools]:
        hashes, counts = shingle_hashes(batch, char_mode, ngram, self.powers)
        return signatures(hashes, counts, self.permutations), counts > 0


def _byte_batches(offsets: Int64s) -> Iterator[tuple[int, int]]:
    """Consecutive row ranges of about ``BATCH_BYTES`` each (a longer row goes alone)."""
    rows = offsets.size - 1
    low = 0
    while low < rows:
        high = int(np.searchsorted(offsets, offsets[low] + BATCH_BYTES, side="right")) - 1
        high = min(max(high, low + 1), rows)
        yield low, high
        low = high


def _slice(batch: TextBatch, low: int, high: int) -> TextBatch:
    start, end = int(batch.offsets[low]), int(batch.offsets[high])
    return TextBatch(data=batch.data[start:end], offsets=batch.offsets[low : high + 1] - start)
