"""``output.format_variant``: what the ``pairs`` stage keeps for ``standard`` and ``kto``, and
how ``curate.writers.variants.export`` writes the rows."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate import schema
from curate.errors import OutputError, StageError
from curate.stages.base import RunContext
from curate.stages.pairs import Pairs
from curate.writers.variants import export
from tests.helpers import conversation, frame, run_pipeline
from tests.pairs_support import write_jsonl

KTO = RunContext(format_variant="kto")
STANDARD = RunContext(format_variant="standard")


def reply(id: str, group: str | None = None, prompt: str = "", **signal: Any) -> dict[str, Any]:
    """A one-turn conversation answering ``prompt`` (by default its group's), with ``signal``."""
    question = prompt or f"Question of {group or id}?"
    turns = (("user", question), ("assistant", f"Reply {id}, long enough."))
    return conversation(id, *turns, group=group, signal=signal or None)


def kto(rows: list[dict[str, Any]], **options: Any) -> tuple[dict[str, bool], dict[str, str]]:
    """Each conversation's label (by its id) and each rejected one's reason."""
    result = Pairs.from_options(KTO, **options)(frame(*rows))
    kept = export(schema.by_split(result.kept)["train"], "kto")
    labels = dict(zip(kept["completion_id"], kept["label"], strict=True))
    return labels, dict(zip(result.rejected["id"], result.rejected["reason"], strict=True))


@pytest.mark.parametrize(
    ("rows", "options", "labels", "reasons"),
    [
        pytest.param(
            [reply("a", "g", outcome="win"), reply("b", "g", outcome="loss")],
            {"strategies": ["battle"]},
            {"a": True, "b": False},
            {},
            id="a battle: winner desirable, loser not",
        ),
        pytest.param(
            [reply("a", "g", outcome="both_bad"), reply("b", "g", outcome="both_bad")],
            {"strategies": ["battle"]},
            {"a": False, "b": False},
            {},
            id="a both-bad vote: both undesirable",
        ),
        pytest.param(
            [reply("a", "g", outcome="tie"), reply("b", "g", outcome="tie")],
            {"strategies": ["battle"]},
            {},
            {"a": "tie", "b": "tie"},
            id="a tied vote labels nothing",
        ),
        pytest.param(
            [reply("up", thumbs="up"), reply("down", thumbs="down")],
            {"strategies": ["thumbs"]},
            {"up": True, "down": False},
            {},
            id="single thumbed replies",
        ),
        pytest.param(
            [reply(f"t{i}", "g", thumbs=thumb) for i, thumb in enumerate(["up", "up", "down", "down"])],
            {"strategies": ["thumbs"]},
            {"t0": True, "t1": True, "t2": False, "t3": False},
            {},
            id="every thumb of a group, beyond max_per_prompt",
        ),
        pytest.param(
            [reply("a", "g", thumbs="up"), reply("b", "g", thumbs="up")],
            {"strategies": ["thumbs"]},
            {"a": True, "b": True},
            {},
            id="thumbs that tie still label",
        ),
        pytest.param(
            [reply("up", thumbs="up")],
            {"strategies": ["battle"]},
            {},
            {"up": "single_reply"},
            id="a thumb counts only when thumbs is listed",
        ),
        pytest.param(
            [reply("hi", score=7.0), reply("lo", score=3.0), reply("edge", score=5.0)],
            {"strategies": ["rated"], "rated": {"desirable_at": 5}},
            {"hi": True, "lo": False, "edge": True},
            {},
            id="single rated replies against desirable_at",
        ),
        pytest.param(
            [reply("hi", score=7.0)],
            {"strategies": ["rated"]},
            {},
            {"hi": "single_reply"},
            id="no desirable_at, no label for a reply alone",
        ),
        pytest.param(
            [reply(f"r{rank}", "g", rank=rank) for rank in range(3)],
            {"strategies": ["ranked"]},
            {"r0": True, "r2": False},
            {"r1": "unpaired"},
            id="a rank alone labels nothing",
        ),
        pytest.param(
            [reply(f"r{rank}", "g", rank=rank) for rank in range(3)],
            {"strategies": ["ranked"], "ranked": {"pairing": "all"}, "max_per_prompt": None},
            {"r0": True, "r2": False},
            {"r1": "tie"},
            id="chosen as often as rejected",
        ),
        pytest.param(
            [
                reply("a", "g", score=9.0),
                reply("b", "g", score=6.0),
                reply("c", "g", score=4.0),
                reply("d", "g", score=1.0),
            ],
            {"strategies": ["rated"], "rated": {"desirable_at": 5}},
            {"a": True, "b": True, "c": False, "d": False},
            {},
            id="the middle of a rated group by its score",
        ),
        pytest.param(
            [reply("a", "g", score=4.0), reply("b", "g", score=2.0)],
            {"strategies": ["rated"], "rated": {"desirable_at": 5}},
            {"a": True, "b": False},
            {},
            id="a pair's label wins over the threshold",
        ),
        pytest.param(
            [conversation("short", ("user", "Q?"), ("assistant", "ok"), signal={"thumbs": "up"})],
            {"strategies": ["thumbs"], "min_chars": 5},
            {},
            {"short": "too_short"},
            id="an unusable reply stays out",
        ),
    ],
)
def test_kto_labels(
    rows: list[dict[str, Any]], options: dict[str, Any], labels: dict[str, bool], reasons: dict[str, str]
) -> None:
    assert kto(rows, **options) == (labels, reasons)


def test_a_kto_row_is_its_own_conversation() -> None:
    rows = [
        reply("a", "g", outcome="win") | {"license": "CC-BY-4.0", "language": "en", "source": "s1"},
        reply("b", "g", outcome="loss") | {"license": "MIT", "language": "de", "source": "s1"},
    ]
    kept = Pairs.from_options(KTO, strategies=["battle"])(frame(*rows)).kept
    assert kept.select("license", "language", "chosen_id", "rejected_id").rows() == [
        ("CC-BY-4.0", "en", "a", None),
        ("MIT", "de", None, "b"),
    ]
    assert kept["id"].n_unique() == 2
    assert kept["_prompt_cluster"].n_unique() == 1, "one group, one cluster: split keeps them together"


def test_the_report_counts_labels_and_replies_alone() -> None:
    rows = [reply("a", "g", outcome="win"), reply("b", "g", outcome="loss"), reply("up", thumbs="up")]
    report = Pairs.from_options(KTO, strategies=["battle", "thumbs"])(frame(*rows)).report
    assert (report.kto_desirable, report.kto_undesirable, report.kto_unpaired) == (2, 1, {"thumbs": 1})
    assert "Written for KTO" in Pairs.card_section(report)
    plain = Pairs.from_options(strategies=["battle", "thumbs"])(frame(*rows)).report
    assert "kto_desirable" not in plain.model_dump()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from([None, "up", "down"]),
            st.sampled_from([None, "win", "loss", "tie", "both_bad"]),
            st.sampled_from([None, 1.0, 6.0]),
        ),
        max_size=14,
    ),
    st.sampled_from([1, 2, None]),
)
def test_kto_gives_each_reply_at_most_one_row_and_accounts_for_every_one(
    signals: list[tuple[int, str | None, str | None, float | None]], limit: int | None
) -> None:
    rows = [
        reply(f"c{index}", f"g{group}", thumbs=thumb, outcome=outcome, score=score)
        for index, (group, thumb, outcome, score) in enumerate(signals)
    ]
    result = Pairs.from_options(
        KTO, strategies=["battle", "thumbs", "rated"], rated={"desirable_at": 5}, max_per_prompt=limit
    )(frame(*rows))
    kept = export(result.kept.drop("_prompt_cluster"), "kto")
    assert kept["completion_id"].n_unique() == kept.height == kept["id"].n_unique()
    assert set(kept["completion_id"]).isdisjoint(result.rejected["id"])
    assert kept.height + result.rejected.height == len(rows)
    for row in kept.iter_rows(named=True):
        thumb = signals[int(row["completion_id"][1:])][1]
        if row["strategy"] == "thumbs":
            assert row["label"] == (thumb == "up")


@pytest.mark.parametrize(
    ("turns", "reason"),
    [
        ([("user", "Q?")], None),
        ([("system", "Be brief."), ("user", "Q?")], "multi_turn_prompt"),
        ([("user", "Q1?"), ("assistant", "A1."), ("user", "Q2?")], "multi_turn_prompt"),
    ],
)
def test_standard_keeps_prompts_of_one_user_turn(turns: list[tuple[str, str]], reason: str | None) -> None:
    rows = [
        conversation(id, *turns, ("assistant", f"Answer {id}."), group="g", signal={"outcome": outcome})
        for id, outcome in (("a", "win"), ("b", "loss"))
    ]
    result = Pairs.from_options(STANDARD, strategies=["battle"])(frame(*rows))
    assert result.rejected["reason"].to_list() == ([] if reason is None else [reason, reason])
    if reason is None:
        assert export(result.kept.drop("_prompt_cluster"), "standard").row(0)[:3] == (
            "Q?",
            "Answer a.",
            "Answer b.",
        )
    else:
        assert "format_variant standard takes one user turn" in result.rejected["detail"][0]


def test_standard_takes_a_battle_whose_shared_prompt_is_one_turn() -> None:
    """Two models that diverge at their first answer are compared there, under one user turn."""
    rows = [
        conversation(
            id,
            ("user", "Q1?"),
            ("assistant", f"First {id}."),
            ("user", "Q2?"),
            ("assistant", f"Second {id}."),
            group="g",
            signal={"outcome": outcome},
        )
        for id, outcome in (("a", "win"), ("b", "loss"))
    ]
    kept = Pairs.from_options(STANDARD, strategies=["battle"])(frame(*rows)).kept
    assert export(kept.drop("_prompt_cluster"), "standard").row(0)[:3] == ("Q1?", "First a.", "First b.")


def messages(*turns: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in turns]


def test_standard_joins_the_turns_of_a_reply() -> None:
    pairs = schema.pairs(
        [
            {
                "prompt": messages(("user", "Q?")),
                "chosen": messages(("assistant", "One."), ("assistant", "Two.")),
                "rejected": messages(("assistant", "No.")),
                "id": "p",
            }
        ]
    )
    written = export(pairs, "standard")
    assert written.row(0)[:3] == ("Q?", "One.\n\nTwo.", "No.")
    assert written.columns == list(schema.PAIR)
    assert written.schema["prompt"] == pl.String


def test_kto_columns_and_values() -> None:
    pairs = schema.pairs(
        [
            {"prompt": messages(("user", "Q?")), "chosen": messages(("assistant", "Yes.")), "chosen_id": "a"},
            {
                "prompt": messages(("user", "Q?")),
                "rejected": messages(("assistant", "No.")),
                "score_rejected": 2.0,
                "rejected_id": "b",
            },
        ]
    ).with_columns(judge=pl.lit(None, pl.String))
    written = export(pairs, "kto")
    assert written.columns == [
        "prompt",
        "completion",
        "label",
        "score",
        "strategy",
        "source",
        "license",
        "language",
        "completion_id",
        "id",
        "judge",
    ]
    assert written.select("completion", "label", "score", "completion_id").rows() == [
        (messages(("assistant", "Yes.")), True, None, "a"),
        (messages(("assistant", "No.")), False, 2.0, "b"),
    ]


@pytest.mark.parametrize(
    ("variant", "row", "problem"),
    [
        ("standard", {"prompt": messages(("system", "S"), ("user", "Q"))}, "not one user turn"),
        ("standard", {"prompt": []}, "not one user turn"),
        ("kto", {"chosen": messages(("assistant", "A")), "rejected": messages(("assistant", "B"))}, "both"),
        ("kto", {"prompt": messages(("user", "Q"))}, "neither"),
    ],
)
def test_rows_that_do_not_fit_a_variant_are_refused(variant: Any, row: dict[str, Any], problem: str) -> None:
    with pytest.raises(OutputError, match=problem):
        export(schema.pairs([row]), variant)


def test_conversational_is_the_rows_as_they_are() -> None:
    pairs = schema.pairs([{"prompt": messages(("user", "Q?")), "id": "p"}])
    assert export(pairs, "conversational") is pairs


@pytest.mark.parametrize(("variant", "stops"), [("conversational", True), ("kto", False)])
def test_replies_alone_with_a_thumb_are_worth_running_for_kto(
    tmp_path: Any, variant: str, stops: bool
) -> None:
    """The early stop asks whether the stage can give any row: for kto a thumbed reply is one."""
    rows = [reply(f"c{i}", thumbs="up" if i % 2 else "down") for i in range(4)]
    write_jsonl(tmp_path / "rows.jsonl", [{**row, "source": None} for row in rows])
    text = f"""\
        name: thumbs
        inputs: [{{name: logs, path: rows.jsonl, format: canonical_rows, license: MIT}}]
        stages: [{{normalize: {{}}}}, {{pairs: {{strategies: [thumbs]}}}}]
        output: {{dir: out, format_variant: {variant}}}
        """
    if stops:
        with pytest.raises(StageError, match="cannot form any pair"):
            run_pipeline(tmp_path, text)
    else:
        assert run_pipeline(tmp_path, text).output.height == 4
