"""Publishing that can be repeated: a second release replaces the first, on a branch or in a PR.

The Hub is ``tests.hub_fake.FolderHub``: repos as folders, commits worked out and applied as
``HfApi.upload_folder`` does, so ``datasets.load_dataset`` can read what a user would get.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import datasets
import pytest
from click.testing import CliRunner

from curate import schema
from curate.cli import cli
from curate.errors import PublishError
from curate.publish import publish
from curate.writers.dataset import write_splits
from tests.hub_fake import FolderHub
from tests.output_folders import find_nothing, make_folder, pair

REPO = "acme/tides"


def release(folder: Path, ids: range, shard_rows: int, test: bool = True) -> Path:
    """An output folder whose train split holds pairs ``ids``, in shards of ``shard_rows``."""
    splits = {"train": [pair(i) for i in ids]}
    if test:
        splits["test"] = [pair(100), pair(101)]
    make_folder(folder, splits=splits)
    for stale in (folder / "data").glob("train-*"):
        stale.unlink()
    write_splits({"train": schema.pairs(splits["train"])}, folder, ["parquet", "jsonl"], shard_rows)
    return folder


def rows(hub: FolderHub, tmp_path: Path, branch: str = "main") -> dict[str, list[str]]:
    loaded = datasets.load_dataset(str(hub.branch(REPO, branch)), cache_dir=str(tmp_path / "cache"))
    return {split: sorted(part["id"]) for split, part in loaded.items()}


def test_a_second_smaller_release_leaves_no_stale_shard(tmp_path: Path) -> None:
    hub = FolderHub(tmp_path / "hub")
    first = release(tmp_path / "first", range(1, 7), shard_rows=3)
    publish(first, REPO, api=hub, scanner=find_nothing)
    assert sorted(p.name for p in (hub.branch(REPO) / "data").glob("train-*.parquet")) == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]
    second = release(tmp_path / "second", range(10, 14), shard_rows=10, test=False)
    publish(second, REPO, api=hub, scanner=find_nothing)
    assert sorted(hub.commits[-1].deleted) == [
        "data/test-00000-of-00001.jsonl",
        "data/test-00000-of-00001.parquet",
        "data/train-00000-of-00002.jsonl",
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.jsonl",
        "data/train-00001-of-00002.parquet",
    ]
    new_ids = sorted(schema.pairs([pair(i) for i in range(10, 14)])["id"])
    assert rows(hub, tmp_path) == {"train": new_ids}


def test_without_the_deletion_the_old_shards_would_be_read_too(tmp_path: Path) -> None:
    """The fault the deletion fixes, shown with the same fake: old shards match `data/train-*`."""
    hub = FolderHub(tmp_path / "hub")
    publish(release(tmp_path / "first", range(1, 7), shard_rows=3), REPO, api=hub, scanner=find_nothing)
    second = release(tmp_path / "second", range(10, 14), shard_rows=10, test=False)
    publish(second, REPO, api=hub, scanner=find_nothing)
    hub.branch(REPO).joinpath("data", "train-00000-of-00002.parquet").write_bytes(
        (tmp_path / "first" / "data" / "train-00000-of-00002.parquet").read_bytes()
    )
    assert len(rows(hub, tmp_path)["train"]) == 4 + 3


def test_revision_commits_to_a_branch_it_creates_and_main_is_untouched(tmp_path: Path) -> None:
    hub = FolderHub(tmp_path / "hub")
    publish(release(tmp_path / "first", range(1, 7), shard_rows=3), REPO, api=hub, scanner=find_nothing)
    second = release(tmp_path / "second", range(10, 14), shard_rows=10, test=False)
    plan = publish(second, REPO, api=hub, scanner=find_nothing, revision="v2", message="Release 2")
    assert ("create_branch", (REPO,), {"branch": "v2", "repo_type": "dataset", "exist_ok": True}) in hub.calls
    upload = hub.calls[-1][2]
    assert (upload["revision"], upload["create_pr"], upload["commit_message"]) == ("v2", False, "Release 2")
    assert hub.commits[-1].branch == "v2"
    assert len(rows(hub, tmp_path, "v2")["train"]) == 4
    assert len(rows(hub, tmp_path / "main")["train"]) == 6
    assert plan.url == f"https://huggingface.co/datasets/{REPO}/tree/v2"


def test_create_pr_opens_a_pull_request_against_main(tmp_path: Path) -> None:
    hub = FolderHub(tmp_path / "hub")
    publish(release(tmp_path / "first", range(1, 7), shard_rows=3), REPO, api=hub, scanner=find_nothing)
    second = release(tmp_path / "second", range(10, 14), shard_rows=10, test=False)
    plan = publish(second, REPO, api=hub, scanner=find_nothing, create_pr=True)
    assert [name for name, _, _ in hub.calls[-2:]] == ["create_repo", "upload_folder"]
    assert hub.calls[-1][2]["create_pr"] is True
    assert hub.commits[-1].branch == "refs/pr/1"
    assert hub.commits[-1].message == "curate: publish tides"
    assert len(rows(hub, tmp_path, "refs/pr/1")["train"]) == 4
    assert len(rows(hub, tmp_path / "main")["train"]) == 6
    assert plan.url == f"https://huggingface.co/datasets/{REPO}/discussions/1"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"revision": "v2", "create_pr": True}, "use --create-pr or --revision, not both"),
        ({"revision": "../main"}, "revision '../main' is not a branch name"),
        ({"revision": "a b"}, "revision 'a b' is not a branch name"),
    ],
)
def test_targets_that_cannot_work_are_refused_before_any_call(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    hub = FolderHub(tmp_path / "hub")
    with pytest.raises(PublishError, match=message):
        publish(make_folder(tmp_path / "out"), REPO, api=hub, scanner=find_nothing, **options)
    assert hub.calls == []


def test_the_calls_fit_the_real_hf_api(tmp_path: Path) -> None:
    from huggingface_hub import HfApi

    hub = FolderHub(tmp_path / "hub")
    publish(make_folder(tmp_path / "a"), REPO, api=hub, scanner=find_nothing, revision="dev", message="m")
    publish(make_folder(tmp_path / "b"), REPO, api=hub, scanner=find_nothing, create_pr=True)
    for name, args, options in hub.calls:
        inspect.signature(getattr(HfApi, name)).bind(HfApi(), *args, **options)
    uploads = [options for name, _, options in hub.calls if name == "upload_folder"]
    assert [options["delete_patterns"] for options in uploads] == [["data/*"], ["data/*"]]


def test_cli_passes_the_target_on_and_shows_it(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "out")
    result = CliRunner().invoke(
        cli, ["publish", str(folder), "--repo-id", REPO, "--dry-run", "--revision", "v2", "-m", "Release 2"]
    )
    assert f"-> {REPO} (dataset, public, branch v2)" in result.output
    assert "deleted from the repo unless uploaded again: data/*" in result.output
    refused = CliRunner().invoke(
        cli, ["publish", str(folder), "--repo-id", REPO, "--revision", "x", "--create-pr"]
    )
    assert refused.exit_code != 0
    assert "not both" in refused.output and "Traceback" not in refused.output
