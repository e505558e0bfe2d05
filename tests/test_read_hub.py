"""Hub inputs: ``hf://datasets/...`` paths and ``dataset: ORG/NAME``, offline from a local Hub
cache laid out as ``huggingface_hub`` lays it out, and online through fakes of the Hub's API.

Every Hub input is pinned to one commit, recorded in the manifest (``hub``: repo, revision,
commit) with each file's ``resolve`` URL and ETag, and shown on the card.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from huggingface_hub import constants

import curate
from curate.cli import cli
from curate.config import InputConfig
from curate.errors import RemoteInputError
from curate.readers import hub
from curate.readers.locate import locate
from tests.hub_cache import HubCache
from tests.reader_helpers import jsonl_bytes as jsonl
from tests.reader_helpers import parquet_bytes as parquet

REPO = "curate-test/prefs"
SHA = "1" * 40
TAGGED = "2" * 40
TOKEN = "hf_token_5e1a-must-not-be-written"
RECORDS = [
    {"prompt": f"Question {n}?", "chosen": f"A careful answer {n}.", "rejected": "No."} for n in range(4)
]
CARD = """\
---
license: mit
configs:
  - config_name: default
    default: true
    data_files:
      - split: train
        path: data/train-*
      - split: test
        path: data/test-*
  - config_name: extra
    data_files: extra/*.jsonl
---
# prefs
"""


FILES = {
    "README.md": CARD.encode(),
    "data/train-00000-of-00001.parquet": parquet(RECORDS),
    "data/test-00000-of-00001.jsonl": jsonl(RECORDS[:1]),
    "extra/more.jsonl": jsonl(RECORDS[:2]),
}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HubCache:
    """An offline Hub cache in ``tmp_path`` holding ``REPO`` at ``SHA`` (main) and ``TAGGED`` (v1)."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    made = HubCache(tmp_path / "hub")
    made.add(REPO, FILES, sha=SHA)
    made.add(REPO, {"data/train-00000-of-00001.parquet": parquet(RECORDS[:2])}, sha=TAGGED, refs=("v1",))
    return made


def write_pipeline(folder: Path, input_lines: str) -> Path:
    file = folder / "pipeline.yaml"
    file.write_text(
        f"""\
name: hub
inputs:
  - name: prefs
{input_lines}    format: preference
    license: MIT
stages:
  - normalize: {{}}
  - pairs: {{strategies: [given]}}
output:
  dir: out
""",
        encoding="utf-8",
    )
    return file


def resolve_url(path: str, sha: str = SHA) -> str:
    return f"{constants.ENDPOINT}/datasets/{REPO}/resolve/{sha}/{path}"


def test_hf_path_reads_the_cache_offline_and_records_commit_url_and_etag(
    tmp_path: Path, cache: HubCache
) -> None:
    path = "data/train-00000-of-00001.parquet"
    result = curate.run(write_pipeline(tmp_path, f"    path: hf://datasets/{REPO}/data/*.parquet\n"))
    assert result.output.height == len(RECORDS)
    record = json.loads((tmp_path / "out" / "manifest.json").read_text())["inputs"][0]
    assert record["hub"] == {"repo": REPO, "revision": "main", "sha": SHA}
    digest = hashlib.sha256(FILES[path]).hexdigest()
    assert record["files"] == [
        {
            "path": f"hf://datasets/{REPO}/{path}",
            "bytes": len(FILES[path]),
            "sha256": digest,
            "url": resolve_url(path),
            "etag": digest,
        }
    ]
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert resolve_url(path) in card and f"`{SHA}`" in card
    assert f"source_datasets:\n- {REPO}" in card
    written = [file for file in tmp_path.rglob("*") if file.is_file() and "hub" not in file.parts]
    assert not [file for file in written if TOKEN.encode() in file.read_bytes()]


@pytest.mark.parametrize(
    ("input_lines", "sha", "rows"),
    [
        (f"    path: hf://datasets/{REPO}@v1/data/*.parquet\n", TAGGED, 2),
        (f"    path: hf://datasets/{REPO}/data/*.parquet\n    revision: v1\n", TAGGED, 2),
        (f"    path: hf://datasets/{REPO}@{TAGGED}/data/*.parquet\n", TAGGED, 2),
        (f"    path: hf://datasets/{REPO}/data\n", SHA, 5),
        (f"    path: hf://datasets/{REPO}\n", SHA, 7),
    ],
    ids=["at-tag", "revision-key", "at-commit", "folder", "whole-repo"],
)
def test_revisions_and_folders_of_a_hub_path(
    tmp_path: Path, cache: HubCache, input_lines: str, sha: str, rows: int
) -> None:
    result = curate.run(write_pipeline(tmp_path, input_lines), write=False)
    (record,) = result.manifest.inputs
    assert record.hub is not None and record.hub.sha == sha
    assert record.records == rows


@pytest.mark.parametrize(
    ("settings", "files", "split"),
    [
        ({}, ["data/train-00000-of-00001.parquet"], "train"),
        ({"split": "test"}, ["data/test-00000-of-00001.jsonl"], "test"),
        ({"config": "extra"}, ["extra/more.jsonl"], "train"),
    ],
)
def test_a_dataset_input_reads_one_config_and_split_as_the_card_declares(
    tmp_path: Path, cache: HubCache, settings: dict[str, str], files: list[str], split: str
) -> None:
    spec = InputConfig(name="prefs", dataset=REPO, format="preference", license="MIT", **settings)
    located = locate(spec, tmp_path)
    assert [file["path"] for file in located.fingerprints()] == [f"hf://datasets/{REPO}/{f}" for f in files]
    assert located.hub is not None
    assert located.hub.record() == {"repo": REPO, "revision": "main", "sha": SHA, "split": split, **settings}


@pytest.mark.parametrize(
    ("paths", "split", "expected"),
    [
        (
            [
                "data/train-00000-of-00002.parquet",
                "data/train-00001-of-00002.parquet",
                "data/test-00000-of-00001.parquet",
            ],
            "train",
            ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"],
        ),
        (
            [
                "harmless-base/train.jsonl.gz",
                "helpful-base/train.jsonl.gz",
                "harmless-base/test.jsonl.gz",
                "red-team-attempts/red_team_attempts.jsonl.gz",
            ],
            "train",
            ["harmless-base/train.jsonl.gz", "helpful-base/train.jsonl.gz"],
        ),
        (["train.csv", "test.csv"], "test", ["test.csv"]),
        (
            ["train.jsonl.gz", "validation.jsonl.gz", "preference/preference.jsonl.gz"],
            "validation",
            ["validation.jsonl.gz"],
        ),
        (
            ["data/train/a.parquet", "data/train/b.parquet", "data/valid/c.parquet"],
            "train",
            ["data/train/a.parquet", "data/train/b.parquet"],
        ),
        (["conversations.json", ".cache/old.json"], "train", ["conversations.json"]),
    ],
    ids=["sharded", "split-in-name-under-folders", "csv", "validation", "split-folders", "one-file"],
)
def test_splits_are_inferred_from_file_names_as_datasets_does(
    paths: list[str], split: str, expected: list[str]
) -> None:
    snap = hub.Snapshot(REPO, "main", SHA, tuple(hub.HubFile(path, 1, None) for path in paths))
    assert [file.path for file in hub.split_files(snap, None, split)] == expected


@pytest.mark.parametrize(
    ("input_lines", "message"),
    [
        (
            "    path: hf://datasets/nobody/nothing/*.jsonl\n",
            "hf://datasets/nobody/nothing@main: HF_HUB_OFFLINE is set and the local Hub cache",
        ),
        (
            f"    path: hf://datasets/{REPO}@v9/*.jsonl\n",
            f"hf://datasets/{REPO}@v9: HF_HUB_OFFLINE is set and the local Hub cache has no revision 'v9'",
        ),
        (
            f"    path: hf://datasets/{REPO}/data/*.csv\n",
            f"input 'prefs': no data file of hf://datasets/{REPO} at commit {SHA[:12]} (main)"
            " matches 'data/*.csv'",
        ),
        (
            f"    dataset: {REPO}\n    split: dev\n",
            f"hf://datasets/{REPO}@main: no split 'dev' (splits: train, test); set the input's `split:`",
        ),
        (
            f"    dataset: {REPO}\n    config: nope\n",
            f"hf://datasets/{REPO}@main: no config 'nope'; the dataset card declares default, extra",
        ),
    ],
    ids=["not-cached", "no-revision", "no-match", "no-split", "no-config"],
)
def test_what_the_cache_lacks_is_one_line_and_exit_2(
    tmp_path: Path, cache: HubCache, input_lines: str, message: str
) -> None:
    outcome = CliRunner().invoke(cli, ["run", str(write_pipeline(tmp_path, input_lines)), "-q"])
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output
    (line,) = outcome.output.strip().splitlines()
    assert line.startswith(f"error: {message}")


def test_license_auto_and_source_datasets_know_a_hub_repo_of_a_known_source(
    tmp_path: Path, cache: HubCache
) -> None:
    hh = {
        "chosen": "\n\nHuman: Hi there?\n\nAssistant: Hello, how can I help?",
        "rejected": "\n\nHuman: Hi there?\n\nAssistant: Go away.",
    }
    cache.add("Anthropic/hh-rlhf", {"harmless-base/train.jsonl.gz": gzip.compress(jsonl([hh]))}, sha=SHA)
    for lines in (
        "    path: hf://datasets/Anthropic/hh-rlhf/harmless-base/train.jsonl.gz\n",
        "    dataset: Anthropic/hh-rlhf\n",
    ):
        file = write_pipeline(tmp_path, lines)
        file.write_text(file.read_text().replace("license: MIT", "license: auto"))
        result = curate.run(file, output_dir=tmp_path / "out")
        assert result.output["license"].to_list() == ["MIT"]
        card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
        assert "source_datasets:\n- Anthropic/hh-rlhf" in card


# Online, through fakes of the Hub -------------------------------------------------------


class FakeHubFileSystem:
    """Serves ``FILES`` as ``HfFileSystem.open`` would, recording each path and its options."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, dict[str, Any]]] = []

    def open(self, path: str, mode: str, **options: Any) -> io.BytesIO:
        self.opened.append((path, options))
        return io.BytesIO(FILES[path.split(f"@{SHA}/", 1)[1]])


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> FakeHubFileSystem:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    fs = FakeHubFileSystem()
    monkeypatch.setattr(hub, "_filesystem", lambda: fs)

    def dataset_info(self: Any, repo: str, *, revision: str, files_metadata: bool) -> SimpleNamespace:
        if repo != REPO:
            raise FileNotFoundError(repo)
        siblings = [
            SimpleNamespace(
                rfilename=path,
                size=len(data),
                blob_id="b" * 40,
                lfs=SimpleNamespace(sha256=hashlib.sha256(data).hexdigest()) if ".parquet" in path else None,
            )
            for path, data in FILES.items()
        ]
        return SimpleNamespace(sha=SHA, siblings=siblings)

    monkeypatch.setattr("huggingface_hub.HfApi.dataset_info", dataset_info)
    return fs


def test_online_files_are_streamed_at_the_resolved_commit(tmp_path: Path, online: FakeHubFileSystem) -> None:
    spec = InputConfig(name="prefs", dataset=REPO, split="test", format="preference", license="MIT")
    read = curate.readers.read_input(spec, tmp_path)
    assert read.records == 1
    # README for the configs, then the test split's JSON Lines as a stream, both at the commit.
    assert online.opened == [
        (f"datasets/{REPO}@{SHA}/README.md", {"block_size": 0}),
        (f"datasets/{REPO}@{SHA}/data/test-00000-of-00001.jsonl", {"block_size": 0}),
    ]
    (file,) = read.files
    assert file["etag"] == "b" * 40 and file["sha256"] is None


def test_online_parquet_opens_for_ranged_reads(tmp_path: Path, online: FakeHubFileSystem) -> None:
    read = curate.read(f"hf://datasets/{REPO}/data/*.parquet", "preference", license="MIT")
    assert read.records == len(RECORDS)
    assert online.opened == [(f"datasets/{REPO}@{SHA}/data/train-00000-of-00001.parquet", {})]


def test_an_unknown_repo_online_is_one_line(tmp_path: Path, online: FakeHubFileSystem) -> None:
    spec = InputConfig(name="x", dataset="nobody/nothing", format="preference")
    with pytest.raises(RemoteInputError, match=r"^hf://datasets/nobody/nothing@main: no such file"):
        locate(spec, tmp_path)
