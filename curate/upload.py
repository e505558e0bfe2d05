"""The upload side of publishing: where the commit goes, and the calls that make it.

A commit goes to the main branch, to another branch (created from main when missing), or into
a new pull request, and deletes the repo's data files it does not bring again (``REPLACED``),
so a release with fewer shards than the last one leaves none of the old shards behind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from huggingface_hub.errors import HfHubHTTPError

from curate.errors import PublishError
from curate.writers.dataset import DATA_DIR

if TYPE_CHECKING:
    from curate.publish import HubClient, PublishPlan

REPLACED = (f"{DATA_DIR}/*",)
"""Remote files an upload deletes unless it brings them again (``delete_patterns``)."""
BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9_./-]+(?<!/)$")


@dataclass(frozen=True)
class PublishTarget:
    """Where a publish commit goes: a branch (``None``: the main branch) or a new pull request."""

    revision: str | None = None
    create_pr: bool = False
    message: str | None = None
    """The commit message; by default ``curate: publish <name>``."""

    def __post_init__(self) -> None:
        if self.create_pr and self.revision not in (None, "main"):
            raise PublishError(
                "a pull request is always opened against the main branch: use --create-pr or"
                " --revision, not both"
            )
        if self.revision is not None and not BRANCH.match(self.revision):
            raise PublishError(f"revision {self.revision!r} is not a branch name (letters, digits, - _ . /)")

    def describe(self) -> str:
        if self.create_pr:
            return "as a new pull request"
        return f"branch {self.revision or 'main'}"

    @property
    def new_branch(self) -> str | None:
        """The branch to create (if missing) before the commit: a revision other than main or a PR."""
        if self.revision in (None, "main") or str(self.revision).startswith("refs/pr/"):
            return None
        return self.revision


def upload(client: HubClient, plan: PublishPlan, ignore: Sequence[str]) -> str:
    """Create the repo (and branch) if missing, commit the plan's files; return where they went.

    ``ignore`` goes to ``upload_folder`` as ``ignore_patterns``, a second guard beside the plan's list.
    """
    repo_id, target = plan.repo_id, plan.target
    try:
        url = client.create_repo(repo_id, repo_type="dataset", private=plan.private, exist_ok=True)
        if target.new_branch is not None:
            client.create_branch(repo_id, branch=target.new_branch, repo_type="dataset", exist_ok=True)
        commit = client.upload_folder(
            repo_id=repo_id,
            folder_path=plan.folder,
            repo_type="dataset",
            revision=target.revision,
            create_pr=target.create_pr,
            commit_message=target.message or f"curate: publish {plan.name}",
            allow_patterns=sorted(plan.files),
            ignore_patterns=list(ignore),
            delete_patterns=list(REPLACED),
        )
    except (HfHubHTTPError, httpx.HTTPError, OSError, ValueError) as exc:
        raise PublishError(f"upload to {repo_id} failed: {exc}") from exc
    repo_url = str(url) if url else f"https://huggingface.co/datasets/{repo_id}"
    pr_url = getattr(commit, "pr_url", None)
    if target.create_pr and pr_url:
        return str(pr_url)
    return f"{repo_url}/tree/{target.revision}" if target.new_branch else repo_url
