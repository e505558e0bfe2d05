"""A release's dedup index as datasketch objects: ``to_datasketch``.

A run with a ``dedup`` stage writes ``dedup/index.parquet``: MinHash signatures of the rows
it released. ``to_datasketch`` inserts them, one ``LeanMinHash`` per row, into a datasketch
``MinHashLSH`` banded as the dedup stage bands them (the same bands x rows for a threshold,
the same signature slots), so that datasketch nominates the pairs curate nominates.

The signatures are curate's: its permutations come from the index's seed, not from
datasketch's generator, so a ``MinHash`` that datasketch computes from the same text would
not match them. Query the LSH with the ``LeanMinHash`` objects of another index written with
the same settings (``IndexSettings``: num_perm, seed, shingle, ngram, char_ngram), or of
this one.

With ``storage_config`` the LSH lives in datasketch's Redis storage instead of memory, so one
index can gather release after release and outlive the process that built it. Give it a
fixed ``basename`` (every call with that basename adds to the same data) and each release a
key ``prefix``::

    to_datasketch(
        "out/v1",
        storage_config={"type": "redis", "basename": b"chat-prompts",
                        "redis": {"host": "localhost", "port": 6379}},
        prefix="v1/",
    )
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np

from curate.dedup.arrays import U32, Bools
from curate.dedup.index import DedupIndexError, ReleaseIndex, locate, read_index
from curate.dedup.minhash import VERIFIED_WEIGHTS, lsh_parameters, random_state_kept
from curate.dedup.stacked import whole

if TYPE_CHECKING:
    from datasketch import LeanMinHash, MinHashLSH

Which = Literal["prompt", "reply", "conversation"]
DEFAULT_THRESHOLD = 0.8
"""The dedup stage's default: an index does not record the threshold of the run that wrote it."""
SCHEME = "affine32"
"""datasketch's name for 32-bit signatures under affine permutations ``a * x + b`` mod 2**32,
``a`` odd: the family curate's signatures use (``curate.dedup.minhash``)."""


@dataclass(frozen=True)
class DatasketchIndex:
    """What ``to_datasketch`` built: the LSH, its MinHashes, and the rows left out."""

    lsh: MinHashLSH
    minhashes: dict[str, LeanMinHash]
    """The ``LeanMinHash`` inserted under each key (``<prefix><source>:<id>``)."""
    without_shingles: list[str]
    """Keys of rows whose text has no shingle (too short, or empty): not inserted, as the
    dedup stage never bands them either."""
    threshold: float
    bands: int
    rows: int


def to_datasketch(
    index_path: str | Path,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    which: Which = "prompt",
    params: tuple[int, int] | None = None,
    storage_config: Mapping[str, Any] | None = None,
    prefix: str = "",
) -> DatasketchIndex:
    """A datasketch ``MinHashLSH`` of a release's ``dedup/index.parquet``.

    Parameters
    ----------
    index_path
        An output folder of a run with a ``dedup`` stage, or its ``dedup/index.parquet``.
    threshold
        The Jaccard similarity to find; bands x rows are derived from it as the dedup stage
        derives them. The index does not record the run's threshold: the default is the
        stage's default.
    which
        The signature to index: the ``prompt`` (the messages before the final assistant
        turn), the ``reply`` (the rest), or the whole ``conversation`` (what ``dedup:
        {against: ...}`` matches).
    params
        Bands and rows, for a run that set the stage's expert ``bands`` and ``rows``.
    storage_config
        Passed to ``MinHashLSH`` unchanged: ``None`` keeps the LSH in memory; a
        ``{"type": "redis", ...}`` configuration keeps it in Redis (see the module docstring).
    prefix
        Put before every key, so that releases sharing one stored LSH keep distinct keys.

    Raises
    ------
    DedupIndexError
        No index at ``index_path``, a file curate did not write, bands or rows datasketch
        cannot use, or a key the LSH already holds.

    Examples
    --------
    >>> found = to_datasketch("out/demo-dpo", 0.8)  # doctest: +SKIP
    >>> (found.bands, found.rows)  # doctest: +SKIP
    (14, 9)
    >>> key, minhash = next(iter(found.minhashes.items()))  # doctest: +SKIP
    >>> key in found.lsh.query(minhash)  # doctest: +SKIP
    True
    """
    import datasketch  # here, not at import: it imports scipy (see ``lsh_parameters``)

    if which not in get_args(Which):
        raise ValueError(f"which must be one of {', '.join(get_args(Which))}, not {which!r}")
    path = locate(Path(index_path))
    index = read_index(path)
    num_perm = index.settings.num_perm
    bands, rows = _bands_and_rows(path, threshold, num_perm, params)
    signatures, present = _signatures(index, which)
    keys = [f"{prefix}{source or ''}:{id}" for source, id in zip(index.sources, index.ids, strict=True)]
    config = dict(storage_config) if storage_config is not None else None
    with random_state_kept():
        lsh = datasketch.MinHashLSH(num_perm=num_perm, params=(bands, rows), storage_config=config)
    minhashes: dict[str, LeanMinHash] = {}
    with lsh.insertion_session() as session:
        for row in np.flatnonzero(present).tolist():
            key = keys[row]
            minhash = datasketch.LeanMinHash(
                seed=index.settings.seed, hashvalues=signatures[row], scheme=SCHEME
            )
            try:
                session.insert(key, minhash)
            except ValueError as exc:  # a key it holds: another release, or the same one again
                raise DedupIndexError(
                    f"{path}: datasketch refused the row {key!r} ({exc}); each release that shares "
                    "a stored LSH needs its own `prefix`"
                ) from exc
            minhashes[key] = minhash
    left_out = [keys[row] for row in np.flatnonzero(~present).tolist()]
    return DatasketchIndex(lsh, minhashes, left_out, threshold, bands, rows)


def _bands_and_rows(
    path: Path, threshold: float, num_perm: int, params: tuple[int, int] | None
) -> tuple[int, int]:
    """The dedup stage's bands x rows, or ``params``, checked against what datasketch accepts."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    bands, rows = params if params is not None else lsh_parameters(threshold, num_perm, VERIFIED_WEIGHTS)
    if bands < 2 or rows < 1 or bands * rows > num_perm:
        chosen = "given" if params is not None else f"derived from threshold {threshold}"
        raise DedupIndexError(
            f"{path}: {bands} bands x {rows} rows ({chosen}) do not fit datasketch's MinHashLSH, "
            f"which needs at least 2 bands of at least one row within num_perm = {num_perm}; "
            "lower the threshold or pass `params`"
        )
    return bands, rows


def _signatures(index: ReleaseIndex, which: Which) -> tuple[U32, Bools]:
    """Signatures of one part of every row, and which rows have shingles there."""
    prompt, reply = index.sketch.prompt, index.sketch.reply
    if which == "prompt":
        return whole(prompt.signatures), prompt.has_shingles
    if which == "reply":
        return whole(reply.signatures), reply.has_shingles
    # The MinHash of a union of shingle sets is the element-wise minimum of theirs.
    return np.minimum(whole(prompt.signatures), whole(reply.signatures)), index.sketch.has_shingles
