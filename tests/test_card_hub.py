"""Card metadata the Hub understands, and the sections of its dataset card template.

The Hub's license ids are data (``licenses/hub_licenses.yaml``, from the Hub's documentation):
every id a card can name must be in that list, whatever licenses the rows carry.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from huggingface_hub import DatasetCard
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.card import CardSource, build_card
from curate.card.metadata import hub_metadata, license_fields, source_datasets
from curate.licensing import registry, registry_dir
from curate.licensing.algebra import hub_license
from curate.licensing.hub import HUB_LICENSES_FILE, hub_license_ids
from curate.record import LicenseEntry, LicenseSummary
from tests.output_folders import LICENSE, default_stages, find_nothing, make_folder, pair
from tests.test_card import section

KEYS = sorted(registry().licenses)


def test_the_hub_list_is_well_formed() -> None:
    entries = yaml.safe_load((registry_dir() / HUB_LICENSES_FILE).read_text(encoding="utf-8"))
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids)) > 60
    assert {"other", "unknown", "apache-2.0", "mit", "cc-by-4.0", "odc-by", "llama3.1"} <= set(ids)
    assert all(entry["name"] for entry in entries)


@pytest.mark.parametrize("key", KEYS)
def test_every_registry_license_maps_to_a_hub_id(key: str) -> None:
    assert registry().licenses[key].hub in hub_license_ids()


def summary(keys: list[str]) -> LicenseSummary:
    """The derived license of rows under ``keys``, as the licensing algebra would give it."""
    entries = [registry().licenses[key] for key in keys]
    try:
        chosen = hub_license(entries).id
    except ValueError:  # share-alike licenses that cannot be combined: the run would stop
        chosen = "other"
    licenses = [
        LicenseEntry(
            key=e.key,
            name=e.name,
            url=e.url,
            rows=1,
            use=e.use,
            attribution=e.attribution,
            share_alike=e.share_alike,
        )
        for e in entries
    ]
    return LicenseSummary.model_validate(
        {**LICENSE, "id": chosen, "expression": " AND ".join(keys), "licenses": licenses}
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True))
def test_every_emitted_id_is_one_the_hub_knows(keys: list[str]) -> None:
    fields = license_fields(SimpleNamespace(license=summary(keys)))  # type: ignore[arg-type]
    ids = fields["license"] if isinstance(fields["license"], list) else [fields["license"]]
    assert set(ids) <= hub_license_ids()
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert ("license_name" in fields) == ("other" in ids)


def test_a_mixed_license_run_lists_its_ids(tmp_path: Path) -> None:
    fields = license_fields(SimpleNamespace(license=summary(["MIT", "Apache-2.0", "CC-BY-4.0"])))  # type: ignore[arg-type]
    assert fields == {"license": ["apache-2.0", "cc-by-4.0", "mit"]}


INPUTS: list[tuple[dict[str, Any], str | None]] = [
    ({"dataset": "ultrafeedback"}, "openbmb/UltraFeedback"),
    ({"dataset": "allenai/WildChat-1M"}, "allenai/WildChat-1M"),
    ({"dataset": "someone/their-chats"}, "someone/their-chats"),
    (
        {"path": "hf://datasets/lmsys/chatbot_arena_conversations@main/data/*.parquet"},
        "lmsys/chatbot_arena_conversations",
    ),
    ({"format": "wildchat", "license": "auto"}, "allenai/WildChat-1M"),
    ({"format": "wildchat", "license": "CC-BY-4.0"}, None),
    ({"format": "sharegpt", "license": "auto"}, None),
    ({"path": "/data/mine.jsonl"}, None),
]


@pytest.mark.parametrize(("spec", "repo"), INPUTS)
def test_source_datasets_names_the_hub_repo_of_an_input(
    tmp_path: Path, spec: dict[str, Any], repo: str | None
) -> None:
    folder = make_folder(tmp_path)
    source = CardSource.from_folder(folder)
    config = {"name": "tides", "inputs": [{"name": "arena", "path": "x.jsonl", **spec}]}
    source = CardSource(source.manifest.model_copy(update={"config": config}), source.rows, source.reports)
    assert source_datasets(source) == ([repo] if repo else [])


def test_an_input_without_rows_out_is_no_source(tmp_path: Path) -> None:
    source = CardSource.from_folder(make_folder(tmp_path))
    config = {
        "inputs": [{"name": "arena", "dataset": "hh-rlhf"}, {"name": "unused", "dataset": "ultrafeedback"}]
    }
    source = CardSource(source.manifest.model_copy(update={"config": config}), source.rows, source.reports)
    assert source_datasets(source) == ["Anthropic/hh-rlhf"]
    assert "- HH-RLHF (Bai et al., 2022), Anthropic: " in section(
        build_card(source, scanner=find_nothing), "Citation"
    )


def test_the_card_parses_back_through_huggingface_hub(tmp_path: Path) -> None:
    source = CardSource.from_folder(make_folder(tmp_path))
    card = DatasetCard(build_card(source, scanner=find_nothing))
    assert card.data.to_dict() == hub_metadata(source)
    assert card.data.size_categories == ["n<1K"]


TEMPLATE = ["Uses", "Personal and Sensitive Information", "Bias, Risks, and Limitations", "Citation"]


def test_the_template_sections_are_filled_from_the_record(tmp_path: Path) -> None:
    card = build_card(CardSource.from_folder(make_folder(tmp_path)), scanner=find_nothing)
    for title in TEMPLATE:
        assert "More Information Needed" not in section(card, title)
    uses = section(card, "Uses")
    assert "### Direct Use" in uses and "DPOTrainer" in uses and "### Out-of-Scope Use" in uses
    assert "openai; see License" in uses
    privacy = section(card, "Personal and Sensitive Information")
    assert "The `pii` stage scanned" in privacy
    risks = section(card, "Bias, Risks, and Limitations")
    assert "`battle` (" in risks and "`ranked` (" in risks and "### Recommendations" in risks


def test_a_run_without_a_pii_stage_says_so(tmp_path: Path) -> None:
    card = build_card(CardSource.from_folder(make_folder(tmp_path, pii=False)), scanner=find_nothing)
    assert "**No `pii` stage ran**" in section(card, "Personal and Sensitive Information")


def test_pii_figures_come_from_the_stage_report(tmp_path: Path) -> None:
    stages = default_stages(2)
    pii = next(stage for stage in stages if stage["name"] == "pii")
    pii["report"] |= {
        "entities": {"EMAIL_ADDRESS": 3, "PERSON": 5},
        "conversations_with_pii": 4,
        "action": "redact",
    }
    folder = make_folder(tmp_path, splits={"train": [pair(1), pair(2)]}, stages=stages)
    text = section(
        build_card(CardSource.from_folder(folder), scanner=find_nothing), "Personal and Sensitive Information"
    )
    assert (
        "found personal data in 4 conversations: PERSON 5, EMAIL_ADDRESS 3. The values were removed." in text
    )
