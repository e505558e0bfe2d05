"""The ``license`` stage: use classes against target uses, model terms, and the options around them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from curate.errors import ConfigError
from curate.stages.license import License
from tests.helpers import conversation, figures, frame, run_pipeline

TARGETS = ("commercial", "noncommercial", "academic", "any")
# A license of each use class, and whether each target use keeps it (commercial, noncommercial,
# academic, any). Class `unknown` is decided by the `unknown:` option, tested below.
BY_CLASS = [
    ("MIT", (True, True, True, True)),
    ("unspecified", (False, True, True, True)),
    ("CC-BY-NC-4.0", (False, True, True, True)),
    ("research-only", (False, False, True, True)),
]


def judge(rows: list[dict[str, Any]], **options: Any) -> pl.DataFrame:
    """Run the stage; one row per input row with its id, license and reason (null when kept)."""
    output = License.from_options(**options)(frame(*rows))
    kept = output.kept.select("id", "license").with_columns(reason=pl.lit(None, dtype=pl.String))
    return pl.concat([kept, output.rejected.select("id", "license", "reason")]).sort("id")


def reason_of(license: str | None, model: str | None = None, **options: Any) -> str | None:
    result = judge([conversation("r", license=license, model=model)], **options)
    return result["reason"][0]


@pytest.mark.parametrize(("license", "keeps"), BY_CLASS)
@pytest.mark.parametrize("target", range(len(TARGETS)))
def test_each_use_class_against_each_target_use(license: str, keeps: tuple[bool, ...], target: int) -> None:
    expected = None if keeps[target] else f"license:{license}"
    assert reason_of(license, use=TARGETS[target]) == expected


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("license", "unknown", "expected"),
    [
        ("unknown", "reject", "license:unknown"),
        ("unknown", "allow", None),
        ("AI2-ImpACT-HR", "reject", "license:AI2-ImpACT-HR"),
        ("AI2-ImpACT-HR", "allow", None),
        ("our-own-terms-v2", "reject", "license:unknown"),
        ("our-own-terms-v2", "allow", None),
    ],
)
def test_unknown_licenses_follow_the_unknown_policy(
    license: str, unknown: str, expected: str | None, target: str
) -> None:
    assert reason_of(license, use=target, unknown=unknown) == expected


@pytest.mark.parametrize(
    ("model", "options", "expected"),
    [
        ("gpt-4-0314", {"use": "commercial"}, "terms:openai"),
        ("gpt-4-0314", {"use": "commercial", "model_terms": "ignore"}, None),
        ("gpt-4-0314", {"use": "noncommercial"}, None),
        ("claude-instant-v1", {"use": "commercial"}, "terms:anthropic"),
        ("palm-2", {"use": "commercial"}, "terms:google"),
        ("llama-2-13b-chat", {"use": "noncommercial"}, "terms:meta-llama-2"),
        ("llama-2-13b-chat", {"use": "academic"}, None),
        ("llama-2-13b-chat", {"use": "noncommercial", "model_terms": "ignore"}, None),
        ("llama-3.1-8b-instruct", {"use": "commercial"}, None),
        (
            "llama-3.1-8b-instruct",
            {"use": "commercial", "require_attribution": False},
            "terms:meta-llama-3.1",
        ),
        ("mixtral-8x7b-instruct-v0.1", {"use": "commercial"}, None),
        ("olmo-2-13b-instruct", {"use": "commercial"}, None),
        (None, {"use": "commercial"}, None),
    ],
)
def test_model_terms_applied_and_ignored(
    model: str | None, options: dict[str, Any], expected: str | None
) -> None:
    assert reason_of("CC0-1.0", model, **options) == expected


def test_a_license_refusal_is_named_before_a_terms_refusal() -> None:
    assert reason_of("CC-BY-NC-4.0", "gpt-4", use="commercial") == "license:CC-BY-NC-4.0"


@pytest.mark.parametrize(
    ("license", "options", "expected"),
    [
        ("MIT", {"require_attribution": False}, "license:MIT"),
        ("CC0-1.0", {"require_attribution": False}, None),
        ("PDDL-1.0", {"require_attribution": False}, None),
        ("CC-BY-NC-4.0", {"use": "commercial", "allow": ["cc-by-nc-4.0"]}, None),
        ("MIT", {"deny": ["MIT License"]}, "license:MIT"),
        ("CC-BY-4.0 AND CC-BY-NC-4.0", {"use": "commercial"}, "license:CC-BY-NC-4.0"),
        ("CC-BY-4.0 AND CC-BY-NC-4.0", {"use": "noncommercial"}, None),
        ("cc by 4.0", {"use": "commercial"}, None),
        (None, {"use": "commercial"}, "license:unspecified"),
    ],
)
def test_attribution_overrides_and_expressions(
    license: str | None, options: dict[str, Any], expected: str | None
) -> None:
    assert reason_of(license, **options) == expected


def test_a_record_without_a_license_is_explained() -> None:
    rejected = License.from_options(use="commercial")(frame(conversation("a", license=None))).rejected
    assert rejected.select("reason", "detail").row(0) == (
        "license:unspecified",
        "no license is stated, so nothing grants commercial use",
    )


def test_kept_rows_carry_canonical_licenses() -> None:
    result = judge(
        [
            conversation("a", license="cc by 4.0"),
            conversation("b", license="odc-by AND mit"),
            conversation("c", license="MIT AND MIT"),
            conversation("d", license="our-own-terms-v2"),
        ],
        unknown="allow",
    )
    assert result["license"].to_list() == ["CC-BY-4.0", "MIT AND ODC-BY-1.0", "MIT", "our-own-terms-v2"]


def test_details_explain_without_record_values() -> None:
    rows = [
        conversation("a", license="CC-BY-NC-4.0"),
        conversation("b", model="gpt-4-secret-finetune", license="MIT"),
        conversation("c", license="Private contract with jane@example.com"),
    ]
    rejected = License.from_options(use="commercial")(frame(*rows)).rejected.sort("id")
    assert rejected["detail"].to_list() == [
        "CC-BY-NC-4.0 allows noncommercial use at most; use is commercial",
        "OpenAI terms allow noncommercial use of outputs at most; use is commercial",
        "the license is not in the registry (unknown: reject)",
    ]
    stage = License.from_options(use="commercial")
    stage(frame(*rows))
    assert "jane@example.com" not in json.dumps(figures(stage))


def test_report_counts_kept_and_dropped_by_license_and_terms() -> None:
    stage = License.from_options(use="commercial")
    rows = [
        conversation("a", license="MIT", model="gpt-4"),
        conversation("b", license="MIT", model="mistral-7b-instruct"),
        conversation("c", license="CC-BY-4.0 AND CC-BY-NC-4.0"),
        conversation("d", license="whatever"),
    ]
    # Each call reports its own rows; a run adds up its shards' reports the same way.
    first, second = stage(frame(*rows[:2])).report, stage(frame(*rows[2:])).report
    assert first is not None and second is not None
    assert first.merged(second).model_dump() == {
        "use": "commercial",
        "model_terms": "apply",
        "unknown": "reject",
        "require_attribution": True,
        "licenses": {
            "CC-BY-4.0": {"kept": 0, "dropped": 1},
            "CC-BY-NC-4.0": {"kept": 0, "dropped": 1},
            "MIT": {"kept": 1, "dropped": 1},
            "unknown": {"kept": 0, "dropped": 1},
        },
        "terms": {"mistral": {"kept": 1, "dropped": 0}, "openai": {"kept": 0, "dropped": 1}},
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"use": "research"}, "Input should be 'commercial', 'noncommercial', 'academic' or 'any'"),
        ({"allow": ["cc-by-nc-4"]}, "unknown license 'cc-by-nc-4'; did you mean 'CC-BY-NC-4.0'?"),
        ({"allow": ["MIT"], "deny": ["mit"]}, "MIT cannot be in both `allow` and `deny`"),
        ({"deny": ["MIT AND CC0-1.0"]}, "name single licenses, not expressions"),
        ({"model_terms": "sometimes"}, "Input should be 'apply' or 'ignore'"),
        ({"usage": "commercial"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        License.Options.model_validate(options)
    assert message in str(caught.value)


POOL_LICENSES = [
    "MIT", "mit", "CC-BY-NC-4.0", "unspecified", None, "research-only", "unknown", "my-terms",
    "CC-BY-4.0 AND CC-BY-NC-4.0", "odc-by", "AI2-ImpACT-HR",
]  # fmt: skip
POOL_MODELS = [None, "gpt-4", "claude-2", "llama-2-7b-chat", "llama-3.1-8b", "olmo-2-7b", "gemma-7b"]
rows_strategy = st.lists(
    st.tuples(st.sampled_from(POOL_LICENSES), st.sampled_from(POOL_MODELS)), min_size=1, max_size=30
)
options_strategy = st.fixed_dictionaries(
    {
        "use": st.sampled_from(TARGETS),
        "model_terms": st.sampled_from(["apply", "ignore"]),
        "unknown": st.sampled_from(["reject", "allow"]),
        "require_attribution": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, options=options_strategy)
def test_every_row_is_kept_or_rejected_and_judged_on_its_own(
    rows: list[tuple[str | None, str | None]], options: dict[str, Any]
) -> None:
    records = [conversation(f"r{i:03d}", license=lic, model=model) for i, (lic, model) in enumerate(rows)]
    together = judge(records, **options)
    assert together["id"].to_list() == sorted(r["id"] for r in records)
    alone = pl.concat([judge([record], **options) for record in records]).sort("id")
    assert together.equals(alone)
    kept = together.filter(pl.col("reason").is_null())["id"].to_list()
    again = judge([r for r in records if r["id"] in kept], **options)
    assert again["reason"].null_count() == again.height


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_a_pipeline_drops_a_noncommercial_input_and_openai_replies(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    write_jsonl(
        tmp_path / "team.jsonl",
        [
            {"id": "t1", "messages": messages, "model": "olmo-2-13b-instruct"},
            {"id": "t2", "messages": messages, "model": "gpt-4-0613"},
            {"id": "t3", "messages": messages, "model": "olmo-2-13b-instruct", "license": "CC-BY-NC-4.0"},
        ],
    )
    write_jsonl(tmp_path / "public.jsonl", [{"id": "p1", "messages": messages, "model": "vicuna-13b"}])
    result = run_pipeline(
        tmp_path,
        """
        name: licensed
        inputs:
          - {name: team, path: team.jsonl, format: openai, license: cc-by-4.0}
          - {name: public, path: public.jsonl, format: openai, license: CC-BY-NC-4.0}
        stages:
          - license: {use: commercial}
        """,
        write=False,
    )
    assert result.output["id"].to_list() == ["t1"]
    assert result.output["license"].to_list() == ["CC-BY-4.0"]
    rejected = result.rejects_of("license").sort("id")
    assert rejected.select("id", "reason").rows() == [
        ("p1", "license:CC-BY-NC-4.0"),
        ("t2", "terms:openai"),
        ("t3", "license:CC-BY-NC-4.0"),
    ]


def test_a_pipeline_file_with_an_unknown_allow_key_fails_before_reading(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [])
    with pytest.raises(ConfigError) as caught:
        run_pipeline(
            tmp_path,
            """
            name: bad
            inputs: [{name: a, path: a.jsonl, format: openai}]
            stages:
              - license: {use: commercial, allow: [odc-by-1]}
            """,
            write=False,
        )
    assert "stages[0].license.allow" in str(caught.value)
    assert "did you mean 'ODC-BY-1.0'?" in str(caught.value)
