"""The dataset card of an output folder: metadata, funnel, reasons, reports, examples, no PII."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import DatasetCard

from curate.card import CardSource, build_card, funnel_png, write_card
from curate.card.funnel import reason_rows
from curate.card.metadata import size_category
from tests.output_folders import (
    LICENSE,
    PLANTED,
    find_nothing,
    flag_planted,
    make_folder,
    pair,
    stage,
)


def card_of(folder: Path, **options: Any) -> str:
    return build_card(CardSource.from_folder(folder), **options)


def entry(key: str, url: str | None) -> dict[str, Any]:
    """A license entry of the derived license record."""
    return {
        "key": key,
        "name": key,
        "url": url,
        "rows": 4,
        "use": "noncommercial",
        "attribution": True,
        "share_alike": False,
    }


def section(card: str, title: str) -> str:
    """The text of one ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", card, flags=re.M | re.S)
    assert match, f"no section {title!r}"
    return match.group(1)


def test_metadata_parses_and_matches_the_output(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    write_card(folder, scanner=find_nothing)
    data = DatasetCard.load(folder / "README.md").data
    manifest = json.loads((folder / "manifest.json").read_text())

    assert data.license == "cc-by-4.0"
    assert data.pretty_name == "tides"
    assert data.language == ["de", "en"]
    assert data.task_categories == ["text-generation"]
    assert {"dpo", "preference", "pii-scrubbed", "deduplicated"} <= set(data.tags)
    assert data.size_categories == ["n<1K"]
    (config,) = data.configs
    assert config["config_name"] == "default"
    declared = {item["split"]: item["path"] for item in config["data_files"]}
    assert declared == {"train": "data/train-*.parquet", "test": "data/test-*.parquet"}
    assert list(declared) == list(manifest["output"]["splits"])
    for pattern in declared.values():
        assert list(folder.glob(pattern)), pattern


@pytest.mark.parametrize(
    ("license", "expected"),
    [
        (None, {"license": "unknown"}),
        (LICENSE, {"license": "cc-by-4.0"}),
        (
            {
                **LICENSE,
                "id": "other",
                "expression": "CC-BY-NC-4.0 AND Llama-2",
                "licenses": [
                    entry("CC-BY-NC-4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
                    entry("Llama-2", None),
                ],
            },
            {"license": ["cc-by-nc-4.0", "llama2"]},
        ),
        (
            {
                **LICENSE,
                "id": "other",
                "expression": "CC-BY-4.0 AND LMSYS-Chat-1M",
                "licenses": [
                    entry("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"),
                    entry("LMSYS-Chat-1M", "https://lmsys.example/agreement"),
                ],
            },
            {
                "license": ["cc-by-4.0", "other"],
                "license_name": "lmsys-chat-1m",
                "license_link": "https://lmsys.example/agreement",
            },
        ),
        (
            {
                **LICENSE,
                "id": "other",
                "expression": "A",
                "licenses": [entry("A", "https://a.example/license")],
            },
            {"license": "other", "license_name": "a", "license_link": "https://a.example/license"},
        ),
        (
            {
                **LICENSE,
                "id": "other",
                "expression": "A AND B",
                "licenses": [
                    entry("A", "https://a.example/license"),
                    entry("B", "https://b.example/license"),
                ],
            },
            {"license": "other", "license_name": "a-and-b"},
        ),
    ],
    ids=["missing", "hub-id", "two-hub-ids", "hub-id-and-other", "other-one", "other-two"],
)
def test_license_metadata(tmp_path: Path, license: dict[str, Any] | None, expected: dict[str, str]) -> None:
    card = DatasetCard(card_of(make_folder(tmp_path, license=license), scanner=find_nothing))
    found = {key: card.data.to_dict().get(key) for key in ("license", "license_name", "license_link")}
    assert {key: value for key, value in found.items() if value is not None} == expected


@pytest.mark.parametrize(
    ("license", "present", "absent"),
    [
        (
            None,
            ["No license was derived for this run", "| `arena` | CC-BY-4.0 |"],
            ["How the license was derived"],
        ),
        (
            LICENSE,
            [
                "**`CC-BY-4.0`** (Hub id `cc-by-4.0`)",
                "1. every row is CC-BY-4.0",
                "| `CC-BY-4.0` | Creative Commons Attribution 4.0 | 8 | commercial | yes | no |",
                "- `CC-BY-4.0` (`arena`): Arena battles by the Arena team.",
                "| openai | 3 | outputs may not train competing models |",
            ],
            ["No license was derived"],
        ),
    ],
    ids=["missing", "derived"],
)
def test_license_section(
    tmp_path: Path, license: dict[str, Any] | None, present: list[str], absent: list[str]
) -> None:
    text = section(card_of(make_folder(tmp_path, license=license), scanner=find_nothing), "License")
    for expected in present:
        assert expected in text
    for unexpected in absent:
        assert unexpected not in text


@pytest.mark.parametrize(("allowed", "row"), [(True, "yes"), (False, "no")])
def test_redistribution_is_shown(tmp_path: Path, allowed: bool, row: str) -> None:
    license = {**LICENSE, "redistribution_allowed": allowed}
    text = section(card_of(make_folder(tmp_path, license=license), scanner=find_nothing), "License")
    assert f"| redistribution allowed | {row} |" in text


def test_sources_table_counts_rows_out_per_input(tmp_path: Path) -> None:
    text = section(card_of(make_folder(tmp_path), scanner=find_nothing), "Sources")
    assert "| `arena` | arena | 22 | 1 | 8 | CC-BY-4.0 | CC-BY-4.0 | yes: CC-BY-4.0 |" in text


def funnel_table(card: str) -> list[list[str]]:
    lines = [line for line in section(card, "Funnel").splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_funnel_numbers_equal_the_manifest(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    rows = funnel_table(card_of(folder, scanner=find_nothing))
    stages = json.loads((folder / "manifest.json").read_text())["stages"]
    assert [row[0] for row in rows] == [s["name"] for s in stages]
    for row, entry in zip(rows, stages, strict=True):
        numbers = [int(row[i].replace(",", "")) for i in (1, 3, 4)]
        assert numbers == [entry["rows_in"], entry["rows_rejected"], entry["rows_out"]]
        assert (row[2], row[5], row[6]) == (entry["unit_in"], entry["unit_out"], "yes")


def test_funnel_flags_a_stage_that_does_not_balance(tmp_path: Path) -> None:
    stages = [stage("read", 5, 5, unit_in="records"), stage("quality", 5, 3, {"short": 1})]
    rows = funnel_table(card_of(make_folder(tmp_path, stages=stages), scanner=find_nothing))
    assert [row[6] for row in rows] == ["yes", "**no**"]


def test_funnel_chart_is_embedded_and_written(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    assert write_card(folder, scanner=find_nothing) == ["README.md", "funnel.png"]
    assert "![Rows through each stage of the run](funnel.png)" in (folder / "README.md").read_text()
    assert (folder / "funnel.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_card_and_chart_are_byte_identical_across_builds(tmp_path: Path) -> None:
    first, second = make_folder(tmp_path / "a"), make_folder(tmp_path / "b")
    write_card(first, scanner=find_nothing)
    write_card(second, scanner=find_nothing)
    for name in ("README.md", "funnel.png"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    chart = (first / "funnel.png").read_bytes()
    assert b"matplotlib" not in chart and b"Software" not in chart
    assert "seconds" not in (first / "README.md").read_text()


@pytest.mark.parametrize("scrubbed", [True, False], ids=["pii-stage", "no-pii-stage"])
def test_no_planted_value_reaches_the_card(tmp_path: Path, scrubbed: bool) -> None:
    """Planted values sit in rejects/ always and, for the unscrubbed run, in the rows too."""
    rows = {"train": [pair(1, text=" ".join(PLANTED)), pair(2)]} if not scrubbed else None
    folder = make_folder(tmp_path, pii=scrubbed, splits=rows)
    write_card(folder, scanner=flag_planted)
    card = (folder / "README.md").read_text()
    for value in PLANTED:
        assert value not in card
    assert ("No example rows are shown" in card) is not scrubbed


def test_examples_come_from_the_output_and_skip_flagged_rows(tmp_path: Path) -> None:
    planted = pair(1, text=f"Mail {PLANTED[0]} about tides")
    folder = make_folder(tmp_path, splits={"train": [planted, pair(2), pair(3, "ranked"), pair(4)]})
    text = section(card_of(folder, scanner=flag_planted), "Examples")
    assert PLANTED[0] not in text
    assert "1 candidate rows were passed over" in text
    # One per strategy first: p002 (battle), p003 (ranked), then p004.
    assert re.findall(r"id `(p\d+)`", text) == ["p002", "p003", "p004"]
    assert "Answer 3: the moon's gravity pulls the sea." in text


@pytest.mark.parametrize("column", ["id", "source", "license"])
def test_examples_skip_rows_whose_heading_would_show_personal_data(tmp_path: Path, column: str) -> None:
    planted = {**pair(1), column: PLANTED[0]}
    folder = make_folder(tmp_path, splits={"train": [planted, pair(2)]})
    text = section(card_of(folder, scanner=flag_planted), "Examples")
    assert PLANTED[0] not in text
    assert "1 candidate rows were passed over" in text
    assert re.findall(r"id `(p\d+)`", text) == ["p002"]


def test_conversation_examples_skip_a_model_that_holds_personal_data() -> None:
    from curate.card.examples import examples_section
    from curate.schema import conversations

    head = conversations(
        {"id": f"c{n}", "source": "app", "model": model, "messages": [{"role": "user", "content": "Tides?"}]}
        for n, model in enumerate([PLANTED[0], "olmo-2-13b-instruct"])
    )
    text = examples_section(head, "conversations", scrubbed=True, scanner=flag_planted)
    assert PLANTED[0] not in text and "model `olmo-2-13b-instruct`" in text


def test_examples_survive_backticks_in_the_text(tmp_path: Path) -> None:
    row = pair(1, text="Fix this:\n```python\nprint(1)\n```")
    text = section(card_of(make_folder(tmp_path, splits={"train": [row]}), scanner=find_nothing), "Examples")
    assert "````text\n[user] Fix this:\n```python\nprint(1)\n```\n````" in text


def test_examples_are_omitted_without_a_scanner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("curate.card.document.default_scanner", lambda: None)
    text = section(card_of(make_folder(tmp_path)), "Examples")
    assert "no residual PII scanner" in text


def test_known_reports_render_as_prose(tmp_path: Path) -> None:
    card = card_of(make_folder(tmp_path), scanner=find_nothing)
    reports = section(card, "Stage reports")
    assert "Removed 1 exact duplicate and 1 near duplicate." in reports
    assert "MinHash with 128 permutations, word 5-grams, LSH with 9 bands of 13 rows" in reports
    assert "Largest clusters: 3, 2 rows." in reports
    assert "| PERSON | 3 |\n| EMAIL_ADDRESS | 2 |\n| PHONE_NUMBER | 1 |" in reports
    assert "spaCy named-entity recognition on system and user turns" in reports
    assert "| language | rows |\n| --- | ---: |\n| en | 19 |\n| de | 2 |" in reports
    assert (
        "Made 8 pairs from 19 conversations in 10 groups of replies to one prompt (9 prompt clusters)."
        in reports
    )
    assert "`battle`, `ranked`; at most 1 pair per prompt cluster." in reports
    assert "| strategy | pairs |\n| --- | ---: |\n| battle | 6 |\n| ranked | 2 |" in reports
    assert "| reason | groups |\n| --- | ---: |\n| single_reply | 2 |" in reports
    assert (
        "| split | rows | prompt clusters |\n| --- | ---: | ---: |\n| train | 6 | 5 |\n| test | 2 | 2 |"
        in reports
    )
    assert "| test size | 0.25 |" in reports


def test_the_report_of_a_stage_not_installed_renders_as_tables(tmp_path: Path) -> None:
    report = {
        "mean_score": 0.5,
        "rules": ["min_words", "max_repeat"],
        "dropped_by_rule": {"min_words": 4, "max_repeat": 9},
        "thresholds": {"words": {"min": 3}},
        "buckets": [{"bucket": "low", "rows": 2}, {"bucket": "high", "rows": 7}],
    }
    stages = [stage("read", 13, 13, unit_in="records"), stage("toxicity", 13, 13, report=report)]
    text = section(card_of(make_folder(tmp_path, stages=stages), scanner=find_nothing), "Stage reports")
    assert "### toxicity" in text
    assert "| mean score | 0.5 |" in text
    assert "| rules | min_words, max_repeat |" in text
    assert "| dropped by rule | value |\n| --- | ---: |\n| max_repeat | 9 |\n| min_words | 4 |" in text
    assert "| words.min | 3 |" in text
    assert "| bucket | rows |\n| --- | ---: |\n| low | 2 |\n| high | 7 |" in text


def test_a_run_without_a_stage_has_no_section_for_it(tmp_path: Path) -> None:
    stages = [stage("read", 8, 8, unit_in="records")]
    card = card_of(make_folder(tmp_path, stages=stages), scanner=find_nothing)
    assert "## Stage reports" not in card
    assert "No row was rejected by: `read`." in card


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (
            {"short": 3, "language:fr": 2, "language:de": 5},
            [("language:de", 5), ("short", 3), ("language:fr", 2)],
        ),
        (
            {f"duplicate_of:c{i}": 1 for i in range(9)} | {"empty": 2},
            [("duplicate_of:* (9 distinct)", 9), ("empty", 2)],
        ),
        ({f"duplicate_of:c{i}": 2 for i in range(8)}, [(f"duplicate_of:c{i}", 2) for i in range(8)]),
    ],
    ids=["codes-and-arguments", "many-arguments-fold", "eight-arguments-stay"],
)
def test_reason_rows(reasons: dict[str, int], expected: list[tuple[str, int]]) -> None:
    assert reason_rows(reasons) == expected


def test_rejections_list_every_stage_reason(tmp_path: Path) -> None:
    text = section(card_of(make_folder(tmp_path), scanner=find_nothing), "Rejected rows")
    assert (
        "### dedup\n\n| reason | rows |\n| --- | ---: |\n| duplicate_of:c9a | 1 |\n| duplicate_of:c9b | 1 |"
        in text
    )
    assert "### pairs\n\n| reason | rows |\n| --- | ---: |\n| no_pair:single_answer | 3 |" in text
    assert "never published" in text


@pytest.mark.parametrize(
    ("rows", "category"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1_000, "1K<n<10K"),
        (99_999, "10K<n<100K"),
        (2_000_000, "1M<n<10M"),
        (20_000_000_000, "10B<n<100B"),
        (10**13, "n>1T"),
    ],
)
def test_size_category(rows: int, category: str) -> None:
    assert size_category(rows) == category


def test_every_size_category_is_one_the_hub_knows() -> None:
    """``datasets`` ships the Hub's list; every bucket (and the one above the last) is in it."""
    from importlib.resources import files

    known = json.loads((files("datasets.utils") / "resources" / "size_categories.json").read_text())
    assert {size_category(10**power) for power in range(14)} <= set(known)


def test_pipeline_file_and_fingerprints_are_in_the_card(tmp_path: Path) -> None:
    card = card_of(make_folder(tmp_path), scanner=find_nothing)
    assert "```yaml\nname: tides\n" in section(card, "Pipeline")
    provenance = section(card, "Reproducibility")
    assert f"| `arena` | `data/arena.jsonl` | 4,096 | `{'cd' * 32}` |" in provenance
    assert f"`sha256:{'ab' * 32}`" in provenance


def test_loading_snippets_name_the_repo_and_the_splits(tmp_path: Path) -> None:
    text = section(
        card_of(make_folder(tmp_path), repo_id="acme/tides", scanner=find_nothing), "How to load it"
    )
    assert 'load_dataset("acme/tides")' in text
    assert 'train_dataset=dataset["train"],\n    eval_dataset=dataset["test"],' in text
    assert "DPOTrainer(" in text


def test_chart_of_no_stages_still_draws() -> None:
    assert funnel_png("empty", []).startswith(b"\x89PNG")


def test_an_empty_output_gets_an_honest_card(tmp_path: Path) -> None:
    """A run whose last stage kept nothing writes no data file; the card declares no split."""
    folder = make_folder(tmp_path, splits={})
    card = card_of(folder, scanner=find_nothing)
    assert "configs" not in DatasetCard(card).data.to_dict()
    assert "This dataset holds 0 preference pairs, made by curate 0.1.0 from 22 records" in card
    assert "The output is empty." in section(card, "Examples")


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("call (415) 555-0132", True),
        ("+44 20 7946 0958", True),
        ("card 4111 1111 1111 1111", True),
        ("ssn 078-05-1120", True),
        ("items 1, 2, 3, 4, 5, 6, 7", False),
        ("in 2024 we ran Python 3.11.7", False),
        ("print(123456)", False),
    ],
)
def test_examples_pass_over_long_digit_runs(tmp_path: Path, text: str, flagged: bool) -> None:
    rows = {"train": [pair(1, text=text), pair(2)]}
    section_text = section(card_of(make_folder(tmp_path, splits=rows), scanner=find_nothing), "Examples")
    assert ("id `p001`" not in section_text) is flagged
    assert ("1 candidate rows were passed over" in section_text) is flagged


@pytest.mark.parametrize("text", ["it is 4155550132 ok", "ref 41241293 attached", "id 0041 7946 0958 1234 9"])
def test_the_digit_run_filter_covers_what_the_residual_scan_leaves(tmp_path: Path, text: str) -> None:
    """Digit runs not shaped like a phone and with no context word pass the stage's recognizers
    (on purpose: code and figures hold such runs), so the stage does not make the card's own
    filter redundant."""
    from curate.pii.scan import scan_structured

    assert not any(scan_structured([text]).values())
    rows = {"train": [pair(1, text=text), pair(2)]}
    section_text = section(card_of(make_folder(tmp_path, splits=rows), scanner=scan_structured), "Examples")
    assert "id `p001`" not in section_text
    assert "1 candidate rows were passed over" in section_text
