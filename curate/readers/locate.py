"""Where an input's records are: local files, remote files, or a Hub dataset at one commit.

``locate`` resolves an input once, before any record is read, into the files to read in
order (``Located``): local paths (``discovery.files_of``), files behind a URL
(``remote.list_remote``), or the files of a Hub repository at one commit (``hub``). The run's
key, the manifest and the reading all use that one answer, so a branch that moves while a run
reads cannot mix two commits.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curate.errors import InputError, RemoteInputError
from curate.readers.discovery import files_of
from curate.readers.hub import Snapshot, matching, parse_hub_path, snapshot, split_files
from curate.readers.remote import RemoteFile, is_remote, list_remote, local_of, scheme_of

if TYPE_CHECKING:
    from curate.config import InputConfig

DataFile = Path | RemoteFile
"""A file to read: a local path (a file, or a saved-dataset folder), or a remote file."""


@dataclass(frozen=True)
class HubInput:
    """The Hub repository an input was read from, and the commit its revision resolved to."""

    repo: str
    revision: str
    sha: str
    config: str | None = None
    split: str | None = None

    def record(self) -> dict[str, Any]:
        """As the manifest keeps it (``InputHub``)."""
        found = {"config": self.config, "split": self.split}
        return {
            "repo": self.repo,
            "revision": self.revision,
            "sha": self.sha,
            **{key: value for key, value in found.items() if value is not None},
        }


@dataclass(frozen=True)
class Located:
    """The files of one input, in reading order, and the Hub commit they belong to."""

    files: tuple[DataFile, ...]
    base_dir: Path
    hub: HubInput | None = None
    _labels: dict[Path, str] = field(default_factory=dict, repr=False, compare=False)

    def label(self, file: DataFile) -> str:
        """How records of ``file`` name it: relative to the pipeline file's folder, or its public URL."""
        if isinstance(file, RemoteFile):
            return file.label
        if file not in self._labels:
            self._labels[file] = _relative(file, self.base_dir)
        return self._labels[file]

    def fingerprints(self) -> list[dict[str, Any]]:
        """Every file as the manifest records it (``InputFile``), in reading order."""
        return [
            file.fingerprint() if isinstance(file, RemoteFile) else fingerprint(file, self.label(file))
            for file in self.files
        ]

    def size(self) -> int:
        """Bytes of every file (a remote file whose size is unknown counts 0)."""
        total = 0
        for file in self.files:
            if isinstance(file, RemoteFile):
                total += file.size or 0
            else:
                members = file.rglob("*") if file.is_dir() else [file]
                total += sum(member.stat().st_size for member in members if member.is_file())
        return total


def locate(spec: InputConfig, base_dir: Path) -> Located:
    """The files ``spec`` names; ``InputError`` (``RemoteInputError`` for a remote input) when none."""
    if not spec.path:
        return _dataset(spec, base_dir)
    path = local_of(spec.path)
    if scheme_of(path) == "hf":
        return _hub_path(spec, path, base_dir)
    if is_remote(path):
        return Located(tuple(list_remote(path)), base_dir)
    paths = files_of(path, base_dir)
    if not paths:
        raise InputError(f"input {spec.name!r}: no file matches {spec.path!r}")
    return Located(tuple(paths), base_dir)


def hub_repo(spec: InputConfig) -> str:
    """The Hub repository a ``dataset:`` input reads: a known dataset's ``hub``, else the id as given."""
    from curate.licensing import registry

    name = spec.dataset or ""
    known = registry().find_source(name)
    return known.hub if known is not None else name


def _dataset(spec: InputConfig, base_dir: Path) -> Located:
    repo = hub_repo(spec)
    snap = snapshot(repo, spec.revision)
    split = spec.split or "train"
    files = split_files(snap, spec.config, split)
    hub = HubInput(repo, snap.revision, snap.sha, config=spec.config, split=split)
    return Located(tuple(snap.remote_file(file) for file in files), base_dir, hub)


def _hub_path(spec: InputConfig, path: str, base_dir: Path) -> Located:
    repo, revision, pattern = parse_hub_path(path)
    snap: Snapshot = snapshot(repo, revision or spec.revision)
    files = matching(snap.files, pattern)
    if not files:
        raise RemoteInputError(
            f"input {spec.name!r}: no data file of hf://datasets/{repo} at commit {snap.sha[:12]}"
            f" ({snap.revision}) matches {pattern or '<the whole repository>'!r}"
        )
    hub = HubInput(repo, snap.revision, snap.sha)
    return Located(tuple(snap.remote_file(file) for file in files), base_dir, hub)


def fingerprint(path: Path, label: str) -> dict[str, Any]:
    """Size and SHA-256 of a local file (of every file, for a saved-dataset folder)."""
    digest = hashlib.sha256()
    size = 0
    members = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    try:
        for member in members:
            with member.open("rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                    digest.update(block)
                    size += len(block)
    except OSError as exc:
        # The read already rejected it as unreadable_file; the manifest says why it has no hash.
        return {
            "path": label,
            "bytes": size,
            "sha256": None,
            "error": f"{type(exc).__name__}: {exc.strerror}",
        }
    return {"path": label, "bytes": size, "sha256": digest.hexdigest()}


def _relative(path: Path, base_dir: Path) -> str:
    """The path as the pipeline file would write it: relative to the file's folder."""
    return Path(os.path.relpath(path.resolve(), base_dir.resolve())).as_posix()
