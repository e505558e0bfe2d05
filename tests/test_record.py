"""The run record: ``manifest.json`` round-trips through its models, old folders still load,
and a record that does not fit names the file and the field.

``fixtures/output-v0.1`` is the demo's output folder as curate wrote it before the record
was typed (no ``schema_version``): its manifest, card and Parquet files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from curate.card import write_card
from curate.card.document import FOOTER
from curate.cli import cli
from curate.errors import CurateError
from curate.inspect import inspect_path
from curate.record import MANIFEST_FILE, SCHEMA_VERSION, Manifest, read_manifest
from curate.writers.dataset import DataFile, data_files

FIXTURE = Path(__file__).parent / "fixtures" / "output-v0.1"


@pytest.fixture
def old_folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "demo-dpo"))


def test_a_folder_written_before_the_typed_record_loads() -> None:
    manifest = read_manifest(FIXTURE)
    assert manifest.schema_version is None
    assert [stage.name for stage in manifest.stages][:3] == ["read", "normalize", "quality"]
    assert all(stage.balanced for stage in manifest.stages)
    assert manifest.license is not None and manifest.license.expression == "Apache-2.0 AND CC-BY-4.0 AND MIT"


def test_its_manifest_round_trips_byte_for_byte() -> None:
    text = (FIXTURE / MANIFEST_FILE).read_text(encoding="utf-8")
    assert Manifest.model_validate_json(text).to_json() == text


def sections(card: str) -> dict[str, str]:
    """A card's ``## `` sections by title (the YAML header under ``""``), its footer left out."""
    parts = re.split(r"^## (.+)$", card.replace(FOOTER, ""), flags=re.M)
    return {
        "": parts[0],
        **{title: text.strip() for title, text in zip(parts[1::2], parts[2::2], strict=True)},
    }


def test_curate_card_rebuilds_its_card(old_folder: Path) -> None:
    """The card of a 0.1 folder, as this curate writes it (``fixtures/output-v0.1-card.md``).

    Besides the sections added since (Uses, Personal and Sensitive Information, Bias, Risks, and
    Limitations, Citation), only the metadata's license ids, the License section's naming of them
    and the Pipeline section (drawn from the record's config, without the file's comments)
    differ from the card 0.1 wrote; every other section is the same, byte for byte.
    """
    (old_folder / "README.md").unlink()
    outcome = CliRunner().invoke(cli, ["card", str(old_folder)])
    assert outcome.exit_code == 0, outcome.output
    rebuilt = (old_folder / "README.md").read_text(encoding="utf-8")
    assert rebuilt == (FIXTURE.parent / "output-v0.1-card.md").read_text(encoding="utf-8")
    before, after = sections((FIXTURE / "README.md").read_text(encoding="utf-8")), sections(rebuilt)
    added = {"Uses", "Personal and Sensitive Information", "Bias, Risks, and Limitations", "Citation"}
    assert set(after) - set(before) == added
    changed = {title for title in before if before[title] != after[title]}
    assert changed == {"", "License", "Pipeline"}
    assert "# The demo pipeline" in before["Pipeline"] and "#" not in after["Pipeline"].replace("```", "")


def test_inspect_summarises_the_folder_from_its_record(old_folder: Path) -> None:
    lines = inspect_path(old_folder).splitlines()
    assert lines[0] == f"{old_folder}: demo-dpo (40 pairs)"
    assert lines[1].split() == ["read", "in", "162", "out", "198", "rejected", "0"]
    (old_folder / MANIFEST_FILE).write_text(json.dumps({"manifest_version": 1}), encoding="utf-8")
    with pytest.raises(CurateError, match=r"manifest\.json: name: Field required"):
        inspect_path(old_folder)


def test_a_new_record_says_its_schema_version() -> None:
    data = json.loads((FIXTURE / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest = Manifest.model_validate({**data, "schema_version": SCHEMA_VERSION})
    keys = list(json.loads(manifest.to_json()))
    assert keys[:3] == ["manifest_version", "schema_version", "name"]


BREAKS: list[tuple[str, Any, str]] = [  # where (None: deleted), the value put there, the message
    ("license.redistribution_allowed", None, "license.redistribution_allowed: Field required"),
    ("stages.1.rows_in", "many", "stages[1].rows_in: Input should be a valid integer"),
    ("stages.6.report.exact_duplicates", "one", "stages[6].report.exact_duplicates: Input should be a valid"),
    ("stages.7.report.entities", ["PERSON"], "stages[7].report.entities: Input should be a valid dictionary"),
    ("stages.2.report.flag_spam", 3, "stages[2].report.flag_spam: Extra inputs are not permitted"),
    ("output.kind", "rows", "output.kind: Input should be 'conversations' or 'pairs'"),
    ("extra", 1, "extra: Extra inputs are not permitted"),
    ("schema_version", SCHEMA_VERSION + 1, "was written by a newer curate"),
]


@pytest.mark.parametrize(("where", "value", "message"), BREAKS, ids=[where for where, _, _ in BREAKS])
def test_a_record_that_does_not_fit_names_the_file_and_the_field(
    old_folder: Path, where: str, value: Any, message: str
) -> None:
    path = old_folder / MANIFEST_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    *parents, last = where.split(".")
    target = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CurateError) as caught:
        write_card(old_folder)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    outcome = CliRunner().invoke(cli, ["card", str(old_folder)])
    assert outcome.exit_code == 1
    assert message in outcome.output and "Traceback" not in outcome.output


def test_a_manifest_that_is_not_json_is_named(old_folder: Path) -> None:
    (old_folder / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(CurateError, match=r"manifest\.json: not valid JSON"):
        read_manifest(old_folder)


@pytest.mark.parametrize(
    ("rows", "formats", "shard_rows", "expected"),
    [
        ({"train": 3}, ["parquet"], 10, ["data/train-00000-of-00001.parquet"]),
        ({"train": 0}, ["parquet"], 10, ["data/train-00000-of-00001.parquet"]),
        (
            {"train": 5, "test": 1},
            ["parquet", "jsonl"],
            2,
            [
                "data/train-00000-of-00003.parquet",
                "data/train-00000-of-00003.jsonl",
                "data/train-00001-of-00003.parquet",
                "data/train-00001-of-00003.jsonl",
                "data/train-00002-of-00003.parquet",
                "data/train-00002-of-00003.jsonl",
                "data/test-00000-of-00001.parquet",
                "data/test-00000-of-00001.jsonl",
            ],
        ),
    ],
)
def test_data_file_names_and_their_parsing_agree(
    rows: dict[str, int], formats: list[str], shard_rows: int, expected: list[str]
) -> None:
    frames = {split: pl.DataFrame({"id": [str(n) for n in range(count)]}) for split, count in rows.items()}
    files = data_files(frames, formats, shard_rows)
    assert [file.path for file in files] == expected
    assert [DataFile.parse(file.name) for file in files] == files


@pytest.mark.parametrize(
    "name", ["train.parquet", "train-0-of-1.parquet", "train-00000-of-00001.csv", ".keep"]
)
def test_other_files_are_not_data_files(name: str) -> None:
    assert DataFile.parse(name) is None


def test_shard_reports_merge_counts_and_keep_settings() -> None:
    from curate.errors import CurateError
    from curate.record import merge_reports
    from curate.stages.consent import ConsentReport
    from curate.stages.generate import GeneratedBy, GenerateReport

    def generated(requests: int, model: str = "m1") -> GenerateReport:
        by = GeneratedBy(
            model=model, base_url="http://127.0.0.1:1/v1", terms=None, requests=requests,
            completions=requests, failed=0, prompt_tokens=2 * requests, completion_tokens=3,
        )  # fmt: skip
        return GenerateReport(
            conversations=requests, prompts=requests, candidates=requests, keep_original=True,
            turns="first", models=[by],
        )  # fmt: skip

    total = merge_reports([generated(1), None, generated(4)])
    assert isinstance(total, GenerateReport)
    assert (total.conversations, total.models[0].requests, total.models[0].completion_tokens) == (5, 5, 6)
    with pytest.raises(CurateError, match=r"shards disagree on the setting GeneratedBy\.model"):
        generated(1).merged(generated(1, model="m2"))

    def consent(kept: int) -> ConsentReport:
        return ConsentReport.model_validate(
            {
                "require": "granted",
                "consent": {"granted": {"kept": kept, "dropped": 0}},
                "optout": {"user": 1, "record": 0},
                "optout_lists": [{"file": "optout.txt", "entries": 7, "sha256": "ab"}],
            }
        )

    both = consent(2).merged(consent(3))
    assert both.consent["granted"].kept == 5 and both.optout.user == 2
    assert both.optout_lists[0].entries == 7  # a setting: the list's size, not a count of rows
