"""``RunResult.push_to_hub``: ``curate publish`` from a notebook, written or not.

The Hub is ``tests.hub_fake.FolderHub``, which records the calls and commit operations and
applies them to folders that ``datasets.load_dataset`` reads. Nothing goes to the network.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import datasets
import pytest

import curate
from curate.errors import PublishError
from curate.publish import publish
from curate.result import RunResult
from tests.helpers import run_pipeline
from tests.hub_fake import FolderHub
from tests.pairs_support import preference_records, write_jsonl

REPO = "acme/tides"
EMAIL = "jane.doe@example.com"
PIPELINE = """\
name: tides
inputs:
  - {{name: mixed, path: rows.jsonl, format: canonical_rows, license: MIT, consent: granted}}
stages:
{stages}
  - pairs: {{strategies: [battle, ranked, given]}}
output: {{dir: out, format_variant: {variant}}}
"""
SCRUBBED = "  - pii: {ner_on: []}\n  - license: {use: commercial}"


def records(license: str | None = None) -> list[dict[str, Any]]:
    """The pairs test's records, one reply holding an e-mail address."""
    rows = preference_records(1)
    rows[0]["messages"][1]["content"] += f" Write to {EMAIL} for more."
    for row in rows if license else []:
        row["license"] = license
    return rows


def run(
    folder: Path,
    stages: str = SCRUBBED,
    variant: str = "conversational",
    license: str | None = None,
    **options: Any,
) -> RunResult:
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "rows.jsonl", records(license))
    return run_pipeline(folder, PIPELINE.format(stages=stages, variant=variant), **options)


def hub_rows(hub: FolderHub, tmp_path: Path, branch: str = "main") -> dict[str, list[Any]]:
    loaded = datasets.load_dataset(str(hub.branch(REPO, branch)), cache_dir=str(tmp_path / "cache"))
    return {name: sorted(split["id"]) for name, split in loaded.items()}


def built_rows(result: RunResult) -> dict[str, list[Any]]:
    return {name: sorted(split["id"]) for name, split in result.to_datasets().items()}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run(tmp_path_factory.mktemp("written"), variant="kto")


def test_a_written_run_is_published_from_its_folder(written: RunResult, tmp_path: Path) -> None:
    hub = FolderHub(tmp_path / "hub")
    plan = written.push_to_hub(REPO, api=hub, revision="v2", message="second release", private=True)
    assert plan.folder == written.output_dir
    assert [name for name, _, _ in hub.calls] == ["create_repo", "create_branch", "upload_folder"]
    assert hub.calls[0][2]["private"] is True
    assert hub.calls[1][2]["branch"] == "v2"
    upload = hub.calls[2][2]
    assert (upload["revision"], upload["commit_message"], upload["create_pr"]) == (
        "v2",
        "second release",
        False,
    )
    assert upload["delete_patterns"] == ["data/*"]
    (commit,) = hub.commits
    assert sorted(commit.added) == [
        "README.md",
        "data/train-00000-of-00001.parquet",
        "funnel.png",
        "manifest.json",
    ]
    assert hub_rows(hub, tmp_path, "v2") == built_rows(written)
    assert plan.url == f"https://huggingface.co/datasets/{REPO}/tree/v2"


def test_create_pr_reaches_the_client(written: RunResult, tmp_path: Path) -> None:
    hub = FolderHub(tmp_path / "hub")
    plan = written.push_to_hub(REPO, api=hub, create_pr=True)
    assert hub.calls[-1][2]["create_pr"] is True
    assert hub.commits[-1].branch == "refs/pr/1"
    assert plan.url is not None and plan.url.endswith("/discussions/1")


def test_a_dry_run_uploads_nothing(written: RunResult, tmp_path: Path) -> None:
    hub = FolderHub(tmp_path / "hub")
    plan = written.push_to_hub(REPO, api=hub, dry_run=True)
    assert plan.ok and not hub.calls


def test_a_run_not_written_is_published_from_a_temporary_folder(tmp_path: Path) -> None:
    result = run(tmp_path / "run", variant="standard", write=False)
    assert result.output_dir is None
    hub = FolderHub(tmp_path / "hub")
    plan = result.push_to_hub(REPO, api=hub)
    assert not plan.folder.exists(), "the temporary folder is removed"
    assert not (tmp_path / "run" / "out").exists()
    (commit,) = hub.commits
    assert sorted(commit.added) == [
        "README.md",
        "data/train-00000-of-00001.parquet",
        "funnel.png",
        "manifest.json",
    ]
    assert hub_rows(hub, tmp_path) == built_rows(result)
    published = datasets.load_dataset(str(hub.branch(REPO)), cache_dir=str(tmp_path / "cache"))["train"]
    assert published.features == result.to_datasets()["train"].features
    assert isinstance(published[0]["prompt"], str), "in the run's format variant"


def test_publishing_again_replaces_the_data(written: RunResult, tmp_path: Path) -> None:
    hub = FolderHub(tmp_path / "hub")
    run(tmp_path / "first", variant="conversational", write=False).push_to_hub(REPO, api=hub)
    written.push_to_hub(REPO, api=hub)
    assert hub_rows(hub, tmp_path) == built_rows(written)


@pytest.mark.parametrize(
    ("stages", "limit", "options", "license", "checks"),
    [
        pytest.param(SCRUBBED, 4, {}, None, ["whole inputs"], id="a sample run"),
        pytest.param(
            "  - license: {use: commercial}",
            None,
            {},
            None,
            ["pii stage", "residual PII scan"],
            id="no pii stage, and the e-mail address it would have scrubbed",
        ),
        pytest.param(
            "  - license: {use: commercial}",
            None,
            {"allow_unscrubbed": True},
            None,
            ["residual PII scan"],
            id="unscrubbed personal data",
        ),
        pytest.param(
            "  - pii: {action: hash, ner_on: []}\n  - license: {use: commercial}",
            None,
            {},
            None,
            ["hash key"],
            id="a seed-derived hash key",
        ),
        pytest.param(
            SCRUBBED, None, {}, "AI2-ImpACT-MR", ["license"], id="a license that forbids redistribution"
        ),
    ],
)
def test_the_checks_of_curate_publish_refuse(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stages: str,
    limit: int | None,
    options: dict[str, Any],
    license: str | None,
    checks: list[str],
) -> None:
    monkeypatch.delenv("CURATE_PII_KEY", raising=False)
    result = run(tmp_path / "run", stages, license=license, write=False, limit=limit)
    hub = FolderHub(tmp_path / "hub")
    with pytest.raises(PublishError, match="publishing refused") as refused:
        result.push_to_hub(REPO, api=hub, **options)
    assert [line.split(":")[0] for line in str(refused.value).splitlines()[1:]] == checks
    assert EMAIL not in str(refused.value)
    assert not hub.calls


def test_a_folder_another_run_wrote_since_is_refused(tmp_path: Path) -> None:
    first = run(tmp_path)
    second = run(tmp_path, overwrite=True, limit=6)
    hub = FolderHub(tmp_path / "hub")
    with pytest.raises(PublishError, match="no longer holds this run"):
        first.push_to_hub(REPO, api=hub)
    assert not hub.calls
    assert second.push_to_hub(REPO, api=hub, dry_run=True).refusals  # the sample it holds


def test_push_to_hub_takes_every_option_of_publish() -> None:
    theirs = set(inspect.signature(publish).parameters) - {"folder"}
    ours = set(inspect.signature(RunResult.push_to_hub).parameters) - {"self"}
    assert ours == theirs


def test_the_notebook_names_are_exported() -> None:
    assert callable(curate.RunResult.to_datasets) and callable(curate.RunResult.push_to_hub)
