"""Find evaluation texts inside prompts: long n-gram overlap, or MinHash similarity.

Both work on lower-cased word tokens (``\\w+``, Unicode-aware), so case, punctuation and
spacing do not hide a copy.

- ``NgramIndex`` finds an evaluation text pasted anywhere in a longer prompt: a prompt
  matches a text when it contains at least ``min_matches`` of the text's word n-grams
  (13-grams by default, as in GPT-3's and Tulu's decontamination). Texts shorter than ``n``
  words are one n-gram of their own length; texts shorter than ``min_words`` are skipped.
  Prompts are hashed in one vectorised pass, and every hash hit is confirmed word by word.
- ``MinHashIndex`` finds prompts that are near-duplicates of a whole evaluation text
  (estimated Jaccard similarity of word shingles), which a long prompt quoting a short
  question is not: use n-grams for containment. Shingles, signatures and the LSH lookup
  are ``curate.dedup``'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from curate.decontamination.evalsets import EvalText
from curate.dedup.clusters import NO_GROUP, Sketches
from curate.dedup.hashing import PowerTable, splitmix_stream
from curate.dedup.index import match_release
from curate.dedup.minhash import Permutations, lsh_parameters, signatures
from curate.dedup.shingles import TextBatch, shingle_hashes
from curate.dedup.text import exact_keys, shingle_text

TOKEN = r"\w+"
CHUNK_ROWS = 20_000
MINHASH_SEED = 1
BATCH_BYTES = 1 << 20
_MULTIPLIERS = splitmix_stream(20240613, 64) | np.uint64(1)
"""Odd 64-bit multipliers of the word n-gram hash, one per position in the window."""


@dataclass(frozen=True)
class Match:
    """The evaluation text a prompt overlaps most, and by how much."""

    text: int
    """Index into the evaluation texts."""
    score: float
    detail: str


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased word tokens of each text."""
    series = pl.Series(texts, dtype=pl.String).str.to_lowercase().str.extract_all(TOKEN)
    return [tokens or [] for tokens in series.to_list()]


def _window_hashes(ids: np.ndarray, k: int) -> np.ndarray:
    """A 64-bit hash of every window of ``k`` token ids (``len(ids) - k + 1`` of them)."""
    count = len(ids) - k + 1
    values = ids.astype(np.uint64) + np.uint64(1)
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(k):
        hashes += values[offset : offset + count] * _MULTIPLIERS[offset]
    return hashes


class NgramIndex:
    """The word n-grams of evaluation texts, searched for in prompts."""

    def __init__(self, texts: list[EvalText], n: int = 13, min_words: int = 8, min_matches: int = 1) -> None:
        if n > len(_MULTIPLIERS):
            raise ValueError(f"n-grams longer than {len(_MULTIPLIERS)} words are not supported")
        self.n = n
        self.min_matches = min_matches
        tokens = tokenize([text.text for text in texts])
        self.vocabulary = {
            word: number for number, word in enumerate(sorted({w for ws in tokens for w in ws}))
        }
        self.totals = [0] * len(texts)
        self.skipped = 0
        # window length -> hash -> (the window's token ids, the texts that contain it)
        self.grams: dict[int, dict[int, tuple[tuple[int, ...], list[int]]]] = defaultdict(dict)
        for position, words in enumerate(tokens):
            if len(words) < min_words:
                self.skipped += 1
                continue
            k = min(n, len(words))
            ids = np.array([self.vocabulary[word] for word in words], dtype=np.int64)
            seen = set()
            for start, value in enumerate(_window_hashes(ids, k).tolist()):
                window = tuple(ids[start : start + k].tolist())
                if window in seen:
                    continue
                seen.add(window)
                entry = self.grams[k].setdefault(value, (window, []))
                if entry[0] == window and position not in entry[1]:
                    entry[1].append(position)
            self.totals[position] = len(seen)
        self.keys = {k: np.array(sorted(grams), dtype=np.uint64) for k, grams in self.grams.items()}

    def search(self, prompts: list[str]) -> list[Match | None]:
        """For each prompt, the evaluation text it overlaps most (``None`` when none enough)."""
        matches: list[Match | None] = []
        for start in range(0, len(prompts), CHUNK_ROWS):
            matches.extend(self._search_chunk(prompts[start : start + CHUNK_ROWS]))
        return matches

    def _search_chunk(self, prompts: list[str]) -> list[Match | None]:
        ids, rows = self._token_ids(prompts)
        unknown = np.concatenate([[0], np.cumsum(ids < 0)])
        values = np.maximum(ids, 0).astype(np.uint64) + np.uint64(1)
        found: dict[int, dict[int, set[tuple[int, int]]]] = defaultdict(lambda: defaultdict(set))
        # Window hashes grow one word at a time, so every window length costs one pass.
        hashes = np.zeros(len(ids), dtype=np.uint64)
        for k in range(1, max(self.keys, default=0) + 1):
            count = len(ids) - k + 1
            if count <= 0:
                break
            hashes = hashes[:count] + values[k - 1 : k - 1 + count] * _MULTIPLIERS[k - 1]
            keys = self.keys.get(k)
            if keys is None:
                continue
            starts = np.flatnonzero((rows[:count] == rows[k - 1 :]) & (unknown[k:] == unknown[:count]))
            candidates = hashes[starts]
            slots = np.minimum(np.searchsorted(keys, candidates), len(keys) - 1)
            for position in starts[keys[slots] == candidates].tolist():
                value = int(hashes[position])
                window, texts = self.grams[k][value]
                if tuple(ids[position : position + k].tolist()) != window:
                    continue
                for text in texts:
                    found[int(rows[position])][text].add((k, value))
        return [self._best(found.get(row)) for row in range(len(prompts))]

    def _token_ids(self, prompts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        frame = (
            pl.DataFrame(
                {"token": pl.Series(prompts, dtype=pl.String).str.to_lowercase().str.extract_all(TOKEN)}
            )
            .with_row_index("row")
            .explode("token")
            .drop_nulls("token")
        )
        ids = frame["token"].replace_strict(
            list(self.vocabulary), list(self.vocabulary.values()), default=-1, return_dtype=pl.Int64
        )
        return ids.to_numpy(), frame["row"].to_numpy()

    def _best(self, texts: dict[int, set[tuple[int, int]]] | None) -> Match | None:
        if not texts:
            return None
        best = None
        for text, grams in texts.items():
            matched, total = len(grams), self.totals[text]
            if matched < min(self.min_matches, total):
                continue
            key = (-matched / total, -matched, text)
            if best is None or key < best[0]:
                best = (key, Match(text, matched / total, f"{matched} of {total} word n-grams (n={self.n})"))
        return best[1] if best else None


class MinHashIndex:
    """MinHash signatures of evaluation texts, queried by LSH at a Jaccard ``threshold``.

    The mechanics are dedup's (``curate.dedup``): shingles hashed straight from the bytes of
    the word tokens, signatures computed a batch at a time, LSH band hashes, and the lookup
    of a release's rows that names each prompt's best match. The bands x rows are the ones
    datasketch's ``MinHashLSH`` picks for the threshold.
    """

    def __init__(self, texts: list[EvalText], threshold: float = 0.8, num_perm: int = 128, shingle: int = 5):
        self.threshold = threshold
        self.shingle = shingle
        self.lsh = lsh_parameters(threshold, num_perm)
        self.permutations = Permutations.from_seed(num_perm, MINHASH_SEED)
        self.powers = PowerTable()
        self.texts = self._sketches(_shingle_spans([text.text for text in texts]))

    def search(self, prompts: list[str]) -> list[Match | None]:
        matches: list[Match | None] = [None] * len(prompts)
        spans = _shingle_spans(prompts)
        for low, high in _byte_ranges(spans):
            query = self._sketches(spans.slice(low, high - low))
            rows = np.flatnonzero(query.has_shingles).astype(np.int64)
            found = match_release(self.texts, query, rows, self.threshold)
            for row, text, similarity in zip(
                found.rows.tolist(), found.matches.tolist(), found.similarity.tolist(), strict=True
            ):
                matches[low + row] = Match(text, similarity, f"MinHash Jaccard ~{similarity:.2f}")
        return matches

    def _sketches(self, spans: pl.Series) -> Sketches:
        """Exact keys and signatures of texts given as ``_shingle_spans``."""
        batch = TextBatch.from_arrow(spans.to_arrow())
        size = batch.size
        self.powers.ensure(batch.data.size + 1)
        hashes, counts = shingle_hashes(
            batch, np.zeros(size, dtype=bool), np.full(size, self.shingle, dtype=np.int64), self.powers
        )
        return Sketches.build(
            keys=np.asarray(exact_keys(batch.data.data, batch.offsets.tolist()), dtype=np.uint64),
            parts=(signatures(hashes, counts, self.permutations),),
            has_shingles=counts > 0,
            groups=np.full(size, NO_GROUP, dtype=np.int64),
            lsh=self.lsh,
        )


def _shingle_spans(texts: list[str]) -> pl.Series:
    """The lower-cased word tokens of each text, as ``curate.dedup.shingles`` reads them."""
    words = pl.col("text").str.to_lowercase().str.extract_all(TOKEN).list.join(" ").fill_null("")
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.String})
    return frame.select(shingle_text(words, pl.lit(False))).to_series()


def _byte_ranges(spans: pl.Series) -> Iterator[tuple[int, int]]:
    """Consecutive row ranges of about ``BATCH_BYTES`` each (a longer text goes alone), so the
    per-byte arrays of shingle hashing stay small."""
    ends = spans.str.len_bytes().cast(pl.Int64).cum_sum().to_numpy()
    low = 0
    while low < ends.size:
        before = int(ends[low - 1]) if low else 0
        high = max(int(np.searchsorted(ends, before + BATCH_BYTES, side="right")), low + 1)
        yield low, high
        low = high
