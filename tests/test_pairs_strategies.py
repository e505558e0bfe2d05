"""Every pairing strategy, by table: which pairs its evidence gives, and why other rows give none."""

from __future__ import annotations

from typing import Any

import pytest

from curate.errors import ConfigError
from curate.pairing import STRATEGIES
from curate.stages.pairs import Pairs, StrategyName
from tests.helpers import conversation, frame

RANKING = {"ranking": ["gpt-4*", "gpt-3.5*"]}


def reply(
    id: str, text: str | None = None, *, prompt: str = "Explain tides.", **columns: Any
) -> dict[str, Any]:
    """A conversation answering ``prompt``; the reply text defaults to one unique to ``id``."""
    return conversation(id, ("user", prompt), ("assistant", text or f"Answer number {id}."), **columns)


def run(rows: list[dict[str, Any]], **options: Any) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """``({(chosen_id, rejected_id)}, {id: reason of rejected rows})`` after the pairs stage."""
    stage = Pairs.from_options(**options)
    output = stage(frame(*rows))
    pairs = set(zip(output.kept["chosen_id"].to_list(), output.kept["rejected_id"].to_list(), strict=True))
    reasons = dict(zip(output.rejected["id"].to_list(), output.rejected["reason"].to_list(), strict=True))
    assert output.consumed is not None
    assert output.consumed + output.rejected.height == len(rows)
    return pairs, reasons


def battle(id: str, outcome: str | None, group: str = "b1", **columns: Any) -> dict[str, Any]:
    return reply(id, group=group, signal={"outcome": outcome}, **columns)


def ranked(id: str, rank: int | None, group: str = "p1", **columns: Any) -> dict[str, Any]:
    return reply(id, group=group, signal={"rank": rank}, **columns)


def rated(id: str, score: float | None, group: str = "r1", **columns: Any) -> dict[str, Any]:
    return reply(id, group=group, signal={"score": score}, **columns)


def thumbs(id: str, thumb: str | None, **columns: Any) -> dict[str, Any]:
    return reply(id, signal={"thumbs": thumb}, **columns)


def model(id: str, name: str | None, **columns: Any) -> dict[str, Any]:
    return reply(id, model=name, **columns)


def given(
    id: str, label: str | None, group: str = "g1", score: float | None = None, **columns: Any
) -> dict[str, Any]:
    return reply(id, group=group, signal={"label": label, "score": score}, **columns)


CASES = [
    # (test id, options, rows, expected pairs, expected reasons)
    ("battle win", {"strategies": ["battle"]}, [battle("a", "win"), battle("b", "loss")], {("a", "b")}, {}),
    (
        "battle loss first",
        {"strategies": ["battle"]},
        [battle("a", "loss"), battle("b", "win")],
        {("b", "a")},
        {},
    ),
    (
        "battle tie",
        {"strategies": ["battle"]},
        [battle("a", "tie"), battle("b", "tie")],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "battle both bad",
        {"strategies": ["battle"]},
        [battle("a", "both_bad"), battle("b", "both_bad")],
        set(),
        {"a": "both_bad", "b": "both_bad"},
    ),
    ("battle of one", {"strategies": ["battle"]}, [battle("a", "win")], set(), {"a": "single_reply"}),
    (
        "battle side without outcome",
        {"strategies": ["battle"]},
        [battle("a", "win"), battle("b", None)],
        set(),
        {"a": "single_reply", "b": "no_signal"},
    ),
    (
        "battle same text",
        {"strategies": ["battle"]},
        [battle("a", "win", text="Same."), battle("b", "loss", text="Same.")],
        set(),
        {"a": "same_text", "b": "same_text"},
    ),
    (
        "battle same text up to spacing",
        {"strategies": ["battle"]},
        [battle("a", "win", text="Same  answer.\n"), battle("b", "loss", text=" Same answer.")],
        set(),
        {"a": "same_text", "b": "same_text"},
    ),
    (
        "ranked best_worst",
        {"strategies": ["ranked"]},
        [ranked("a", 1), ranked("b", 0), ranked("c", 2)],
        {("b", "c")},
        {"a": "unpaired"},
    ),
    (
        "ranked best_rest",
        {"strategies": ["ranked"], "ranked": {"pairing": "best_rest"}, "max_per_prompt": None},
        [ranked("a", 1), ranked("b", 0), ranked("c", 2)],
        {("b", "a"), ("b", "c")},
        {},
    ),
    (
        "ranked all",
        {"strategies": ["ranked"], "ranked": {"pairing": "all"}, "max_per_prompt": None},
        [ranked("a", 1), ranked("b", 0), ranked("c", 2)],
        {("b", "a"), ("b", "c"), ("a", "c")},
        {},
    ),
    (
        "ranked tie",
        {"strategies": ["ranked"]},
        [ranked("a", 0), ranked("b", 0)],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "ranked missing rank",
        {"strategies": ["ranked"]},
        [ranked("a", 0), ranked("b", None), ranked("c", 1)],
        {("a", "c")},
        {"b": "no_signal"},
    ),
    ("ranked group of one", {"strategies": ["ranked"]}, [ranked("a", 0)], set(), {"a": "single_reply"}),
    ("rated", {"strategies": ["rated"]}, [rated("a", 3.0), rated("b", 8.5)], {("b", "a")}, {}),
    (
        "rated below min_margin",
        {"strategies": ["rated"], "rated": {"min_margin": 6}},
        [rated("a", 3.0), rated("b", 8.5)],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "rated tie",
        {"strategies": ["rated"]},
        [rated("a", 7.0), rated("b", 7.0)],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "rated best_rest with min_margin",
        {"strategies": ["rated"], "rated": {"pairing": "best_rest", "min_margin": 1}, "max_per_prompt": None},
        [rated("a", 9.0), rated("b", 8.5), rated("c", 2.0)],
        {("a", "c")},
        {"b": "tie"},
    ),
    (
        "rated missing score",
        {"strategies": ["rated"]},
        [rated("a", 3.0), rated("b", None)],
        set(),
        {"a": "single_reply", "b": "no_signal"},
    ),
    (
        "rated aspects",
        {"strategies": ["rated"], "rated": {"aspects": {"helpfulness": 1.0, "scores.verbosity": -0.5}}},
        [
            reply("a", group="h", meta='{"helpfulness": 4, "scores": {"verbosity": 4}}'),
            reply("b", group="h", meta='{"helpfulness": 3, "scores": {"verbosity": 0}}'),
        ],
        {("b", "a")},
        {},
    ),
    (
        "rated aspect missing",
        {"strategies": ["rated"], "rated": {"aspects": {"helpfulness": 1.0, "verbosity": -0.5}}},
        [
            reply("a", group="h", meta='{"helpfulness": 4, "verbosity": 1}'),
            reply("b", group="h", meta='{"helpfulness": 3}'),
            reply("c", group="h", meta='{"helpfulness": true, "verbosity": 1}'),
        ],
        set(),
        {"a": "single_reply", "b": "no_signal", "c": "no_signal"},
    ),
    ("thumbs", {"strategies": ["thumbs"]}, [thumbs("a", "down"), thumbs("b", "up")], {("b", "a")}, {}),
    (
        "thumbs all up",
        {"strategies": ["thumbs"]},
        [thumbs("a", "up"), thumbs("b", "up")],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "thumbs without a counterpart",
        {"strategies": ["thumbs"]},
        [thumbs("a", "up"), thumbs("b", None)],
        set(),
        {"a": "single_reply", "b": "no_signal"},
    ),
    (
        "thumbs two ups one down",
        {"strategies": ["thumbs"], "max_per_prompt": None},
        [thumbs("a", "up"), thumbs("b", "down"), thumbs("c", "up")],
        {("a", "b"), ("c", "b")},
        {},
    ),
    (
        "model_rank",
        {"strategies": ["model_rank"], "model_rank": RANKING},
        [model("a", "gpt-3.5-turbo"), model("b", "GPT-4-0613")],
        {("b", "a")},
        {},
    ),
    (
        "model_rank one tier",
        {"strategies": ["model_rank"], "model_rank": RANKING},
        [model("a", "gpt-4"), model("b", "gpt-4-turbo")],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "model_rank unlisted model",
        {"strategies": ["model_rank"], "model_rank": RANKING},
        [model("a", "gpt-4"), model("b", "llama-2-13b"), model("c", None)],
        set(),
        {"a": "single_reply", "b": "no_signal", "c": "no_signal"},
    ),
    (
        "model_rank other prompt",
        {"strategies": ["model_rank"], "model_rank": RANKING},
        [model("a", "gpt-4"), model("b", "gpt-3.5-turbo", prompt="Explain tides!")],
        set(),
        {"a": "single_reply", "b": "single_reply"},
    ),
    (
        "model_rank within one prompt cluster",
        {"strategies": ["model_rank"], "model_rank": RANKING},
        [
            model("a", "gpt-4", prompt_cluster="c1"),
            model("b", "gpt-3.5-turbo", prompt="Explain tides!", prompt_cluster="c1"),
        ],
        {("a", "b")},
        {},
    ),
    ("given", {"strategies": ["given"]}, [given("a", "rejected"), given("b", "chosen")], {("b", "a")}, {}),
    ("given chosen only", {"strategies": ["given"]}, [given("a", "chosen")], set(), {"a": "single_reply"}),
    (
        "given with equal scores is a tie",
        {"strategies": ["given"]},
        [given("a", "chosen", score=8.0), given("b", "rejected", score=8.0)],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "given scores that contradict the labels",
        {"strategies": ["given"]},
        [given("a", "chosen", score=3.0), given("b", "rejected", score=8.0)],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "given under min_margin",
        {"strategies": ["given"], "given": {"min_margin": 1.0}},
        [given("a", "chosen", score=8.5), given("b", "rejected", score=8.0)],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "given at min_margin",
        {"strategies": ["given"], "given": {"min_margin": 0.5}},
        [given("a", "chosen", score=8.5), given("b", "rejected", score=8.0)],
        {("a", "b")},
        {},
    ),
    (
        "given with one side unscored pairs by label",
        {"strategies": ["given"], "given": {"min_margin": 5.0}},
        [given("a", "chosen", score=8.5), given("b", "rejected")],
        {("a", "b")},
        {},
    ),
    (
        "given: one tied rejected side does not spoil the other",
        {"strategies": ["given"]},
        [
            given("a", "chosen", score=8.0),
            given("b", "rejected", score=8.0),
            given("c", "rejected", score=2.0),
        ],
        {("a", "c")},
        {"b": "tie"},
    ),
    (
        "no strategy's evidence",
        {"strategies": ["battle", "ranked"]},
        [reply("a", group="x"), reply("b", group="x")],
        set(),
        {"a": "no_signal", "b": "no_signal"},
    ),
    (
        "first applicable strategy decides: a tied battle stays a tie",
        {"strategies": ["battle", "model_rank"], "model_rank": RANKING},
        [battle("a", "tie", model="gpt-4"), battle("b", "tie", model="gpt-3.5-turbo")],
        set(),
        {"a": "tie", "b": "tie"},
    ),
    (
        "a later strategy takes groups without the earlier one's evidence",
        {"strategies": ["battle", "model_rank"], "model_rank": RANKING},
        [model("a", "gpt-3.5-turbo"), model("b", "gpt-4")],
        {("b", "a")},
        {},
    ),
    (
        "too short",
        {"strategies": ["battle"], "min_chars": 10},
        [battle("a", "win", text="Fine."), battle("b", "loss", text="A long enough answer.")],
        set(),
        {"a": "too_short", "b": "single_reply"},
    ),
    (
        "too short side does not spoil the others",
        {"strategies": ["ranked"], "min_chars": 10},
        [ranked("a", 0, text="Ok."), ranked("b", 1), ranked("c", 2)],
        {("b", "c")},
        {"a": "too_short"},
    ),
    (
        "no reply",
        {"strategies": ["battle"]},
        [conversation("a", ("user", "Hello?"), group="b1", signal={"outcome": "win"}), battle("b", "loss")],
        set(),
        {"a": "no_reply", "b": "single_reply"},
    ),
    (
        "groups are per source",
        {"strategies": ["battle"]},
        [battle("a", "win", source="one"), battle("b", "loss", source="two")],
        set(),
        {"a": "single_reply", "b": "single_reply"},
    ),
]


@pytest.mark.parametrize(
    ("options", "rows", "pairs", "reasons"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_strategy(
    options: dict[str, Any], rows: list[dict[str, Any]], pairs: set[tuple[str, str]], reasons: dict[str, str]
) -> None:
    assert run(rows, **options) == (pairs, reasons)


def test_every_strategy_is_listed_in_the_options() -> None:
    assert set(StrategyName.__args__) == set(STRATEGIES)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("rows", "options", "scores"),
    [
        ([rated("a", 3.0), rated("b", 8.5)], {"strategies": ["rated"]}, (8.5, 3.0)),
        (
            [
                reply("a", group="h", meta='{"helpfulness": 4, "verbosity": 4}'),
                reply("b", group="h", meta='{"helpfulness": 3, "verbosity": 0}'),
            ],
            {"strategies": ["rated"], "rated": {"aspects": {"helpfulness": 1.0, "verbosity": -0.5}}},
            (3.0, 2.0),
        ),
        (
            [reply("a", group="g1", signal={"label": "chosen", "score": 9.0}), given("b", "rejected")],
            {"strategies": ["given"]},
            (9.0, None),
        ),
        ([battle("a", "win"), battle("b", "loss")], {"strategies": ["battle"]}, (None, None)),
    ],
    ids=["rated score", "rated aspects combined", "given keeps the source's score", "battle has none"],
)
def test_scores(
    rows: list[dict[str, Any]], options: dict[str, Any], scores: tuple[float | None, ...]
) -> None:
    kept = Pairs.from_options(**options)(frame(*rows)).kept
    assert (kept["score_chosen"][0], kept["score_rejected"][0]) == scores


@pytest.mark.parametrize(
    ("scores", "options", "detail"),
    [
        ((8.0, 8.0), {}, "chosen and rejected have equal scores"),
        ((8.5, 8.0), {"min_margin": 1}, "the chosen side does not score min_margin=1 above the rejected"),
    ],
)
def test_given_ties_say_why(scores: tuple[float, float], options: dict[str, Any], detail: str) -> None:
    rows = [given("a", "chosen", score=scores[0]), given("b", "rejected", score=scores[1])]
    stage = Pairs.from_options(strategies=["given"], given=options)
    rejected = stage.process(frame(*rows)).rejected
    assert rejected["detail"].to_list() == [detail, detail]


def test_given_options_need_the_strategy() -> None:
    with pytest.raises(ConfigError, match="options given for given but `strategies` does not list it"):
        Pairs.from_options(strategies=["battle"], given={"min_margin": 1})


def test_the_report_gives_the_margins_of_scored_pairs() -> None:
    rows = [
        rated("a", 9.0, group="r1"),
        rated("b", 3.5, group="r1"),
        rated("c", 8.0, group="r2", prompt="Explain waves."),
        rated("d", 7.0, group="r2", prompt="Explain waves."),
        given("e", "chosen", group="g1", prompt="Explain wind."),
        given("f", "rejected", group="g1", prompt="Explain wind."),
    ]
    stage = Pairs.from_options(strategies=["given", "rated"])
    stage.process(frame(*rows))
    assert stage.report().score_margins == {
        "rated": {"pairs": 2, "min": 1.0, "p25": 1.0, "median": 1.0, "p75": 5.5, "max": 5.5}
    }


def test_a_report_without_scored_pairs_has_no_margins() -> None:
    stage = Pairs.from_options(strategies=["battle"])
    stage.process(frame(battle("a", "win"), battle("b", "loss")))
    assert "score_margins" not in stage.report()
