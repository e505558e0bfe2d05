"""Signatures kept as one array per shard, read by row number over all of them.

A run's signatures (``4 * num_perm`` bytes a text) are mapped from the work folder, a shard's
each (``curate.executors.states``): ``decide`` reads the rows it compares, never all of
them at once, and gives each shard's pages back after reading (``curate.memory.release``),
so what it holds is the rows of one comparison chunk, whatever the input's size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from curate.dedup.arrays import U32, Int64s
from curate.memory import release


class StackedRows:
    """The rows of ``parts`` one after the other, as ``np.concatenate`` would give them."""

    def __init__(self, parts: Sequence[U32]) -> None:
        if not parts:
            raise ValueError("StackedRows needs at least one part (its width)")
        self.parts = list(parts)
        self.offsets = np.zeros(len(self.parts) + 1, dtype=np.int64)
        np.cumsum([part.shape[0] for part in self.parts], out=self.offsets[1:])
        self.shape: tuple[int, int] = (int(self.offsets[-1]), int(self.parts[0].shape[1]))

    @classmethod
    def of(cls, arrays: Sequence[U32 | StackedRows]) -> StackedRows:
        """``arrays`` one after the other (stacked ones are flattened, not nested)."""
        parts: list[U32] = []
        for array in arrays:
            parts.extend(array.parts if isinstance(array, StackedRows) else [array])
        return cls(parts)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Int64s) -> U32:
        rows = np.asarray(rows, dtype=np.int64)
        found = np.empty((rows.size, self.shape[1]), dtype=np.uint32)
        part_of = np.searchsorted(self.offsets, rows, side="right") - 1
        order = np.argsort(part_of, kind="stable")
        bounds = np.searchsorted(part_of[order], np.arange(len(self.parts) + 1))
        for part in np.flatnonzero(np.diff(bounds)).tolist():
            where = order[bounds[part] : bounds[part + 1]]
            found[where] = self.parts[part][rows[where] - self.offsets[part]]
            release(self.parts[part])
        return found


Signatures = U32 | StackedRows
"""Rows of signatures: an array, or shards' arrays read by row."""


def whole(signatures: Signatures) -> U32:
    """Every row in one array (for a few rows: an index being written or read)."""
    if isinstance(signatures, StackedRows):
        return signatures[np.arange(len(signatures), dtype=np.int64)]
    return signatures
