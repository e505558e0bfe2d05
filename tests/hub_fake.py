"""A stand-in for ``huggingface_hub.HfApi`` that keeps a dataset repo as local folders.

Each branch (and each pull request, ``refs/pr/N``) is a folder under the repo's root. Commits
are worked out as ``HfApi.upload_folder`` works them out, with huggingface_hub's own pattern
filter and commit operation classes: remote files matching ``delete_patterns`` are deleted
unless the upload brings them again, and local files passing ``allow_patterns`` /
``ignore_patterns`` are added or overwritten. The operations are recorded, then applied.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub.utils import filter_repo_objects

MAIN = "main"


@dataclass(frozen=True)
class Commit:
    repo_id: str
    branch: str
    message: str | None
    operations: list[CommitOperationAdd | CommitOperationDelete]

    @property
    def deleted(self) -> list[str]:
        return [op.path_in_repo for op in self.operations if isinstance(op, CommitOperationDelete)]

    @property
    def added(self) -> list[str]:
        return [op.path_in_repo for op in self.operations if isinstance(op, CommitOperationAdd)]


class FolderHub:
    """Dataset repos as folders: ``root/<org>/<name>/<branch>/...``; every call is recorded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.commits: list[Commit] = []

    def branch(self, repo_id: str, name: str = MAIN) -> Path:
        return self.root / repo_id / name

    def create_repo(self, repo_id: str, **options: Any) -> str:
        self.calls.append(("create_repo", (repo_id,), options))
        self.branch(repo_id).mkdir(parents=True, exist_ok=True)
        return f"https://huggingface.co/datasets/{repo_id}"

    def create_branch(self, repo_id: str, **options: Any) -> None:
        self.calls.append(("create_branch", (repo_id,), options))
        target = self.branch(repo_id, options["branch"])
        if not target.exists():
            shutil.copytree(self.branch(repo_id), target)

    def upload_folder(self, **options: Any) -> SimpleNamespace:
        self.calls.append(("upload_folder", (), options))
        repo_id, folder = options["repo_id"], Path(options["folder_path"])
        create_pr = bool(options.get("create_pr"))
        base = self.branch(repo_id, MAIN if create_pr else options.get("revision") or MAIN)
        if not base.is_dir():
            raise ValueError(f"revision {base.name} not found")  # HfApi raises RevisionNotFoundError
        local = _files(folder)
        added = list(
            filter_repo_objects(
                local,
                allow_patterns=options.get("allow_patterns"),
                ignore_patterns=options.get("ignore_patterns"),
            )
        )
        patterns = options.get("delete_patterns")
        stale = list(filter_repo_objects(_files(base), allow_patterns=patterns)) if patterns else []
        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            CommitOperationDelete(path_in_repo=path) for path in stale if path not in added
        ]
        operations += [
            CommitOperationAdd(path_in_repo=path, path_or_fileobj=str(folder / path)) for path in added
        ]
        target = base
        if create_pr:
            number = 1 + sum(1 for path in (self.root / repo_id).glob("refs/pr/*"))
            target = self.branch(repo_id, f"refs/pr/{number}")
            shutil.copytree(base, target)
        for operation in operations:
            path = target / operation.path_in_repo
            if isinstance(operation, CommitOperationDelete):
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / operation.path_in_repo, path)
        self.commits.append(
            Commit(
                repo_id,
                target.relative_to(self.root / repo_id).as_posix(),
                options.get("commit_message"),
                operations,
            )
        )
        pr_url = f"https://huggingface.co/datasets/{repo_id}/discussions/{target.name}" if create_pr else None
        return SimpleNamespace(pr_url=pr_url)


def _files(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
