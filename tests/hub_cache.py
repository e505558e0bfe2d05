"""A local Hub cache laid out as ``huggingface_hub`` lays it out, for offline Hub tests.

``HubCache(root).add(repo, files, sha=..., refs=...)`` writes, under ``root``::

    datasets--ORG--NAME/
      blobs/<etag>                   each file's bytes, named by its ETag
      snapshots/<sha>/<path>         a relative symbolic link to the blob
      refs/<revision>                the commit a branch or tag names

The ETag is what the Hub gives: an LFS file's SHA-256 (Parquet and compressed files here), a
small file's git blob id (SHA-1 of ``blob <size>\\0`` and the bytes) otherwise.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

LFS_SUFFIXES = (".parquet", ".gz", ".zst")


def etag_of(path: str, data: bytes) -> str:
    if path.endswith(LFS_SUFFIXES):
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's blob id


class HubCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, repo: str) -> Path:
        return self.root / ("datasets--" + repo.replace("/", "--"))

    def add(
        self, repo: str, files: dict[str, bytes], *, sha: str = "a" * 40, refs: tuple[str, ...] = ("main",)
    ) -> str:
        """Cache ``files`` (path in repo -> bytes) as commit ``sha`` of dataset ``repo``; return ``sha``."""
        folder = self.folder(repo)
        for path, data in files.items():
            blob = folder / "blobs" / etag_of(path, data)
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(data)
            link = folder / "snapshots" / sha / path
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(os.path.relpath(blob, link.parent))
        for ref in refs:
            (folder / "refs" / ref).parent.mkdir(parents=True, exist_ok=True)
            (folder / "refs" / ref).write_text(sha)
        return sha
