"""Whether the configured strategies can form any pair, judged on the rows before the slow stages."""

from __future__ import annotations

from typing import Any

import pytest

from curate.pairing import estimate_pairing
from curate.pairing.feasibility import estimate_in_batches
from curate.stages.pairs import Pairs
from tests.helpers import conversation, frame


def reply(id: str, prompt: str = "Explain tides.", text: str | None = None, **columns: Any) -> dict[str, Any]:
    return conversation(id, ("user", prompt), ("assistant", text or f"Answer number {id}."), **columns)


RANKED = {"strategies": ["model_rank"], "model_rank": {"ranking": ["gpt-4*", "gpt-3.5*"]}}
CASES = [
    # (test id, pairs options, rows, groups, groups with two replies, decided by strategy)
    (
        "real logs: one reply per prompt",
        RANKED,
        [reply("w1", "Hi there", model="gpt-4"), reply("s1", "Write a poem", model="gpt-3.5-turbo")],
        2,
        0,
        {"model_rank": 0},
    ),
    (
        "two models answer one prompt",
        RANKED,
        [reply("a", model="gpt-4"), reply("b", model="gpt-3.5-turbo")],
        1,
        1,
        {"model_rank": 1},
    ),
    (
        "two replies, no model the ranking names",
        RANKED,
        [reply("a", model="vicuna-13b"), reply("b", model="koala-13b")],
        1,
        1,
        {"model_rank": 0},
    ),
    (
        "the first strategy with evidence decides",
        {"strategies": ["battle", "model_rank"], "model_rank": {"ranking": ["gpt-4*", "gpt-3.5*"]}},
        [
            reply("a", group="b1", model="gpt-4", signal={"outcome": "win"}),
            reply("b", group="b1", model="gpt-4", signal={"outcome": "loss"}),
            reply("c", prompt="Other?", model="gpt-4"),
            reply("d", prompt="Other?", model="gpt-3.5"),
        ],
        2,
        2,
        {"battle": 1, "model_rank": 1},
    ),
    (
        "replies under min_chars do not count",
        {"strategies": ["given"], "min_chars": 20},
        [
            reply("a", group="g", text="Fine.", signal={"label": "chosen"}),
            reply("b", group="g", text="A long enough reply to pair.", signal={"label": "rejected"}),
        ],
        1,
        0,
        {"given": 0},
    ),
    (
        "a conversation without a reply is in no group",
        {"strategies": ["thumbs"]},
        [conversation("a", ("user", "Hello?")), reply("b", signal={"thumbs": "up"})],
        1,
        0,
        {"thumbs": 0},
    ),
]


@pytest.mark.parametrize(
    ("options", "rows", "groups", "with_replies", "decided"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_estimate(
    options: dict[str, Any],
    rows: list[dict[str, Any]],
    groups: int,
    with_replies: int,
    decided: dict[str, int],
) -> None:
    stage = Pairs.from_options(**options)
    assert isinstance(stage, Pairs)
    estimate = estimate_pairing(frame(*rows), stage.strategies, min_chars=stage.options.min_chars)
    assert (estimate.groups, estimate.groups_with_replies, estimate.by_strategy) == (
        groups,
        with_replies,
        decided,
    )
    assert estimate.can_pair == any(decided.values())


def test_the_explanation_says_why_no_pair_can_form() -> None:
    stage = Pairs.from_options(**RANKED)
    assert isinstance(stage, Pairs)
    single = estimate_pairing(
        frame(reply("a", model="gpt-4"), reply("b", "Other", model="gpt-4")), stage.strategies
    )
    assert single.explain() == (
        "2 conversations form 2 groups of replies to one prompt; 0 have two or more replies, so no strategy "
        "(model_rank) can form a pair: each prompt has a single reply. Real chat logs need several replies "
        "per prompt (candidates from a model, or a judge)."
    )
    unranked = estimate_pairing(frame(reply("a", model="olmo"), reply("b", model="zephyr")), stage.strategies)
    assert unranked.without_evidence == 1
    assert "but none carries the evidence of model_rank" in unranked.explain()


def test_the_estimate_agrees_with_the_pairs_stage_on_what_can_pair() -> None:
    rows = frame(*CASES[3][2])
    stage = Pairs.from_options(**CASES[3][1])
    assert isinstance(stage, Pairs)
    assert estimate_pairing(rows, stage.strategies).can_pair
    assert stage.process(rows).kept.height == 2


@pytest.mark.parametrize(
    ("options", "rows", "groups", "with_replies", "decided"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
@pytest.mark.parametrize("shard_rows", [1, 2, 50])
def test_the_estimate_by_batches_of_shards_agrees(
    options: dict[str, Any],
    rows: list[dict[str, Any]],
    groups: int,
    with_replies: int,
    decided: dict[str, int],
    shard_rows: int,
) -> None:
    """Rows a shard at a time and groups a batch at a time (one row per batch here): the same
    answer, with every figure when no batch could pair."""
    stage = Pairs.from_options(**options)
    assert isinstance(stage, Pairs)
    whole = frame(*rows)
    shards = [whole.slice(start, shard_rows) for start in range(0, whole.height, shard_rows)]
    found = estimate_in_batches(
        lambda: iter(shards),
        stage.strategies,
        min_chars=stage.options.min_chars,
        batch_rows=1,
        max_batches=99,
    )
    assert found.can_pair == any(decided.values())
    assert found.complete or found.can_pair  # it stops at the first batch that can pair
    assert found.groups == groups
    if not found.can_pair:
        assert (found.groups_with_replies, found.by_strategy) == (with_replies, decided)


def test_an_estimate_that_looked_at_some_batches_only_proves_nothing() -> None:
    stage = Pairs.from_options(**RANKED)
    assert isinstance(stage, Pairs)
    rows = frame(*[reply(f"r{i}", f"Prompt {i // 2}?", model="olmo") for i in range(6)])
    found = estimate_in_batches(lambda: iter([rows]), stage.strategies, batch_rows=2, max_batches=2)
    assert (found.can_pair, found.complete, found.groups_with_replies) == (False, False, 2)
