"""License expressions: AND, OR, WITH and parentheses, and what each means for a row's use."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.errors import LicenseError
from curate.licensing import (
    LicenseExpressionError,
    UsePolicy,
    check_license_key,
    combine_licenses,
    expression_use,
    license_parts,
    parse_expression,
    registry,
    summarize_output,
)
from curate.licensing.policy import licenses_in_use
from tests.helpers import conversation, frame


@pytest.mark.parametrize(
    ("written", "canonical", "parts"),
    [
        ("MIT", "MIT", ["MIT"]),
        ("  MIT ", "MIT", ["MIT"]),
        ("ODC-BY-1.0 AND CC-BY-4.0", "CC-BY-4.0 AND ODC-BY-1.0", ["CC-BY-4.0", "ODC-BY-1.0"]),
        ("B AND A AND B", "A AND B", ["A", "B"]),
        ("A AND (B AND C)", "A AND B AND C", ["A", "B", "C"]),
        ("MIT OR Apache-2.0", "Apache-2.0 OR MIT", ["Apache-2.0", "MIT"]),
        ("A OR A", "A", ["A"]),
        ("A AND B OR C", "(A AND B) OR C", ["A", "B", "C"]),
        ("C OR B AND A", "(A AND B) OR C", ["A", "B", "C"]),
        ("(C OR B) AND A", "A AND (B OR C)", ["A", "B", "C"]),
        ("((MIT))", "MIT", ["MIT"]),
        ("GPL-2.0 WITH Classpath-exception-2.0", "GPL-2.0 WITH Classpath-exception-2.0", ["GPL-2.0"]),
        ("MIT OR GPL-2.0 WITH X", "GPL-2.0 WITH X OR MIT", ["GPL-2.0", "MIT"]),
        ("mit and cc0-1.0", "cc0-1.0 AND mit", ["cc0-1.0", "mit"]),
        ("cc by 4.0 AND odc-by", "cc by 4.0 AND odc-by", ["cc by 4.0", "odc-by"]),
        ("unspecified", "unspecified", ["unspecified"]),
        ("LicenseRef-ours", "LicenseRef-ours", ["LicenseRef-ours"]),
    ],
)
def test_expressions_parse_into_one_canonical_form(written: str, canonical: str, parts: list[str]) -> None:
    assert str(parse_expression(written)) == canonical
    assert license_parts(written) == parts


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("MIT AND", "AND requires two or more licenses"),
        ("OR MIT", "Invalid"),
        ("MIT OR (", "Invalid expression"),
        ("(MIT", "Invalid expression"),
        ("MIT)", "Unbalanced parenthesis"),
        ("MIT WITH", "Invalid expression"),
        ("MIT WITH A WITH B", "Invalid expression"),
        ("MIT/Apache-2.0", "Invalid license key"),
        ("( )", "the parser cannot read it"),
    ],
)
def test_an_invalid_expression_is_a_license_error_naming_it(written: str, problem: str) -> None:
    with pytest.raises(LicenseExpressionError) as caught:
        parse_expression(written)
    message = str(caught.value)
    assert message.startswith(f"{written!r} is not a license expression: ")
    assert problem in message
    assert message.endswith("write license keys joined by AND, OR or WITH, with parentheses around groups")
    assert isinstance(caught.value, LicenseError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("written", ["MIT AND", "MIT/Apache-2.0", "a(b)"])
def test_a_record_s_odd_license_is_one_unknown_license(written: str) -> None:
    assert license_parts(written) == [written]
    assert registry().canonical_expression(written) == written
    assert UsePolicy().judge_license(written) is not None


@pytest.mark.parametrize("written", [None, "", "   "])
def test_no_license_names_none_and_combines_to_unspecified(written: str | None) -> None:
    assert parse_expression(written) is None
    assert license_parts(written) == []
    assert combine_licenses([written]) == "unspecified"
    assert registry().canonical_expression(written) == "unspecified"


@pytest.mark.parametrize(
    ("texts", "combined"),
    [
        (["MIT", "CC0-1.0"], "CC0-1.0 AND MIT"),
        (["MIT OR Apache-2.0", "CC-BY-4.0"], "(Apache-2.0 OR MIT) AND CC-BY-4.0"),
        (["MIT OR Apache-2.0", "Apache-2.0 OR MIT"], "Apache-2.0 OR MIT"),
        (["GPL-2.0 WITH X", "MIT"], "GPL-2.0 WITH X AND MIT"),
        (["A AND B", "B AND C"], "A AND B AND C"),
    ],
)
def test_combining_keeps_every_part_once(texts: list[str], combined: str) -> None:
    assert combine_licenses(texts) == combined


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("odc-by OR cc by 4.0", "CC-BY-4.0 OR ODC-BY-1.0"),
        ("(mit OR apache 2.0) AND odc-by", "(Apache-2.0 OR MIT) AND ODC-BY-1.0"),
        ("mit WITH some-exception", "MIT WITH some-exception"),
        ("MIT OR mit license", "MIT"),
        ("our-terms OR mit", "MIT OR our-terms"),
    ],
)
def test_the_registry_resolves_each_license_of_an_expression(written: str, canonical: str) -> None:
    assert registry().canonical_expression(written) == canonical


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("mit OR apache 2.0", "Apache-2.0 OR MIT"),
        ("MIT WITH anything", "MIT WITH anything"),
    ],
)
def test_a_pipeline_file_may_write_or_and_with(written: str, canonical: str) -> None:
    assert check_license_key(written) == canonical


@pytest.mark.parametrize(
    ("written", "use", "in_use"),
    [
        ("MIT", "commercial", ["MIT"]),
        ("MIT AND CC-BY-NC-4.0", "noncommercial", ["CC-BY-NC-4.0", "MIT"]),
        ("CC-BY-NC-4.0 OR MIT", "commercial", ["MIT"]),
        ("research-only OR CC-BY-NC-4.0", "noncommercial", ["CC-BY-NC-4.0"]),
        ("MIT OR Apache-2.0", "commercial", ["Apache-2.0"]),
        ("(CC-BY-NC-4.0 OR MIT) AND research-only", "academic", ["MIT", "research-only"]),
        ("CC-BY-NC-4.0 AND MIT OR research-only", "noncommercial", ["CC-BY-NC-4.0", "MIT"]),
        ("MIT WITH some-exception", "commercial", ["MIT"]),
        ("our-terms OR CC-BY-NC-4.0", "noncommercial", ["CC-BY-NC-4.0"]),
        ("our-terms AND MIT", "unknown", ["MIT", "our-terms"]),
        (None, "unspecified", ["unspecified"]),
    ],
)
def test_and_takes_the_most_restrictive_part_and_or_the_least_restrictive_choice(
    written: str | None, use: str, in_use: list[str]
) -> None:
    assert expression_use(written) == use
    assert licenses_in_use(written) == in_use


@pytest.mark.parametrize(
    ("written", "options", "reason"),
    [
        ("CC-BY-NC-4.0 OR MIT", {}, None),
        ("CC-BY-NC-4.0 AND MIT", {}, "license:CC-BY-NC-4.0"),
        ("CC-BY-NC-4.0 OR research-only", {}, "license:CC-BY-NC-4.0"),
        ("CC-BY-NC-4.0 OR MIT", {"deny": frozenset({"MIT"})}, "license:CC-BY-NC-4.0"),
        ("our-terms OR MIT", {}, None),
        ("our-terms OR CC-BY-NC-4.0", {}, "license:CC-BY-NC-4.0"),
        ("MIT WITH some-exception", {}, None),
        ("CC-BY-NC-4.0 WITH some-exception", {}, "license:CC-BY-NC-4.0"),
    ],
)
def test_the_policy_keeps_a_choice_when_one_alternative_is_allowed(
    written: str, options: dict[str, object], reason: str | None
) -> None:
    verdict = UsePolicy(**options).judge_license(written)  # type: ignore[arg-type]
    assert (verdict.reason if verdict else None) == reason


def test_the_summary_counts_a_choice_under_its_least_restrictive_alternative() -> None:
    rows = frame(
        conversation("a", license="CC-BY-NC-4.0 OR MIT"),
        conversation("b", license="MIT AND ODC-BY-1.0"),
    )
    summary = summarize_output(rows)
    assert [(item["key"], item["rows"]) for item in summary["licenses"]] == [("MIT", 2), ("ODC-BY-1.0", 1)]
    assert summary["use"] == "commercial"
    assert summary["expression"] == "MIT AND ODC-By-1.0"
    assert (
        "A row under a choice of licenses (OR) counts under its least restrictive alternative."
        in (summary["derivation"])
    )


WORDS = ["MIT", "cc by 4.0", "A", "b", "AND", "and", "OR", "WITH", "(", ")", "/", "  "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=9).map(" ".join))
def test_any_text_reads_as_an_expression_in_canonical_form(text: str) -> None:
    try:
        parsed = parse_expression(text)
    except LicenseExpressionError:
        parsed = parse_expression(text, strict=False)
        assert parsed is not None and str(parsed) == text.strip()
        return
    if parsed is not None:
        assert parse_expression(str(parsed)) == parsed
        assert combine_licenses([str(parsed), str(parsed)]) == str(parsed)
