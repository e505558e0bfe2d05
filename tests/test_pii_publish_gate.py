"""The publish gate and the pii stage are one detector; every string of every uploaded file is
scanned, with advice that fits where a finding is; a seed-derived hash key is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from curate.pii.scan import scan_structured
from curate.publish import plan_publish
from tests.output_folders import PLANTED, default_stages, find_nothing, flag_planted, make_folder, pair


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Refund to DE89 3704 0044 0532 0130 00 please.", "IBAN_CODE"),
        ("Text me on +44 7700 900 123 tonight.", "PHONE_NUMBER"),
        ("WhatsApp \u202a+91\u00a098765\u00a043210\u202c", "PHONE_NUMBER"),
        ("Maestro 6304 0000 0000 0000 was declined.", "CREDIT_CARD"),
        ("Ship it to 1234 Elm Street, Springfield IL 62704 by Friday.", "STREET_ADDRESS"),
        ("Deliver to 29 rue de la Paix, Paris.", "STREET_ADDRESS"),
        ("Follow me: https://twitter.com/ada_lovelace", "PROFILE_URL"),
        ("My page is linkedin.com/in/ada-lovelace-1815, hire me", "PROFILE_URL"),
        ("All my code is on github.com/adalovelace.", "PROFILE_URL"),
    ],
)
def test_publish_refuses_what_the_stage_would_have_removed(tmp_path: Path, text: str, entity: str) -> None:
    folder = make_folder(tmp_path, splits={"train": [pair(1, text=text), pair(2)]})
    plan = plan_publish(folder, "acme/tides", scanner=scan_structured)
    (failed,) = [check for check in plan.checks if not check.ok]
    assert failed.name == "residual PII scan" and f"{entity} 1" in failed.message


@pytest.mark.parametrize(
    "text",
    [
        "Run `curl 203.0.113.7:8080` on Python 3.11.7, released 2023-12-04 (build 22621.2428).",
        "pip install git+https://github.com/psf/requests and read github.com/org/repo/issues/42",
        "Upgrade to version 2 Street Fighter 6 and numpy 1.26.4; see twitter.com/search?q=ai",
        "```python\nroute = '/api/v2/users/42'\nsettings.STREET = 'Main Street'\n```",
        "Chapter 3 The Long Road, sha 9f86d081884c7d65, port 5432, 3.5 km, 1,234,567 rows",
    ],
    ids=["versions-dates-ip", "repository-urls", "titles-site-paths", "code", "counts-hashes"],
)
def test_code_and_decoys_do_not_block_publishing(tmp_path: Path, text: str) -> None:
    folder = make_folder(tmp_path, splits={"train": [pair(1, text=text), pair(2)]})
    assert not any(scan_structured([text]).values())
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


TRAIN_JSONL = "data/train-00000-of-00001.jsonl"


def edit_first_line(folder: Path, change: Callable[[dict[str, Any]], None], path: str = TRAIN_JSONL) -> None:
    """Change the first record of a JSON Lines data file by hand, as someone might after a run."""
    lines = (folder / path).read_text("utf-8").splitlines()
    record = json.loads(lines[0])
    change(record)
    (folder / path).write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n", "utf-8")


def with_pii_columns(folder: Path) -> Path:
    """A folder whose pii stage searched the side columns (its report has ``columns``)."""
    stages = default_stages(8)
    pii = next(stage for stage in stages if stage["name"] == "pii")
    empty = {"values": 8, "changed": 0, "entities": {}}
    pii["report"] = {**pii["report"], "columns": {"id": empty, "meta": empty}}
    return make_folder(folder, stages=stages)


def set_first_prompt(record: dict[str, Any], text: str) -> None:
    record["prompt"][0]["content"] = text


@pytest.mark.parametrize(
    ("change", "where", "advice"),
    [
        (
            lambda r: set_first_prompt(r, f"mail {PLANTED[0]}"),
            "column `prompt`",
            "scrub them with the `pii` stage",
        ),
        (
            lambda r: r.update(chosen_id=PLANTED[0]),
            "column `chosen_id`",
            "the `pii` stage of this curate searches these columns too (put it before `pairs`)",
        ),
        (
            lambda r: r.update(source=PLANTED[0]),
            "column `source`",
            "the pii stage cannot fix column `source`: it is an input's `name` in the pipeline file",
        ),
        (
            lambda r: r.update(license=PLANTED[0]),
            "column `license`",
            "the pii stage cannot fix column `license`: it is the license field of the input records: add a"
            " `license` stage",
        ),
        (
            lambda r: r.update(notes={"by": [PLANTED[0]]}),
            "column `notes`",
            "the pii stage cannot fix column `notes`: it comes from the input records as they are",
        ),
        (
            lambda r: r.update(meta=json.dumps({"contact": {"mail": [PLANTED[0]]}})),
            "column `meta`",
            "the `pii` stage of this curate searches these columns too",
        ),
    ],
    ids=["messages", "conversation-id", "source", "license", "extra-column", "meta"],
)
def test_a_hand_edited_jsonl_is_refused_with_advice_that_fits(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], where: str, advice: str
) -> None:
    folder = make_folder(tmp_path)
    assert plan_publish(folder, "acme/tides", scanner=flag_planted).ok
    edit_first_line(folder, change)
    plan = plan_publish(folder, "acme/tides", scanner=flag_planted)
    (failed,) = [check for check in plan.checks if not check.ok]
    assert failed.name == "residual PII scan"
    assert failed.message.startswith("structured PII remains in the output (EMAIL_ADDRESS 1; counts only)")
    assert f"in {where} of {TRAIN_JSONL}:" in failed.message
    assert advice in failed.message
    assert PLANTED[0] not in failed.message


def test_side_columns_the_run_scrubbed_point_at_a_change_after_the_run(tmp_path: Path) -> None:
    folder = with_pii_columns(tmp_path)
    edit_first_line(folder, lambda r: r.update(id=PLANTED[0], meta=json.dumps({"mail": PLANTED[1]})))
    (failed,) = [c for c in plan_publish(folder, "acme/tides", scanner=flag_planted).checks if not c.ok]
    assert "EMAIL_ADDRESS 1, PHONE_NUMBER 1" in failed.message
    assert (
        f"in columns `id`, `meta` of {TRAIN_JSONL}: the run's pii stage searched these columns, so the"
        in (failed.message)
    )
    assert "changed after the run" in failed.message


def test_nested_strings_of_a_parquet_file_are_scanned(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, formats=("parquet",))
    target = folder / "data" / "train-00000-of-00001.parquet"
    frame = pl.read_parquet(target)
    extra = [{"tags": ["a", PLANTED[0] if n == 0 else "b"], "deep": {"x": None}} for n in range(frame.height)]
    frame.with_columns(notes=pl.Series(extra)).write_parquet(target)
    (failed,) = [c for c in plan_publish(folder, "acme/tides", scanner=flag_planted).checks if not c.ok]
    assert "in column `notes` of data/train-00000-of-00001.parquet" in failed.message


def test_a_data_file_the_scan_cannot_read_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    with (folder / TRAIN_JSONL).open("a", encoding="utf-8") as handle:
        handle.write('{"prompt": [\n')
    (failed,) = [c for c in plan_publish(folder, "acme/tides", scanner=flag_planted).checks if not c.ok]
    assert "train-00000-of-00001.jsonl line 7 is not valid JSON" in failed.message


def test_the_stage_detector_refuses_a_meta_value_put_back_by_hand(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    edit_first_line(folder, lambda r: r.update(meta=json.dumps({"phones": ["+1 415-555-0199"]})))
    (failed,) = [c for c in plan_publish(folder, "acme/tides", scanner=scan_structured).checks if not c.ok]
    assert "PHONE_NUMBER 1" in failed.message and "column `meta`" in failed.message
