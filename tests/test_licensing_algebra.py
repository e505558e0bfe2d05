"""The license algebra: combining licenses, share-alike, the Hub id, and the output summary."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate import schema
from curate.config import InputConfig
from curate.errors import LicenseError
from curate.licensing import combine_licenses, license_parts, registry, summarize_output
from curate.licensing.algebra import hub_license, share_alike_target
from tests.helpers import conversation, frame


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["MIT", "MIT"], "MIT"),
        (["ODC-BY-1.0", "CC-BY-4.0"], "CC-BY-4.0 AND ODC-BY-1.0"),
        (["MIT AND CC0-1.0", "CC0-1.0"], "CC0-1.0 AND MIT"),
        ([None, "MIT"], "MIT"),
        ([None, None], "unspecified"),
        ([], "unspecified"),
    ],
)
def test_combine_licenses(keys: list[str | None], expected: str) -> None:
    assert combine_licenses(keys) == expected


def entries(*keys: str) -> list[Any]:
    return [registry().license(key) for key in keys]


@pytest.mark.parametrize(
    ("keys", "target"),
    [
        ((), None),
        (("MIT", "CC-BY-4.0"), None),
        (("CC-BY-SA-4.0",), "CC-BY-SA-4.0"),
        (("CC-BY-SA-3.0", "CC-BY-SA-4.0", "MIT"), "CC-BY-SA-4.0"),
        (("CC-BY-NC-SA-3.0", "CC-BY-NC-SA-4.0"), "CC-BY-NC-SA-4.0"),
    ],
)
def test_share_alike_licenses_that_move_to_one(keys: tuple[str, ...], target: str | None) -> None:
    found = share_alike_target(entries(*keys))
    assert (found.key if found else None) == target


@pytest.mark.parametrize(
    "keys",
    [
        ("CC-BY-SA-4.0", "ODbL-1.0"),
        ("CC-BY-SA-4.0", "CC-BY-NC-SA-4.0"),
        ("CC-BY-SA-3.0", "CC-BY-NC-SA-3.0"),
        ("CDLA-Sharing-1.0", "CC-BY-SA-4.0"),
        ("AI2-ImpACT-LR", "ODbL-1.0"),
    ],
)
def test_share_alike_licenses_that_conflict(keys: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=" and ".join(sorted(keys))):
        share_alike_target(entries(*keys))


@pytest.mark.parametrize(
    ("keys", "hub"),
    [
        ((), "unknown"),
        (("CC-BY-4.0",), "cc-by-4.0"),
        (("ODC-BY-1.0",), "odc-by"),
        (("unspecified",), "unknown"),
        (("LMSYS-Chat-1M",), "other"),
        (("CC-BY-4.0", "CC0-1.0", "PDDL-1.0"), "cc-by-4.0"),
        (("CC0-1.0", "PDDL-1.0"), "other"),
        (("CC-BY-SA-3.0", "CC-BY-SA-4.0"), "cc-by-sa-4.0"),
        (("MIT", "Apache-2.0"), "other"),
        (("CC-BY-4.0", "CC-BY-NC-4.0"), "other"),
        (("CC0-1.0", "unspecified"), "unknown"),
    ],
)
def test_hub_license_is_one_id_where_one_fits(keys: tuple[str, ...], hub: str) -> None:
    assert hub_license(entries(*keys)).id == hub


def test_hub_license_of_unregistered_licenses_is_other() -> None:
    assert hub_license([], ["our-terms"]).id == "other"
    assert hub_license(entries("MIT"), ["our-terms"]).id == "other"


def rows_of(*specs: tuple[str, str | None, str | None]) -> pl.DataFrame:
    """Conversations from (license, model, source) triples, ids c0, c1, ..."""
    return frame(
        *(
            conversation(f"c{i}", license=lic, model=model, source=source or "chats")
            for i, (lic, model, source) in enumerate(specs)
        )
    )


def test_summary_of_conversations() -> None:
    summary = summarize_output(
        rows_of(
            ("CC-BY-4.0", None, "a"),
            ("CC-BY-4.0", None, "b"),
            ("CC0-1.0", None, "a"),
            ("cc by 4.0", None, "c"),
        )
    )
    assert summary["id"] == "cc-by-4.0"
    assert summary["expression"] == "CC-BY-4.0 AND CC0-1.0"
    assert summary["use"] == "commercial"
    assert summary["attribution_required"] is True
    assert summary["share_alike"] is False
    assert summary["redistribution_allowed"] is True
    assert [(item["key"], item["rows"]) for item in summary["licenses"]] == [("CC-BY-4.0", 3), ("CC0-1.0", 1)]
    assert summary["licenses"][0] == {
        "key": "CC-BY-4.0",
        "name": "Creative Commons Attribution 4.0 International",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "rows": 3,
        "use": "commercial",
        "attribution": True,
        "share_alike": False,
    }
    assert [(a["license"], a["sources"]) for a in summary["attributions"]] == [("CC-BY-4.0", ["a", "b", "c"])]
    assert summary["terms"] == []
    assert (
        summary["derivation"][-1]
        == "Hub license id: cc-by-4.0, because CC-BY-4.0 is the only license with conditions."
    )
    json.dumps(summary)


@pytest.mark.parametrize(
    ("model_terms", "use", "attribution"),
    [("apply", "academic", True), ("ignore", "commercial", False)],
)
def test_model_terms_applied_and_ignored_in_the_summary(
    model_terms: str, use: str, attribution: bool
) -> None:
    output = rows_of(
        ("CC0-1.0", "gpt-4", None), ("CC0-1.0", "llama-2-7b-chat", None), ("CC0-1.0", "gpt-4", None)
    )
    summary = summarize_output(output, model_terms=model_terms)  # type: ignore[arg-type]
    assert summary["use"] == use
    assert summary["attribution_required"] is attribution
    assert [(t["provider"], t["rows"]) for t in summary["terms"]] == [("openai", 2), ("meta-llama-2", 1)]
    assert summary["terms"][0]["url"] == "https://openai.com/policies/terms-of-use/"
    assert summary["id"] == "cc0-1.0"


def test_a_share_alike_conflict_names_the_licenses_and_rows() -> None:
    output = rows_of(*[("CC-BY-SA-4.0", None, None)] * 4, ("ODbL-1.0", None, None), ("MIT", None, None))
    with pytest.raises(LicenseError) as caught:
        summarize_output(output)
    message = str(caught.value)
    assert (
        "share-alike licenses conflict in the output: CC-BY-SA-4.0 (rows c0, c1, c2, ...); ODbL-1.0 (rows c4)"
        in message
    )
    assert "`license: {deny: [KEY]}`" in message


def test_attributions_credit_known_datasets_through_the_inputs() -> None:
    inputs = [
        InputConfig.model_construct(
            name="wild", path="w.jsonl", format="wildchat", license="auto", dataset=None
        ),
        InputConfig.model_construct(
            name="mine", path="m.jsonl", format="openai", license="MIT", dataset=None
        ),
    ]
    summary = summarize_output(rows_of(("ODC-BY-1.0", None, "wild"), ("MIT", None, "mine")), inputs=inputs)
    texts = {item["license"]: item["text"] for item in summary["attributions"]}
    assert texts["ODC-BY-1.0"] == (
        "Contains data from WildChat-1M (Zhao et al., 2024), Allen Institute for AI "
        "(https://huggingface.co/datasets/allenai/WildChat-1M), licensed under Open Data Commons "
        "Attribution License v1.0 (https://opendatacommons.org/licenses/by/1-0/); "
        "selected and reformatted with curate."
    )
    assert texts["MIT"].startswith("Contains data from mine, licensed under MIT License")


def test_summary_of_pairs_reads_models_through_the_conversations() -> None:
    conversations = rows_of(
        ("ODC-BY-1.0", "gpt-4", "wild"), ("ODC-BY-1.0", "olmo-2", "wild"), ("MIT", "claude-2", "hh")
    )
    pairs = schema.pairs(
        [
            {"license": "ODC-BY-1.0", "source": "wild", "chosen_id": "c0", "rejected_id": "c1", "id": "p0"},
            {
                "license": "MIT AND ODC-BY-1.0",
                "source": "hh",
                "chosen_id": "c2",
                "rejected_id": "c9",
                "id": "p1",
            },
        ]
    )
    summary = summarize_output(pairs, conversations)
    assert [(item["key"], item["rows"]) for item in summary["licenses"]] == [("ODC-BY-1.0", 2), ("MIT", 1)]
    assert [(t["provider"], t["rows"]) for t in summary["terms"]] == [("anthropic", 1), ("openai", 1)]
    assert summary["use"] == "noncommercial"
    assert any("a pair's two sides" in step for step in summary["derivation"])
    assert summarize_output(pairs)["terms"] == []


def test_unregistered_and_closed_licenses_are_flagged() -> None:
    summary = summarize_output(
        rows_of(("LMSYS-Chat-1M", None, None), ("Our Terms v2", None, None), ("CC-BY-ND-4.0", None, None))
    )
    assert summary["id"] == "other"
    assert summary["use"] == "unknown"
    assert summary["redistribution_allowed"] is False
    assert summary["expression"] == "CC-BY-ND-4.0 AND LicenseRef-LMSYS-Chat-1M AND LicenseRef-Our-Terms-v2"
    unknown = next(item for item in summary["licenses"] if item["key"] == "Our Terms v2")
    assert unknown["use"] == "unknown" and unknown["url"] is None
    text = " ".join(summary["derivation"])
    assert "No derivatives: rows under CC-BY-ND-4.0 may not be shared once changed" in text
    assert "Redistribution: LMSYS-Chat-1M, Our Terms v2 do not allow passing the data on" in text


def test_summary_of_no_rows() -> None:
    summary = summarize_output(schema.empty())
    assert (summary["id"], summary["use"], summary["licenses"], summary["attributions"]) == (
        "unknown",
        "unknown",
        [],
        [],
    )
    assert summary["derivation"] == ["The output has no rows, so there is no license to derive."]


POOL = [
    "MIT",
    "CC0-1.0",
    "CC-BY-4.0",
    "CC-BY-NC-4.0",
    "unspecified",
    "research-only",
    "CC-BY-SA-4.0",
    "ODC-BY-1.0",
]
RANK = ["commercial", "unspecified", "noncommercial", "academic", "unknown"]


@settings(max_examples=60, deadline=None)
@given(
    licenses=st.lists(
        st.lists(st.sampled_from(POOL), min_size=1, max_size=2).map(combine_licenses), min_size=1, max_size=20
    ),
    seed=st.randoms(use_true_random=False),
)
def test_summary_counts_rows_and_takes_the_most_restrictive_use(licenses: list[str], seed: Any) -> None:
    output = rows_of(*[(lic, None, None) for lic in licenses])
    summary = summarize_output(output)
    for item in summary["licenses"]:
        assert item["rows"] == sum(item["key"] in license_parts(lic) for lic in licenses)
    classes = {registry().license(part).use for lic in licenses for part in license_parts(lic)}
    expected = max(classes, key=RANK.index)
    # Rows with no license at all keep the dataset `unspecified`: nothing grants noncommercial use.
    assert summary["use"] == (
        "unspecified" if expected == "noncommercial" and "unspecified" in classes else expected
    )
    shuffled = output.sample(fraction=1.0, shuffle=True, seed=seed.randint(0, 2**16))
    assert summarize_output(shuffled) == summary


def test_a_source_is_credited_as_a_known_dataset_only_when_its_input_says_so() -> None:
    summary = summarize_output(rows_of(("MIT", None, "ultrafeedback")))
    assert summary["attributions"][0]["text"].startswith(
        "Contains data from ultrafeedback, licensed under MIT"
    )
