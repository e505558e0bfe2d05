"""End to end through the CLI: a conversation output with personal data planted outside the
messages publishes none of it, and a data file it was put back into by hand is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from curate.cli import cli
from curate.publish import plan_publish, publish
from tests.helpers import write_pipeline
from tests.test_publish import RecordingHub

ID_EMAIL, USER_EMAIL, META_EMAIL = (
    "jane.doe@example.com",
    "j.doe@example.org",
    "emily.carter.1987@example.com",
)
NAME, PHONE = "Emily Carter", "+1 415-555-0199"
PLANTED = (ID_EMAIL, USER_EMAIL, META_EMAIL, NAME, PHONE)
RECORDS: list[dict[str, Any]] = [
    {
        "id": ID_EMAIL,
        "user": USER_EMAIL,
        "model": NAME,
        "metadata": {
            "contact": META_EMAIL,
            "phones": [f"call {PHONE}", 7],
            "raw": json.dumps({"author": NAME}),
            "thumbs": "up",
        },
        "messages": [
            {"role": "user", "content": "How do spring tides differ from neap tides?"},
            {"role": "assistant", "content": "Spring tides come when sun and moon line up."},
        ],
    },
    {
        "id": "r2",
        "user": "u-2",
        "model": "olmo-2-13b-instruct",
        "metadata": {"thumbs": "down", "state": "Virginia"},
        "messages": [
            {"role": "user", "content": "Why does the sea have two tides a day?"},
            {"role": "assistant", "content": "The moon pulls a bulge on both sides of the earth."},
        ],
    },
]
PIPELINE = """
name: side-columns
inputs:
  - {name: app, path: app.jsonl, format: openai, license: CC-BY-4.0}
stages:
  - pii: {}
  - license: {use: commercial}
output: {dir: out, formats: [parquet, jsonl]}
"""
TRAIN = "data/train-00000-of-00001.jsonl"


def dry_run(folder: Path) -> Any:
    return CliRunner().invoke(cli, ["publish", str(folder), "--repo-id", "acme/app", "--dry-run"])


@pytest.fixture
def output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CURATE_PII_KEY", "a secret of the team")
    (tmp_path / "app.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS), "utf-8")
    ran = CliRunner().invoke(cli, ["run", str(write_pipeline(tmp_path, PIPELINE)), "-q", "--workers", "1"])
    assert ran.exit_code == 0, ran.output
    return tmp_path / "out"


def test_nothing_planted_outside_the_messages_is_published(output: Path) -> None:
    checked = dry_run(output)
    assert checked.exit_code == 0, checked.output
    hub = RecordingHub()
    plan = publish(output, "acme/app", api=hub)
    uploaded = {path: (output / path).read_bytes() for path in plan.files}
    assert sorted(uploaded) == sorted(hub.calls[1][2]["allow_patterns"])
    leaks = [
        (path, value) for path, content in uploaded.items() for value in PLANTED if value.encode() in content
    ]
    assert leaks == []
    row = json.loads((output / TRAIN).read_text("utf-8").splitlines()[0])
    assert row["id"].startswith("pii-") and row["user"].startswith("pii-") and row["model"] == "<PERSON>"
    assert json.loads(row["meta"])["metadata"]["thumbs"] == "up"


def test_values_put_back_into_the_jsonl_by_hand_are_refused(output: Path) -> None:
    lines = (output / TRAIN).read_text("utf-8").splitlines()
    record = json.loads(lines[0])
    record.update(id=ID_EMAIL, user=USER_EMAIL, meta=json.dumps({"metadata": {"contact": META_EMAIL}}))
    (output / TRAIN).write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n", "utf-8")
    refused = dry_run(output)
    assert refused.exit_code == 1
    assert "residual PII scan: structured PII remains in the output (EMAIL_ADDRESS 3; counts only)" in (
        refused.output
    )
    assert f"in columns `id`, `meta`, `user` of {TRAIN}: the run's pii stage searched these columns" in (
        " ".join(refused.output.split())
    )
    assert not [value for value in PLANTED if value in refused.output]
    (failed,) = [c for c in plan_publish(output, "acme/app").checks if not c.ok]
    assert failed.name == "residual PII scan"
