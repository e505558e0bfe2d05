"""``curate publish``: the checks that refuse, what is uploaded, and never ``rejects/``."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from curate.cli import cli
from curate.errors import PublishError
from curate.publish import plan_publish, publish
from curate.residual import residual_texts
from tests.output_folders import LICENSE, PLANTED, find_nothing, flag_planted, make_folder, pair

UPLOADED = [
    "README.md",
    "data/test-00000-of-00001.jsonl",
    "data/test-00000-of-00001.parquet",
    "data/train-00000-of-00001.jsonl",
    "data/train-00000-of-00001.parquet",
    "funnel.png",
    "manifest.json",
]


class RecordingHub:
    """Stands in for ``HfApi``: records every call, touches no network."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def create_repo(self, repo_id: str, **options: Any) -> str:
        self.calls.append(("create_repo", (repo_id,), options))
        return f"https://huggingface.co/datasets/{repo_id}"

    def upload_folder(self, **options: Any) -> None:
        self.calls.append(("upload_folder", (), options))


def unscrubbed(folder: Path) -> Path:
    return make_folder(folder, pii=False)


def with_pii_left(folder: Path) -> Path:
    return make_folder(folder, splits={"train": [pair(1, text=f"write to {PLANTED[0]}"), pair(2)]})


def without_license(folder: Path) -> Path:
    return make_folder(folder, license=None)


def not_redistributable(folder: Path) -> Path:
    return make_folder(folder, license={**LICENSE, "redistribution_allowed": False})


def a_sample(folder: Path) -> Path:
    made = make_folder(folder)
    manifest = json.loads((made / "manifest.json").read_text())
    (made / "manifest.json").write_text(json.dumps({**manifest, "sample_limit": 10}))
    return made


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (unscrubbed, "pii stage: the run had no `pii` stage, so its rows were not scrubbed of personal data"),
        (
            with_pii_left,
            "residual PII scan: structured PII remains in the output (EMAIL_ADDRESS 1; counts only)",
        ),
        (without_license, "license: derived license is missing"),
        (not_redistributable, "license: the derived license (CC-BY-4.0) does not allow redistribution"),
        (a_sample, "whole inputs: the run read at most 10 records of each input (--limit): it is a sample"),
    ],
    ids=["no-pii-stage", "residual-pii", "no-license", "no-redistribution", "sample"],
)
def test_each_refusal(tmp_path: Path, build: Any, message: str) -> None:
    folder = build(tmp_path)
    hub = RecordingHub()
    with pytest.raises(PublishError) as caught:
        publish(folder, "acme/tides", api=hub, scanner=flag_planted)
    lines = str(caught.value).splitlines()
    assert lines[0] == "publishing refused:"
    assert len(lines) == 2
    assert lines[1].startswith(message)
    assert hub.calls == []
    for value in PLANTED:
        assert value not in str(caught.value)


def test_every_failing_check_is_named_at_once(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, pii=False, license=None)
    with pytest.raises(PublishError) as caught:
        publish(folder, "acme/tides", api=RecordingHub(), scanner=find_nothing)
    assert [line.split(":")[0] for line in str(caught.value).splitlines()[1:]] == ["pii stage", "license"]


def test_allow_unscrubbed_waives_only_the_stage_check(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, pii=False)
    plan = plan_publish(folder, "acme/tides", allow_unscrubbed=True, scanner=find_nothing)
    assert plan.ok
    planted = make_folder(tmp_path / "planted", pii=False, splits={"train": [pair(1, text=PLANTED[1])]})
    plan = plan_publish(planted, "acme/tides", allow_unscrubbed=True, scanner=flag_planted)
    assert [check.name for check in plan.checks if not check.ok] == ["residual PII scan"]


def test_publish_uploads_the_card_data_chart_and_manifest_only(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    hub = RecordingHub()
    plan = publish(folder, "acme/tides", private=True, api=hub, scanner=find_nothing)
    assert [name for name, _, _ in hub.calls] == ["create_repo", "upload_folder"]
    assert hub.calls[0][1:] == (("acme/tides",), {"repo_type": "dataset", "private": True, "exist_ok": True})
    upload = hub.calls[1][2]
    assert upload["repo_type"] == "dataset"
    assert Path(upload["folder_path"]) == folder
    assert upload["allow_patterns"] == UPLOADED
    assert upload["ignore_patterns"] == ["rejects/*", "dedup/*"]
    assert plan.url == "https://huggingface.co/datasets/acme/tides"
    assert 'load_dataset("acme/tides")' in (folder / "README.md").read_text()


def test_what_the_patterns_let_through(tmp_path: Path) -> None:
    """The upload patterns, applied by huggingface_hub's own filter to every file in the folder."""
    from huggingface_hub.utils import filter_repo_objects

    folder = make_folder(tmp_path)
    hub = RecordingHub()
    publish(folder, "acme/tides", api=hub, scanner=find_nothing)
    upload = hub.calls[1][2]
    every_file = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert "rejects/dedup.parquet" in every_file and "dedup/index.bin" in every_file
    kept = filter_repo_objects(
        every_file, allow_patterns=upload["allow_patterns"], ignore_patterns=upload["ignore_patterns"]
    )
    assert sorted(kept) == UPLOADED


def test_dry_run_lists_the_files_and_touches_nothing(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    hub = RecordingHub()
    plan = publish(folder, "acme/tides", dry_run=True, api=hub, scanner=find_nothing)
    assert hub.calls == []
    assert not (folder / "README.md").exists()
    assert sorted(plan.files) == UPLOADED
    assert not [path for path in plan.files if path.startswith(("rejects/", "dedup/"))]
    assert plan.withheld == {"dedup/": 1, "rejects/": 2}
    assert [(check.name, check.ok) for check in plan.checks] == [
        ("whole inputs", True),
        ("pii stage", True),
        ("hash key", True),
        ("residual PII scan", True),
        ("license", True),
    ]


def test_dry_run_reports_refusals_without_raising(tmp_path: Path) -> None:
    plan = publish(make_folder(tmp_path, license=None), "acme/tides", dry_run=True, scanner=find_nothing)
    assert not plan.ok
    assert plan.refusals == [
        "license: derived license is missing: the manifest has no license record; add a `license` stage"
        " to the pipeline and run it again"
    ]
    assert "FAIL  license: derived license is missing" in plan.render()


@pytest.fixture
def fake_scan_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI uses the pii module's scanner; give it the test scanner."""
    module = types.ModuleType("curate.pii.scan")
    module.scan_structured = flag_planted  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "curate.pii.scan", module)


@pytest.mark.usefixtures("fake_scan_module")
@pytest.mark.parametrize(("license", "exit_code"), [(True, 0), (False, 1)], ids=["passes", "refused"])
def test_cli_dry_run(tmp_path: Path, license: bool, exit_code: int) -> None:
    folder = make_folder(tmp_path, license=LICENSE if license else None)
    outcome = CliRunner().invoke(cli, ["publish", str(folder), "--repo-id", "acme/tides", "--dry-run"])
    assert outcome.exit_code == exit_code, outcome.output
    lines = outcome.output.splitlines()
    listed = lines[lines.index(next(line for line in lines if line.startswith("files to upload"))) + 1 :]
    files = [line.split()[0] for line in listed if line.startswith("  ")]
    assert sorted(files) == UPLOADED
    assert "not uploaded: dedup/ (1 file), rejects/ (2 files)" in outcome.output
    if exit_code:
        assert "error: publishing would be refused: 1 of 5 checks failed" in outcome.output
    else:
        assert "dry run: nothing was uploaded" in outcome.output
    assert not (folder / "README.md").exists()


def test_cli_needs_a_repo_id(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(cli, ["publish", str(make_folder(tmp_path))])
    assert outcome.exit_code == 2
    assert "Missing option '--repo-id'" in outcome.output


@pytest.mark.parametrize("repo_id", ["tides", "acme/", "/tides", "acme/tides/x", "acme/ti des"])
def test_repo_id_must_be_org_slash_name(tmp_path: Path, repo_id: str) -> None:
    with pytest.raises(PublishError, match="is not of the form ORG/NAME"):
        plan_publish(make_folder(tmp_path), repo_id, scanner=find_nothing)


def test_not_an_output_folder(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"has no manifest\.json"):
        plan_publish(tmp_path, "acme/tides", scanner=find_nothing)


def test_no_token_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with pytest.raises(PublishError, match="no Hugging Face token: set HF_TOKEN or run `hf auth login`"):
        publish(make_folder(tmp_path), "acme/tides", scanner=find_nothing)
    assert not (tmp_path / "README.md").exists()


def test_a_hub_failure_becomes_a_publish_error(tmp_path: Path) -> None:
    class FailingHub(RecordingHub):
        def upload_folder(self, **options: Any) -> None:
            raise OSError("connection reset")

    with pytest.raises(PublishError, match="upload to acme/tides failed: connection reset"):
        publish(make_folder(tmp_path), "acme/tides", api=FailingHub(), scanner=find_nothing)


def test_residual_scan_reads_every_string_of_every_column(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, splits={"train": [pair(1)]}, formats=("parquet",))
    texts = list(residual_texts(folder, ["data/train-00000-of-00001.parquet"]))
    assert texts == [
        "user",
        "Question 1: how do tides work?",
        "assistant",
        "Answer 1: the moon's gravity pulls the sea.",
        "assistant",
        "Answer 1: no idea.",
        "battle",
        "arena",
        "CC-BY-4.0",
        "en",
        "c1a",
        "c1b",
        "p001",
    ]


def test_the_real_scanner_refuses_planted_pii(tmp_path: Path) -> None:
    scan = pytest.importorskip("curate.pii.scan", reason="the pii module's residual scanner is not built yet")
    folder = make_folder(tmp_path, splits={"train": [pair(1, text=f"mail me at {PLANTED[0]}"), pair(2)]})
    plan = plan_publish(folder, "acme/tides", scanner=scan.scan_structured)
    (failed,) = [check for check in plan.checks if not check.ok]
    assert failed.name == "residual PII scan"
    assert "EMAIL_ADDRESS" in failed.message
    assert PLANTED[0] not in failed.message
    clean = plan_publish(make_folder(tmp_path / "clean"), "acme/tides", scanner=scan.scan_structured)
    assert clean.ok


def test_the_recorded_calls_fit_the_real_hf_api(tmp_path: Path) -> None:
    """The fake records what publish passes; the real ``HfApi`` methods must accept exactly that."""
    import inspect

    from huggingface_hub import HfApi

    hub = RecordingHub()
    publish(make_folder(tmp_path), "acme/tides", api=hub, scanner=find_nothing)
    for name, args, options in hub.calls:
        inspect.signature(getattr(HfApi, name)).bind(HfApi(), *args, **options)
