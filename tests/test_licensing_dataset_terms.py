"""A known dataset's model terms reach its rows that name no model; the use class a card claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from curate.config import InputConfig
from curate.errors import ConfigError
from curate.licensing import summarize_output
from curate.stages.base import RunContext
from curate.stages.license import License
from tests.helpers import conversation, frame, run_pipeline

ULTRAFEEDBACK_LIKE = [
    {"id": "u1", "prompt": "Name a prime.", "chosen": "Seven is prime.", "rejected": "Nine is prime."},
    {
        "id": "u2",
        "prompt": "Capital of France?",
        "chosen": "Paris.",
        "rejected": "Lyon.",
        "chosen_model": "olmo-2-13b-instruct",
        "rejected_model": "falcon-7b-instruct",
    },
]
OPENAI_DETAIL = (
    "OpenAI terms allow noncommercial use of outputs at most; use is commercial "
    "(ultrafeedback holds OpenAI outputs and the record names no model)"
)


def run(tmp_path: Path, license_options: str, dataset: str = "ultrafeedback") -> Any:
    path = tmp_path / "uf.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in ULTRAFEEDBACK_LIKE), encoding="utf-8")
    return run_pipeline(
        tmp_path,
        f"""
        name: uf
        inputs:
          - {{name: uf, path: uf.jsonl, format: preference, license: auto, dataset: {dataset}}}
        stages:
          - license: {license_options}
        """,
        write=False,
    )


@pytest.mark.parametrize(
    ("options", "dropped"),
    [
        ("{use: commercial}", {"u1:chosen": "terms:openai", "u1:rejected": "terms:openai"}),
        # Llama 2's terms (academic) are the first of UltraFeedback's to refuse non-commercial use.
        ("{use: noncommercial}", {"u1:chosen": "terms:meta-llama-2", "u1:rejected": "terms:meta-llama-2"}),
        ("{use: academic}", {}),
        ("{use: commercial, model_terms: ignore}", {}),
    ],
)
def test_rows_without_a_model_carry_their_datasets_model_terms(
    tmp_path: Path, options: str, dropped: dict[str, str]
) -> None:
    result = run(tmp_path, options)
    rejected = result.rejects_of("license")
    assert dict(zip(rejected["id"].to_list(), rejected["reason"].to_list(), strict=True)) == dropped
    # Rows that name their (open) models are judged by those models alone.
    assert {"u2:chosen", "u2:rejected"} <= set(result.output["id"].to_list())


def test_the_detail_says_the_terms_come_from_the_dataset(tmp_path: Path) -> None:
    rejected = run(tmp_path, "{use: commercial}").rejects_of("license")
    assert set(rejected["detail"].to_list()) == {OPENAI_DETAIL}


def test_a_dataset_without_model_terms_adds_none(tmp_path: Path) -> None:
    assert run(tmp_path, "{use: commercial}", dataset="hh-rlhf").rejects_of("license").height == 0


def test_the_report_counts_rows_under_each_providers_terms_they_were_weighed_on() -> None:
    spec = InputConfig.model_construct(
        name="uf", path="uf.jsonl", format="preference", license="auto", dataset="ultrafeedback"
    )
    stage = License(License.Options(use="commercial"), RunContext(inputs=(spec,)))
    stage.process(
        frame(
            conversation("a", source="uf"),
            conversation("b", source="uf", model="olmo-2-13b-instruct"),
            conversation("c", source="uf", license="CC-BY-NC-4.0"),  # dropped for its license first
            conversation("d", source="other"),
        )
    )
    terms = {key: value.model_dump() for key, value in stage.report().terms.items()}
    assert terms == {
        "google": {"kept": 0, "dropped": 1},
        "meta-llama-2": {"kept": 0, "dropped": 1},
        "openai": {"kept": 0, "dropped": 1},
    }


def uf_input() -> InputConfig:
    return InputConfig.model_construct(
        name="uf", path="uf.jsonl", format="preference", license="auto", dataset="ultrafeedback"
    )


def test_the_summary_applies_a_datasets_terms_to_rows_without_a_model() -> None:
    rows = frame(
        conversation("a", source="uf", license="MIT"),
        conversation("b", source="uf", license="MIT", model="olmo-2-13b-instruct"),
    )
    summary = summarize_output(rows, inputs=[uf_input()])
    assert [(t["provider"], t["rows"]) for t in summary["terms"]] == [
        ("google", 1),
        ("meta-llama-2", 1),
        ("openai", 1),
    ]
    assert summary["use"] == "academic"
    assert summarize_output(rows, inputs=[uf_input()], model_terms="ignore")["use"] == "commercial"


def test_a_pairs_side_without_a_model_carries_its_datasets_terms() -> None:
    conversations = frame(
        conversation("p:chosen", source="uf", license="MIT"),
        conversation("p:rejected", source="uf", license="MIT", model="olmo-2-13b-instruct"),
    )
    pairs = pl.DataFrame(
        {
            "source": ["uf"],
            "license": ["MIT"],
            "id": ["x"],
            "chosen_id": ["p:chosen"],
            "rejected_id": ["p:rejected"],
        }
    )
    summary = summarize_output(pairs, conversations, inputs=[uf_input()])
    assert {t["provider"] for t in summary["terms"]} == {"openai", "google", "meta-llama-2"}


@pytest.mark.parametrize(
    ("rows", "use"),
    [
        # ShareGPT-like rows (no license) with WildChat-like rows (ODC-BY, OpenAI outputs)
        ([("unspecified", None), ("unspecified", None), ("ODC-BY-1.0", "gpt-4")], "unspecified"),
        ([("unspecified", None), ("CC-BY-NC-4.0", None)], "unspecified"),
        ([("ODC-BY-1.0", "gpt-4")], "noncommercial"),
        ([("unspecified", None), ("MIT", None)], "unspecified"),
        ([("unspecified", None), ("research-only", None)], "academic"),
        ([("unspecified", None), ("some-unknown-license", None)], "unknown"),
        ([("MIT", None)], "commercial"),
    ],
)
def test_the_use_class_of_the_dataset(rows: list[tuple[str, str | None]], use: str) -> None:
    output = frame(*(conversation(f"c{i}", license=lic, model=model) for i, (lic, model) in enumerate(rows)))
    assert summarize_output(output)["use"] == use


def test_the_derivation_says_why_unspecified_stays_unspecified() -> None:
    output = frame(conversation("a", license="unspecified"), conversation("b", license="CC-BY-NC-4.0"))
    steps = summarize_output(output)["derivation"]
    assert any(step.startswith("Use: unspecified. Some rows carry no license") for step in steps)


def test_license_auto_on_an_arena_input_needs_the_release(tmp_path: Path) -> None:
    (tmp_path / "battles.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        run_pipeline(
            tmp_path,
            """
            name: arena
            inputs: [{name: a, path: battles.jsonl, format: arena, license: auto}]
            """,
            write=False,
        )
    message = str(caught.value)
    assert "`license: auto` needs `dataset:` because format 'arena' reads several known releases" in message
    for choice in (
        "chatbot-arena-conversations",
        "arena-human-preference-55k",
        "arena-human-preference-140k",
    ):
        assert choice in message
