"""The publish gate and the pii stage are one detector, and a seed-derived hash key is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.pii.scan import scan_structured
from curate.publish import plan_publish
from tests.output_folders import default_stages, find_nothing, make_folder, pair


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Refund to DE89 3704 0044 0532 0130 00 please.", "IBAN_CODE"),
        ("Text me on +44 7700 900 123 tonight.", "PHONE_NUMBER"),
        ("WhatsApp \u202a+91\u00a098765\u00a043210\u202c", "PHONE_NUMBER"),
        ("Maestro 6304 0000 0000 0000 was declined.", "CREDIT_CARD"),
    ],
)
def test_publish_refuses_what_the_stage_would_have_removed(tmp_path: Path, text: str, entity: str) -> None:
    folder = make_folder(tmp_path, splits={"train": [pair(1, text=text), pair(2)]})
    plan = plan_publish(folder, "acme/tides", scanner=scan_structured)
    (failed,) = [check for check in plan.checks if not check.ok]
    assert failed.name == "residual PII scan" and f"{entity} 1" in failed.message


def test_code_and_decoys_do_not_block_publishing(tmp_path: Path) -> None:
    text = "Run `curl 203.0.113.7:8080` on Python 3.11.7, released 2023-12-04 (build 22621.2428)."
    folder = make_folder(tmp_path, splits={"train": [pair(1, text=text), pair(2)]})
    assert scan_structured([text])["PHONE_NUMBER"] == 0
    assert plan_publish(folder, "acme/tides", scanner=scan_structured).ok


def seed_hashed(folder: Path) -> Path:
    stages = default_stages(2)
    pii = next(stage for stage in stages if stage["name"] == "pii")
    pii["report"] = {**pii["report"], "action": "hash", "hash_key": "seed"}
    return make_folder(folder, stages=stages)


def test_a_seed_derived_hash_key_is_refused_unless_allowed(tmp_path: Path) -> None:
    refused = plan_publish(seed_hashed(tmp_path), "acme/tides", scanner=find_nothing)
    assert [c.name for c in refused.checks if not c.ok] == ["hash key"]
    assert "CURATE_PII_KEY" in refused.refusals[0]
    allowed = plan_publish(
        seed_hashed(tmp_path / "b"), "acme/tides", scanner=find_nothing, allow_weak_hash=True
    )
    assert allowed.ok
    assert plan_publish(make_folder(tmp_path / "c"), "acme/tides", scanner=find_nothing).ok
