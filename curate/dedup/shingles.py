"""Shingle hashes of many texts at once, straight from their UTF-8 bytes.

Building n-gram strings in Python costs ~170 us per document, more than a whole signature,
so nothing here makes a string. The texts of a batch arrive concatenated in one arrow
buffer, already normalised by ``curate.dedup.text``:

- word mode: lower case, only letters, digits and marks, one space after every word;
- character mode (scripts written without spaces): the same without any space.

A shingle is the byte span of ``n`` consecutive tokens (words, or characters). Its hash is a
polynomial over the span's bytes, read off one prefix sum of the whole batch in O(1)::

    H(span) = (prefix[end] - prefix[start]) * base**-start     (mod 2**64)

where ``prefix[i]`` sums ``byte[j] * base**j`` over ``j < i``.

so the work is a few passes over the bytes plus a few over the windows, whatever ``n`` is.
A text with fewer than ``n`` tokens gives one shingle, the whole text; an empty text gives
none (only exact matching applies to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa

from curate.dedup.arrays import U8, U32, Bools, Int64s
from curate.dedup.hashing import PowerTable, mix64

SPACE: Final = 0x20
CONTINUATION_MASK: Final = 0xC0
CONTINUATION: Final = 0x80
SHINGLE_SALT: Final = 0x5D1C_0DE5_7A11_0001


@dataclass(frozen=True)
class TextBatch:
    """Concatenated UTF-8 bytes of some texts and where each text starts and ends."""

    data: U8
    offsets: Int64s

    @classmethod
    def from_arrow(cls, texts: pa.Array | pa.ChunkedArray) -> TextBatch:
        """Borrow the byte buffer of an arrow string array (no copy for one large_string chunk)."""
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
        if texts.type != pa.large_string():
            texts = texts.cast(pa.large_string())
        if texts.null_count:
            texts = texts.fill_null("")
        _, offsets_buffer, data_buffer = texts.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
        start, end = int(offsets[0]), int(offsets[-1])
        data = (
            np.frombuffer(data_buffer, dtype=np.uint8)[start:end]
            if data_buffer is not None
            else np.zeros(0, np.uint8)
        )
        return cls(data=data, offsets=offsets - start)

    @property
    def size(self) -> int:
        return int(self.offsets.size - 1)


def token_starts(batch: TextBatch, char_mode: Bools) -> Int64s:
    """Byte positions where a token begins: a word after a space, or any character."""
    data = batch.data
    if data.size == 0:
        return np.zeros(0, np.int64)
    lead = (data & CONTINUATION_MASK) != CONTINUATION
    if char_mode.all():
        return np.flatnonzero(lead)
    after_space = np.empty(data.size, dtype=bool)
    after_space[0] = True
    np.equal(data[:-1], SPACE, out=after_space[1:])
    text_starts = offsets_within(batch)
    after_space[text_starts] = True
    starts = after_space & (data != SPACE)
    if char_mode.any():
        per_byte = np.repeat(char_mode, np.diff(batch.offsets))
        starts = np.where(per_byte, lead, starts)
    return np.flatnonzero(starts)


def offsets_within(batch: TextBatch) -> Int64s:
    """Start positions of the non-empty texts."""
    starts = batch.offsets[:-1]
    return starts[np.diff(batch.offsets) > 0]


def shingle_hashes(
    batch: TextBatch, char_mode: Bools, ngram: Int64s, powers: PowerTable
) -> tuple[U32, Int64s]:
    """32-bit hashes of the shingles of every text, and how many each text has.

    ``char_mode`` and ``ngram`` give, per text, the token kind and the n-gram size.
    ``powers`` must hold at least ``batch.data.size + 1`` entries (``PowerTable.ensure``
    before sharing it between threads).
    """
    data, offsets = batch.data, batch.offsets
    starts = token_starts(batch, char_mode)
    tokens = np.diff(np.searchsorted(starts, offsets))
    windows = np.where(tokens > 0, np.maximum(tokens - ngram + 1, 1), 0)
    total = int(windows.sum())
    if total == 0:
        return np.zeros(0, np.uint32), windows
    prefix = np.empty(data.size + 1, dtype=np.uint64)
    prefix[0] = 0
    # Normalised text holds no NUL byte, so every byte counts in the polynomial as it is.
    terms = np.multiply(data, powers.forward[: data.size], dtype=np.uint64)
    np.cumsum(terms, out=prefix[1:])

    first_token = np.cumsum(tokens) - tokens
    first_window = np.cumsum(windows) - windows
    window_text = np.repeat(np.arange(batch.size, dtype=np.int64), windows)
    token = first_token[window_text] + (np.arange(total, dtype=np.int64) - first_window[window_text])
    begin = starts[token]
    past = token + ngram[window_text]
    last_token = first_token[window_text] + tokens[window_text]
    inside = past < last_token
    end = np.where(inside, starts[np.minimum(past, starts.size - 1)], offsets[window_text + 1])
    spans = (prefix[end] - prefix[begin]) * powers.inverse[begin]
    return (mix64(spans ^ np.uint64(SHINGLE_SALT)) >> np.uint64(32)).astype(np.uint32), windows
