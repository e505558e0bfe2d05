"""Markdown helpers of the card: no value can break a table or close a fenced block early."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curate.card.reports import report_section
from curate.markdown import cell, code, fenced, table
from curate.record import StageStats


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_a_table_row_keeps_its_columns_whatever_the_text(values: list[str]) -> None:
    rendered = table([f"c{i}" for i in range(len(values))], [values]).splitlines()
    assert len(rendered) == 3
    unescaped_pipes = re.findall(r"(?<!\\)\|", rendered[2])
    assert len(unescaped_pipes) == len(values) + 1
    assert "<" not in rendered[2] and ">" not in rendered[2]


@given(st.text())
def test_a_fenced_block_cannot_be_closed_by_its_content(text: str) -> None:
    block = fenced(text, "text").splitlines()
    fence = block[0].removesuffix("text")
    assert set(fence) == {"`"} and len(fence) >= 3
    inner = [line for line in block[1:-1] if line.strip().startswith(fence)]
    assert not inner
    assert block[-1] == fence


@given(st.text(min_size=1))
def test_inline_code_outlasts_backticks_inside(text: str) -> None:
    rendered = code(text)
    ticks = len(rendered) - len(rendered.lstrip("`"))
    runs = [len(run) for run in re.findall(r"`+", text)]
    assert all(run != ticks for run in runs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (12345, "12,345"),
        (0.8, "0.8"),
        (["a", 2], "a, 2"),
        ("a|b", "a\\|b"),
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("two\nlines", "two lines"),
    ],
)
def test_cell(value: object, expected: str) -> None:
    assert cell(value) == expected


def test_numbers_align_right_and_words_left() -> None:
    assert table(["name", "rows"], [["a", 1]]).splitlines()[1] == "| --- | ---: |"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.sampled_from(["toxicity", "minhash_v2", "my-plugin"]),
    st.dictionaries(st.text(max_size=12), JSON, min_size=1, max_size=5),
)
def test_any_report_of_a_stage_not_installed_renders_as_tables(name: str, report: dict[str, object]) -> None:
    stats = StageStats(name=name, rows_in=1, rows_out=1, rows_rejected=0, seconds=0.0, report=report)
    section = report_section(stats, None, name)
    assert section is None or section.startswith(f"### {name}\n\n")


def test_the_pairs_section_shows_score_margins() -> None:
    from curate.stages.pairs import PairsReport

    margins = {"rated": {"pairs": 2, "min": 1.0, "p25": 1.0, "median": 1.0, "p75": 5.5, "max": 5.5}}
    report = PairsReport(
        strategies=["rated"],
        conversations=4,
        groups=2,
        prompt_clusters=2,
        pairs=2,
        pairs_by_strategy={"rated": 2},
        groups_without_pair={},
        max_per_prompt=None,
        score_margins=margins,
    )
    stats = StageStats(
        name="pairs", rows_in=4, rows_out=2, rows_rejected=0, seconds=0.0, report=report.model_dump()
    )
    section = report_section(stats, report, "pairs")
    assert section is not None
    assert "Score margins (chosen minus rejected) of the pairs scored on both sides:" in section
    assert "| `rated` | 2 | 1 | 1 | 1 | 5.5 | 5.5 |" in section
