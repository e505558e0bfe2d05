"""The pairs stage: output rows, shared prompts, the per-prompt limit, accounting, options."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate import schema
from curate.errors import ConfigError
from curate.pairing import REASONS
from curate.stages.pairs import Pairs
from tests.helpers import conversation, figures, frame, run_pipeline
from tests.pairs_support import write_jsonl


def pairs_of(rows: list[dict[str, Any]], **options: Any) -> pl.DataFrame:
    return Pairs.from_options(**options)(frame(*rows)).kept


def battle(id: str, outcome: str, group: str, *turns: tuple[str, str], **columns: Any) -> dict[str, Any]:
    turns = turns or (("user", f"Question of {group}?"), ("assistant", f"Reply {id}."))
    return conversation(id, *turns, group=group, signal={"outcome": outcome}, **columns)


def test_output_columns_and_values() -> None:
    rows = [
        battle("a", "win", "b1", license="CC-BY-4.0", language="en", model="x"),
        battle("b", "loss", "b1", license="ODC-BY-1.0", language="en", model="y"),
    ]
    kept = pairs_of(rows, strategies=["battle"])
    assert kept.columns == [*schema.PAIR, "_prompt_cluster"]
    assert kept.schema == pl.Schema({**schema.PAIR, "_prompt_cluster": pl.String()})
    row = kept.row(0, named=True)
    assert row["prompt"] == [{"role": "user", "content": "Question of b1?"}]
    assert row["chosen"] == [{"role": "assistant", "content": "Reply a."}]
    assert row["rejected"] == [{"role": "assistant", "content": "Reply b."}]
    assert (row["strategy"], row["source"], row["language"]) == ("battle", "test", "en")
    assert row["license"] == "CC-BY-4.0 AND ODC-BY-1.0"
    assert (row["chosen_id"], row["rejected_id"]) == ("a", "b")
    assert row["_prompt_cluster"].startswith("prompt:")


@pytest.mark.parametrize(
    ("chosen", "rejected", "prompt", "sides"),
    [
        (
            [("system", "Be kind."), ("user", "Q1"), ("assistant", "A1")],
            [("system", "Be kind."), ("user", "Q1"), ("assistant", "B1")],
            [("system", "Be kind."), ("user", "Q1")],
            ([("assistant", "A1")], [("assistant", "B1")]),
        ),
        (
            [("user", "Q1"), ("assistant", "A1"), ("user", "Q2"), ("assistant", "A2")],
            [("user", "Q1"), ("assistant", "B1"), ("user", "Q2"), ("assistant", "B2")],
            [("user", "Q1")],
            ([("assistant", "A1")], [("assistant", "B1")]),
        ),
        (
            [("user", "Q1"), ("assistant", "S1"), ("user", "Q2"), ("assistant", "A2")],
            [("user", "Q1"), ("assistant", "S1"), ("user", "Q2"), ("assistant", "B2")],
            [("user", "Q1"), ("assistant", "S1"), ("user", "Q2")],
            ([("assistant", "A2")], [("assistant", "B2")]),
        ),
        (
            [("user", "Q1"), ("assistant", "A1"), ("user", "Unanswered")],
            [("user", "Q1"), ("assistant", "B1")],
            [("user", "Q1")],
            ([("assistant", "A1")], [("assistant", "B1")]),
        ),
    ],
    ids=["system prompt kept", "multi-turn battle diverging at once", "shared history", "unanswered turn"],
)
def test_prompt_is_the_shared_context(
    chosen: list[tuple[str, str]],
    rejected: list[tuple[str, str]],
    prompt: list[tuple[str, str]],
    sides: tuple[list[tuple[str, str]], list[tuple[str, str]]],
) -> None:
    kept = pairs_of(
        [battle("a", "win", "g", *chosen), battle("b", "loss", "g", *rejected)], strategies=["battle"]
    )
    row = kept.row(0, named=True)

    def turns(messages: list[dict[str, str]]) -> list[tuple[str, str]]:
        return [(m["role"], m["content"]) for m in messages]

    assert (turns(row["prompt"]), turns(row["chosen"]), turns(row["rejected"])) == (prompt, *sides)


NEAR_DUPLICATES = [
    battle("a1", "win", "g1", ("user", "How do tides work?"), ("assistant", "The moon."), prompt_cluster="c"),
    battle("a2", "loss", "g1", ("user", "How do tides work?"), ("assistant", "No idea."), prompt_cluster="c"),
    battle("b1", "win", "g2", ("user", "How do tides work ?"), ("assistant", "Gravity."), prompt_cluster="c"),
    battle("b2", "loss", "g2", ("user", "How do tides work ?"), ("assistant", "Magic."), prompt_cluster="c"),
    battle(
        "c1", "win", "g3", ("user", "Why is the sky blue?"), ("assistant", "Scattering."), prompt_cluster="d"
    ),
    battle("c2", "loss", "g3", ("user", "Why is the sky blue?"), ("assistant", "Paint."), prompt_cluster="d"),
]


@pytest.mark.parametrize(
    ("limit", "per_cluster"), [(1, {"c": 1, "d": 1}), (2, {"c": 2, "d": 1}), (None, {"c": 2, "d": 1})]
)
def test_max_per_prompt_counts_near_duplicate_prompts_together(
    limit: int | None, per_cluster: dict[str, int]
) -> None:
    stage = Pairs.from_options(strategies=["battle"], max_per_prompt=limit)
    output = stage(frame(*NEAR_DUPLICATES))
    counts = dict(output.kept.group_by("_prompt_cluster").len().iter_rows())
    assert counts == per_cluster
    capped = output.rejected.filter(pl.col("reason") == "max_per_prompt")["id"].to_list()
    assert len(capped) == 2 * (3 - sum(per_cluster.values()))
    assert figures(stage)["groups_without_pair"] == ({"max_per_prompt": 1} if limit == 1 else {})


def test_without_dedup_different_prompts_are_different_clusters() -> None:
    rows = [{**row, "prompt_cluster": None} for row in NEAR_DUPLICATES]
    assert pairs_of(rows, strategies=["battle"]).height == 3


def test_choice_among_candidates_is_seeded_and_independent_of_row_order() -> None:
    def chosen(rows: list[dict[str, Any]], seed: int) -> str:
        kept = pairs_of(rows, strategies=["battle"], seed=seed)
        return str(kept.filter(pl.col("_prompt_cluster") == "c")["chosen_id"].item())

    by_seed = {seed: chosen(NEAR_DUPLICATES, seed) for seed in range(12)}
    assert set(by_seed.values()) == {"a1", "b1"}
    for seed, picked in by_seed.items():
        assert chosen(NEAR_DUPLICATES[::-1], seed) == picked


@pytest.mark.parametrize(
    ("strategies", "kept"), [(["battle", "model_rank"], "battle"), (["model_rank", "battle"], "model_rank")]
)
def test_the_limit_keeps_pairs_of_earlier_strategies_first(strategies: list[str], kept: str) -> None:
    rows = [
        battle("a", "win", "g1", ("user", "Same prompt"), ("assistant", "Voted best.")),
        battle("b", "loss", "g1", ("user", "Same prompt"), ("assistant", "Voted worst.")),
        conversation("c", ("user", "Same prompt"), ("assistant", "From gpt-4."), model="gpt-4"),
        conversation("d", ("user", "Same prompt"), ("assistant", "From gpt-3.5."), model="gpt-3.5-turbo"),
    ]
    for seed in range(5):
        pairs = pairs_of(
            rows, strategies=strategies, model_rank={"ranking": ["gpt-4*", "gpt-3.5*"]}, seed=seed
        )
        assert pairs["strategy"].to_list() == [kept]


def test_pair_ids_are_stable_and_distinct() -> None:
    rows = [battle("a", "win", "g"), battle("b", "loss", "g")]
    first = pairs_of(rows, strategies=["battle"])["id"].item()
    assert pairs_of(rows[::-1], strategies=["battle"])["id"].item() == first
    other_source = [{**row, "source": "elsewhere"} for row in rows]
    assert pairs_of(other_source, strategies=["battle"])["id"].item() != first
    assert len(first) == 24


def test_split_column_follows_the_chosen_side() -> None:
    rows = frame(battle("a", "win", "g"), battle("b", "loss", "g")).with_columns(_split=pl.lit("test"))
    kept = Pairs.from_options(strategies=["battle"])(rows).kept
    assert kept["_split"].to_list() == ["test"]


def test_report_counts_groups_and_pairs() -> None:
    rows = [
        battle("a", "win", "g1"),
        battle("b", "loss", "g1"),
        battle("c", "tie", "g2"),
        battle("d", "tie", "g2"),
        battle("e", "win", "g3"),
        conversation("f", ("user", "Hi"), ("assistant", "Hello"), model="gpt-4"),
        conversation("g", ("user", "Hi"), ("assistant", "Hey"), model="gpt-3.5"),
    ]
    stage = Pairs.from_options(
        strategies=["battle", "model_rank"], model_rank={"ranking": ["gpt-4*", "gpt-3.5*"]}
    )
    stage(frame(*rows))
    assert figures(stage) == {
        "strategies": ["battle", "model_rank"],
        "conversations": 7,
        "groups": 4,
        "prompt_clusters": 4,
        "pairs": 2,
        "pairs_by_strategy": {"battle": 1, "model_rank": 1},
        "groups_without_pair": {"single_reply": 1, "tie": 1},
        "max_per_prompt": 1,
    }


def test_no_value_from_a_record_in_reasons_or_details() -> None:
    secret = "jane.doe@example.com"
    rows = [
        battle("a", "tie", "g", ("user", f"Mail {secret}"), ("assistant", secret)),
        battle("b", "tie", "g", ("user", f"Mail {secret}"), ("assistant", secret + "!")),
        conversation("c", ("user", secret), ("assistant", secret), model=secret),
    ]
    stage = Pairs.from_options(strategies=["battle", "model_rank"], model_rank={"ranking": ["gpt-4*"]})
    output = stage(frame(*rows))
    text = " ".join(output.rejected["reason"].to_list() + output.rejected["detail"].to_list()) + str(
        figures(stage)
    )
    assert secret not in text


SIGNALS = st.fixed_dictionaries(
    {
        "outcome": st.sampled_from([None, "win", "loss", "tie", "both_bad"]),
        "rank": st.one_of(st.none(), st.integers(0, 3)),
        "score": st.one_of(st.none(), st.sampled_from([1.0, 2.0, 2.5, 5.0])),
        "thumbs": st.sampled_from([None, "up", "down"]),
        "label": st.sampled_from([None, "chosen", "rejected"]),
    }
)
ROWS = st.lists(
    st.tuples(
        st.sampled_from([None, "g1", "g2", "g3"]),
        st.sampled_from([None, "c1", "c2"]),
        st.sampled_from(["Q1", "Q2", "Q3"]),
        st.sampled_from(["A", "B", "C", "", "A longer reply"]),
        st.sampled_from([None, "gpt-4", "gpt-3.5", "llama"]),
        SIGNALS,
    ),
    max_size=14,
)


@settings(max_examples=150, deadline=None)
@given(
    ROWS,
    st.permutations(["battle", "ranked", "rated", "thumbs", "model_rank", "given"]),
    st.sampled_from([None, 1, 2]),
)
def test_every_conversation_is_paired_or_rejected_with_a_declared_reason(
    rows: list[tuple[Any, ...]], strategies: list[str], limit: int | None
) -> None:
    conversations = frame(
        *[
            conversation(
                f"r{number}",
                ("user", prompt),
                ("assistant", text),
                group=group,
                prompt_cluster=cluster if group is None else "c1",
                model=model,
                signal=signal,
            )
            for number, (group, cluster, prompt, text, model, signal) in enumerate(rows)
        ]
    )
    stage = Pairs.from_options(
        strategies=strategies, model_rank={"ranking": ["gpt-4*", "gpt-3.5*"]}, max_per_prompt=limit, seed=1
    )
    output = stage(conversations)
    kept, rejected = output.kept, output.rejected
    used = set(kept["chosen_id"].to_list()) | set(kept["rejected_id"].to_list())
    assert output.consumed == len(used)
    assert used.isdisjoint(rejected["id"].to_list())
    assert len(used) + rejected.height == conversations.height
    assert set(rejected["reason"].to_list()) <= set(REASONS)
    assert all(c != r for c, r in zip(kept["chosen"].to_list(), kept["rejected"].to_list(), strict=True))
    assert kept["id"].n_unique() == kept.height
    if limit is not None and kept.height:
        assert kept.group_by("_prompt_cluster").len()["len"].max() <= limit  # type: ignore[operator]
    assert figures(stage)["pairs"] == kept.height
    again = Pairs.from_options(
        strategies=strategies, model_rank={"ranking": ["gpt-4*", "gpt-3.5*"]}, max_per_prompt=limit, seed=1
    )(conversations.reverse())
    assert sorted(again.kept["id"].to_list()) == sorted(kept["id"].to_list())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("{strategies: []}", "stages[0].pairs.strategies: List should have at least 1 item"),
        ("{strategies: [votes]}", "stages[0].pairs.strategies[0]: Input should be 'battle'"),
        ("{strategies: [battle, battle]}", "a strategy is listed twice"),
        ("{strategies: [model_rank]}", "`model_rank` needs `model_rank.ranking`"),
        (
            "{strategies: [battle], ranked: {pairing: all}}",
            "options given for ranked but `strategies` does not list it",
        ),
        ("{strategies: [ranked], ranked: {pairing: some}}", "stages[0].pairs.ranked.pairing"),
        ("{strategies: [rated], rated: {min_margin: -1}}", "stages[0].pairs.rated.min_margin"),
        (
            "{strategies: [rated], rated: {aspects: {helpfulness: 0}}}",
            "at least one aspect weight must be non-zero",
        ),
        ("{strategies: [battle], max_per_prompt: 0}", "stages[0].pairs.max_per_prompt"),
        ("{strategies: [battle], pairing: all}", "unknown key 'pairing'"),
    ],
)
def test_invalid_options_are_named(tmp_path: Any, options: str, message: str) -> None:
    data = write_jsonl(tmp_path / "rows.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    text = (
        f"name: t\ninputs: [{{name: s, path: {data.name}, format: openai}}]\nstages:\n  - pairs: {options}\n"
    )
    with pytest.raises(ConfigError) as caught:
        run_pipeline(tmp_path, text, write=False)
    assert message in str(caught.value)


def test_copies_of_a_reply_are_paired_once() -> None:
    rows = [
        conversation("a", ("user", "Q"), ("assistant", "Same words."), group="g", signal={"label": "chosen"}),
        conversation("b", ("user", "Q"), ("assistant", "Same words."), group="g", signal={"label": "chosen"}),
        conversation(
            "c", ("user", "Q"), ("assistant", "Other words."), group="g", signal={"label": "rejected"}
        ),
    ]
    output = Pairs.from_options(strategies=["given"], max_per_prompt=None)(frame(*rows))
    assert output.kept.height == 1
    assert output.rejected["reason"].to_list() == ["duplicate_reply"]


def test_a_large_cluster_draws_only_the_pairs_it_keeps() -> None:
    replies = 1500
    rows = [
        conversation(f"{name}{i}", ("user", "hi"), ("assistant", f"Hello {i % 700}!"), model=name)
        for name in ("gpt-4", "gpt-3.5-turbo")
        for i in range(replies)
    ]
    stage = Pairs.from_options(strategies=["model_rank"], model_rank={"ranking": ["gpt-4*", "gpt-3.5*"]})
    output = stage(frame(*rows))
    assert output.kept.height == 1
    reasons = output.rejected.group_by("reason").len().sort("reason")
    assert dict(reasons.iter_rows()) == {
        "duplicate_reply": 2 * (replies - 700),
        "max_per_prompt": 2 * 700 - 2,
    }


def test_strategies_yield_candidates_lazily() -> None:
    from collections.abc import Iterator

    from curate.pairing.ranked import Ranked
    from curate.pairing.sides import read_sides

    rows = [
        conversation(f"r{i}", ("user", "Q"), ("assistant", f"Reply {i}"), group="g", signal={"rank": i % 3})
        for i in range(9)
    ]
    sides = read_sides(frame(*rows))
    verdict = Ranked().pair(sides)
    assert isinstance(verdict.candidates, Iterator)
    assert sorted(verdict.pairable) == [0, 2, 3, 5, 6, 8]


def test_rows_without_messages_have_no_reply() -> None:
    rows = [{**conversation("none"), "messages": None}, {**conversation("empty"), "messages": []}]
    output = Pairs.from_options(strategies=["battle"])(frame(*rows))
    assert output.rejected["reason"].to_list() == ["no_reply", "no_reply"]
