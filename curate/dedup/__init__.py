"""Near-duplicate detection: shingles, MinHash signatures, LSH banding, clusters, release indexes.

Owns the mechanics behind the ``dedup`` stage (``curate.stages.dedup``) and the MinHash
search of ``decontaminate``: texts to shingle hashes (``text``, ``shingles``), signatures
(``minhash``, ``sketch``), candidate pairs and clusters (``clusters``, ``decide``), exact
Jaccard (``exact``), and the ``dedup/index.parquet`` of a release (``index``, ``export``).

It imports numpy, polars, pyarrow, xxhash, datasketch (lazily: it pulls in scipy), and from
curate only ``curate.errors`` and ``curate.writers.atomic``; stages import it, never the
reverse.

Public: ``to_datasketch`` (a release's index as a datasketch ``MinHashLSH``), what it
returns, and ``DedupIndexError``.
"""

from __future__ import annotations

from curate.dedup.export import DatasketchIndex, to_datasketch
from curate.dedup.index import DedupIndexError

__all__ = ["DatasketchIndex", "DedupIndexError", "to_datasketch"]
