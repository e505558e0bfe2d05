"""``result.explain(pair_id)`` and the HTML summary of a run, for notebooks."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

import curate
from curate.record import LicenseEntry, StageStats
from tests.helpers import run_pipeline

USER_KEY = "u-3f9a1c"
RECORDS = [
    {
        "id": "a1",
        "model": "gpt-4",
        "user": USER_KEY,
        "messages": [
            {"role": "user", "content": "How do tides work?"},
            {"role": "assistant", "content": "The moon's gravity pulls the sea."},
        ],
    },
    {
        "id": "a2",
        "model": "vicuna-13b",
        "messages": [
            {"role": "user", "content": "How do tides work?"},
            {"role": "assistant", "content": "No idea."},
        ],
    },
    {"id": "a3", "model": "gpt-4", "messages": [{"role": "user", "content": "Alone?"}]},
]
PAIRS = """
name: tides
inputs:
  - name: chats
    path: chats.jsonl
    format: openai
    license: MIT
    consent: granted
stages:
  - pairs: {strategies: [model_rank], model_rank: {ranking: ["gpt-4*", "vicuna*"]}}
output:
  dir: out
"""
MIT = {
    "key": "MIT",
    "name": "MIT License",
    "url": "https://opensource.org/license/mit",
    "rows": 1,
    "use": "commercial",
    "attribution": True,
    "share_alike": False,
}


def run(folder: Path, text: str = PAIRS) -> curate.RunResult:
    lines = [json.dumps(record) for record in RECORDS]
    (folder / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_pipeline(folder, text, write=False)


@pytest.fixture
def result(tmp_path: Path) -> curate.RunResult:
    return run(tmp_path)


def test_a_pair_traces_back_to_both_conversations_and_their_input(
    result: curate.RunResult, tmp_path: Path
) -> None:
    (pair_id,) = result.output["id"].to_list()
    explanation = result.explain(pair_id)
    assert explanation.kind == "pairs"
    assert [(r.side, r.id, r.source, r.model, r.has_user) for r in explanation.records] == [
        ("chosen", "a1", "chats", "gpt-4", True),
        ("rejected", "a2", "chats", "vicuna-13b", False),
    ]
    assert {(r.license, r.consent) for r in explanation.records} == {("MIT", "granted")}
    (source,) = explanation.inputs
    digest = hashlib.sha256((tmp_path / "chats.jsonl").read_bytes()).hexdigest()
    assert (source.name, source.format, source.declared_license, source.records) == (
        "chats",
        "openai",
        "MIT",
        3,
    )
    assert source.files == [
        {"path": "chats.jsonl", "bytes": (tmp_path / "chats.jsonl").stat().st_size, "sha256": digest}
    ]
    assert explanation.row["strategy"] == "model_rank"
    assert explanation.license_stage is None
    assert "license stage: did not run" in str(explanation)


def test_the_user_key_is_never_shown(result: curate.RunResult) -> None:
    explanation = result.explain(result.output["id"][0])
    for rendering in (str(explanation), explanation._repr_html_(), json.dumps(explanation.to_dict())):
        assert USER_KEY not in rendering
    assert "user key present" in str(explanation)


def test_registry_entries_and_the_license_stage_are_reported(result: curate.RunResult) -> None:
    other = {**MIT, "key": "CC-BY-4.0", "name": "Creative Commons Attribution 4.0", "rows": 0}
    assert result.manifest.license is not None
    entries = [LicenseEntry.model_validate(entry) for entry in (MIT, other)]
    derived = result.manifest.license.model_copy(update={"licenses": entries})
    report = {"licenses": {"MIT": {"kept": 3, "dropped": 0}}}
    stats = StageStats(name="license", rows_in=3, rows_out=3, rows_rejected=0, seconds=0.1, report=report)
    manifest = result.manifest.model_copy(update={"license": derived, "stages": [*result.stats, stats]})
    explanation = dataclasses.replace(result, manifest=manifest).explain(result.output["id"][0])
    assert explanation.licenses == [MIT]
    assert explanation.license_stage == {"rows_in": 3, "rows_rejected": 0, "reasons": {}, "report": report}
    text = str(explanation)
    assert "MIT: MIT License (use commercial, attribution required, share-alike no)" in text
    assert "license stage: checked 3 rows and rejected 0" in text


def test_a_side_missing_from_the_conversations_is_said_so(result: curate.RunResult) -> None:
    conversations = result.conversations.filter(pl.col("id") != "a2")
    result = dataclasses.replace(result, frames={**result.frames, "conversations": conversations})
    explanation = result.explain(result.output["id"][0])
    assert [(r.side, r.found) for r in explanation.records] == [("chosen", True), ("rejected", False)]
    assert "rejected: id a2 from chats (not among the conversations of this run)" in str(explanation)


def test_an_unknown_id_is_a_key_error(result: curate.RunResult) -> None:
    with pytest.raises(KeyError, match="the output has no pair with id 'nope'"):
        result.explain("nope")


def test_without_pairs_a_conversation_explains_itself(tmp_path: Path) -> None:
    result = run(tmp_path, PAIRS.replace("stages:\n  - pairs:", "stages: []\n#"))
    explanation = result.explain("a1")
    assert explanation.kind == "conversations"
    assert [(r.side, r.id, r.has_user) for r in explanation.records] == [("conversation", "a1", True)]
    assert str(explanation).startswith("conversation a1 (source chats, license MIT)\n  messages [user]")


def test_the_html_summary_is_well_formed_and_complete(result: curate.RunResult) -> None:
    page = result._repr_html_()
    ET.fromstring(page)
    assert "<b>curate run tides</b>: 1 pairs (train: 1) (not written)" in page
    # Derived from the rows even without a license stage; gpt-4's terms make it non-commercial.
    assert "License: MIT (use noncommercial)" in page
    for name in ("read", "pairs"):
        assert f"<td>{name}</td>" in page
    assert "<td>no_reply (1)</td>" in page
    assert "result.rejects_of(&#x27;pairs&#x27;)" in page
    assert "<code>result.explain(result.output['id'][0])</code>" in page


def test_explanations_render_as_well_formed_html(result: curate.RunResult) -> None:
    ET.fromstring(result.explain(result.output["id"][0])._repr_html_())
