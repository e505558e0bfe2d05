"""``judge``: candidates of one group ranked by an LLM judge or a local reward model.

For groups with no preference evidence of their own (a prompt answered by the log and by
``generate``'s models), as UltraFeedback and Tulu 3 do:

- ``mode: pairwise`` asks an LLM judge about each pair of replies in both orders, to cancel
  position bias. A pair is a candidate when the judge prefers the same reply both times;
  disagreement, or ``[[C]]``, is a ``tie``. Scores are Copeland scores (pairs won minus pairs
  lost in the group), so the best reply against the worst one it beat comes first.
- ``mode: score`` asks the judge to rate each reply alone (``[[1]]``..``[[10]]``); replies are
  then ordered by rating, as ``rated`` orders by a source's score.
- ``reward_model: PATH`` scores each reply with a local sequence-classification model.

An answer the parser cannot read is ``judge_unparsed``, a request that failed after its
retries ``judge_failed``; neither is ever guessed. Every request goes through
``curate.clients`` (concurrency, retries, the response cache), all groups at once, in
``prepare``. Place ``judge`` last in ``strategies``: it applies to every group.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from curate.clients.options import BaseUrl, RequestOptions, default_cache_dir, sampling
from curate.clients.request import ChatRequest, ChatResult, Messages
from curate.judging.reward import RewardModel
from curate.judging.templates import (
    DEFAULTS,
    Mode,
    Template,
    check_template,
    pairwise_messages,
    parse_rating,
    parse_verdict,
    score_messages,
)
from curate.licensing import registry
from curate.options import ExistingPath, ResolvedPath
from curate.pairing.base import Candidate, GroupVerdict, OrderOptions, Strategy, pair_by_value, strategy
from curate.pairing.sides import Side, normalised, shared_prompt

API_ONLY = ("base_url", "model", "api_key_env", "mode", "templates", "temperature", "max_tokens", "extra")
REWARD_ONLY = ("device", "batch_size", "max_length")
Comparison = Literal["first", "second", "tie", "disagree", "unparsed", "failed", "same"]
LEFT_OUT: dict[str, tuple[str, str]] = {
    "unparsed": ("judge_unparsed", "the judge's answer held no single verdict or rating"),
    "failed": ("judge_failed", "a request to the judge failed after its retries"),
    "disagree": ("tie", "the judge's verdicts in the two orders disagree"),
    "tie": ("tie", "the judge called it a tie"),
    "same": ("same_text", "the replies are the same text"),
}
"""Why a side is in no pair, by the worst outcome of its comparisons (the first listed wins)."""


class JudgeOptions(OrderOptions, RequestOptions):
    """Options of ``judge``: an LLM judge's endpoint, or a local ``reward_model``."""

    base_url: BaseUrl | None = Field(None, description="The judge's API base URL, up to `/v1`.")
    model: str | None = Field(None, min_length=1, description="The judge model's name on that server.")
    mode: Mode = Field(
        "pairwise", description="pairwise: each pair in both orders; score: each reply rated 1-10 alone."
    )
    templates: Template | None = Field(
        None, description="Replaces the MT-Bench-style prompt of the mode: {system, user}."
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature of the judge.")
    max_tokens: int = Field(1024, ge=1, description="Longest judgment, in tokens.")
    seed: int = Field(0, description="Seed sent with every judge request.")
    extra: dict[str, Any] = Field(default_factory=dict, description="More request fields, sent as they are.")
    reward_model: ExistingPath | None = Field(
        None, description="A local transformers sequence-classification model folder, instead of an API."
    )
    device: Literal["cpu", "cuda", "auto"] = Field("cpu", description="Where the reward model runs.")
    batch_size: int = Field(8, ge=1, description="Replies scored at once by the reward model.")
    max_length: int = Field(
        2048, ge=16, description="Tokens of a reply (with its prompt) the reward model reads."
    )
    min_margin: float = Field(
        0.0, ge=0, description="A pair needs the chosen score to exceed the rejected by this."
    )
    cache_dir: ResolvedPath | None = Field(
        None, description="Folder of the response cache; default $XDG_CACHE_HOME/curate/requests."
    )
    send_unscrubbed: bool = Field(
        False, description="Allow sending replies to the judge before a `pii` stage has scrubbed them."
    )

    @model_validator(mode="after")
    def _one_judge(self) -> Self:
        given = self.model_fields_set
        if self.reward_model is not None:
            misplaced = [name for name in API_ONLY if name in given]
            if misplaced:
                raise ValueError(f"a reward_model is local: drop {', '.join(misplaced)}")
            return self
        if self.base_url is None or self.model is None:
            raise ValueError("give the judge's `base_url` and `model`, or a local `reward_model`")
        misplaced = [name for name in REWARD_ONLY if name in given]
        if misplaced:
            raise ValueError(f"{', '.join(misplaced)} apply to a reward_model only")
        if self.mode == "pairwise" and "pairing" in given:
            raise ValueError(
                "`pairing` applies to mode: score and reward_model; pairwise mode offers every pair "
                "the judge orders the same way in both positions, best first"
            )
        if self.templates is not None:
            check_template(self.templates, self.mode)
        return self

    @property
    def kind(self) -> str:
        return "reward_model" if self.reward_model is not None else self.mode


@strategy("judge")
class Judge(Strategy):
    Options: ClassVar[type[JudgeOptions]] = JudgeOptions
    options: JudgeOptions

    def __init__(self, options: JudgeOptions | None = None) -> None:
        super().__init__(options)
        self._pairwise: dict[tuple[int, int], Comparison] = {}
        self._values: dict[int, float | Comparison] = {}
        self._counts: Counter[str] = Counter()
        self._reward: RewardModel | None = None

    @property
    def label(self) -> str:
        """The judge a pair records: the model's name, or the reward model's folder name."""
        if self.options.reward_model is not None:
            return self.options.reward_model.name
        assert self.options.model is not None
        return self.options.model

    def applies(self, sides: list[Side]) -> bool:
        return True

    def prepare(self, groups: list[list[Side]]) -> None:
        self._pairwise.clear()
        self._values.clear()
        self._fetch(groups)

    def _fetch(self, groups: list[list[Side]]) -> None:
        if not groups:
            return
        if self.options.reward_model is not None:
            self._score_locally(groups)
        elif self.options.mode == "pairwise":
            self._compare(groups)
        else:
            self._rate(groups)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        if any(side.index not in self._values for side in sides) and self.options.kind != "pairwise":
            self._fetch([sides])
        if self.options.kind == "pairwise":
            return self._pair_compared(sides)
        values = {index: value for index, value in self._values.items() if isinstance(value, float)}
        verdict = pair_by_value(
            sides,
            {side.index: values.get(side.index) for side in sides},
            pairing=self.options.pairing,
            min_margin=self.options.min_margin,
            missing="no score from the judge",
            scores=values,
            describe="reward" if self.options.kind == "reward_model" else "judge rating",
        )
        for index, (reason, _) in list(verdict.left_out.items()):
            failure = self._values.get(index)
            if reason == "no_signal" and isinstance(failure, str):
                verdict.left_out[index] = LEFT_OUT[failure]
        return verdict

    def reset(self) -> None:
        self._counts.clear()

    def report(self) -> dict[str, Any]:
        report: dict[str, Any] = {"judge_model": self.label, "judge_mode": self.options.kind}
        if self.options.reward_model is not None:
            return {**report, "judge_scored": self._counts["scored"]}
        terms = registry().terms_for(self.options.model)
        return {
            **report,
            "judge_terms": terms.key if terms else None,
            "judge_requests": self._counts["requests"],
            "judge_prompt_tokens": self._counts["prompt_tokens"],
            "judge_completion_tokens": self._counts["completion_tokens"],
            "judge_unparsed": self._counts["unparsed"],
            "judge_failed": self._counts["failed"],
        }

    def _compare(self, groups: list[list[Side]]) -> None:
        template = self.options.templates or DEFAULTS["pairwise"]
        asked: list[tuple[int, int]] = []
        requests: list[ChatRequest] = []
        for sides in groups:
            for position, a in enumerate(sides):
                for b in sides[position + 1 :]:
                    prompt, reply_a, reply_b = shared_prompt(a, b)
                    if normalised(reply_a) == normalised(reply_b):
                        self._pairwise[(a.index, b.index)] = "same"
                        continue
                    asked.append((a.index, b.index))
                    requests.append(self._request(pairwise_messages(template, prompt, reply_a, reply_b)))
                    requests.append(self._request(pairwise_messages(template, prompt, reply_b, reply_a)))
        results = self._ask(requests)
        for number, key in enumerate(asked):
            self._pairwise[key] = self._combine(results[2 * number], results[2 * number + 1])

    def _combine(self, first: ChatResult, second: ChatResult) -> Comparison:
        if first.content is None or second.content is None:
            return "failed"
        verdicts = (parse_verdict(first.content), parse_verdict(second.content))
        self._counts["unparsed"] += sum(verdict is None for verdict in verdicts)
        if None in verdicts:
            return "unparsed"
        if verdicts == ("A", "B"):
            return "first"
        if verdicts == ("B", "A"):
            return "second"
        return "tie" if verdicts == ("C", "C") else "disagree"

    def _pair_compared(self, sides: list[Side]) -> GroupVerdict:
        if any((a.index, b.index) not in self._pairwise for i, a in enumerate(sides) for b in sides[i + 1 :]):
            self._fetch([sides])
        edges: list[tuple[Side, Side]] = []
        problems: dict[int, list[Comparison]] = {side.index: [] for side in sides}
        for position, a in enumerate(sides):
            for b in sides[position + 1 :]:
                outcome = self._pairwise[(a.index, b.index)]
                if outcome in ("first", "second"):
                    edges.append((a, b) if outcome == "first" else (b, a))
                else:
                    problems[a.index].append(outcome)
                    problems[b.index].append(outcome)
        wins = Counter(winner.index for winner, _ in edges)
        losses = Counter(loser.index for _, loser in edges)
        score = {side.index: float(wins[side.index] - losses[side.index]) for side in sides}
        order = {side.index: position for position, side in enumerate(sides)}
        kept = [
            (won, lost)
            for won, lost in edges
            if score[won.index] - score[lost.index] >= self.options.min_margin
        ]
        kept.sort(key=lambda e: (-score[e[0].index], score[e[1].index], order[e[0].index], order[e[1].index]))
        verdict = GroupVerdict(
            candidates=[Candidate(won, lost, score[won.index], score[lost.index]) for won, lost in kept],
            pairable=sorted({side.index for edge in kept for side in edge}, key=order.__getitem__),
        )
        for side in sides:
            if side.index in verdict.pairable:
                continue
            found = problems[side.index]
            worst = next((outcome for outcome in LEFT_OUT if outcome in found), None)
            verdict.left_out[side.index] = (
                LEFT_OUT[worst] if worst else ("tie", "judge margin below min_margin")
            )
        return verdict

    def _rate(self, groups: list[list[Side]]) -> None:
        template = self.options.templates or DEFAULTS["score"]
        sides = [side for group in groups for side in group]
        results = self._ask(
            [self._request(score_messages(template, side.prompt, side.reply)) for side in sides]
        )
        for side, result in zip(sides, results, strict=True):
            rating = None if result.content is None else parse_rating(result.content)
            self._counts["unparsed"] += result.content is not None and rating is None
            self._values[side.index] = (
                rating if rating is not None else "failed" if result.content is None else "unparsed"
            )

    def _score_locally(self, groups: list[list[Side]]) -> None:
        assert self.options.reward_model is not None
        if self._reward is None:
            self._reward = RewardModel(
                self.options.reward_model,
                device=self.options.device,
                batch_size=self.options.batch_size,
                max_length=self.options.max_length,
            )
        sides = [side for group in groups for side in group]
        scores = self._reward.score([side.prompt + side.reply for side in sides])
        self._counts["scored"] += len(sides)
        self._values.update(zip((side.index for side in sides), scores, strict=True))

    def _request(self, messages: Messages) -> ChatRequest:
        assert self.options.base_url is not None and self.options.model is not None
        endpoint = self.options.endpoint_for(self.options.base_url, self.options.model)
        options = self.options
        return ChatRequest(
            endpoint,
            messages,
            sampling(options.temperature, None, options.max_tokens, options.seed, options.extra),
        )

    def _ask(self, requests: list[ChatRequest]) -> list[ChatResult]:
        from curate.clients.cache import ResponseCache
        from curate.clients.chat import ChatClient

        with ResponseCache(self.options.cache_dir or default_cache_dir()) as cache:
            results = ChatClient(cache).complete(requests)
        for result in results:
            self._counts["requests"] += 1
            self._counts["failed"] += not result.ok
            self._counts["prompt_tokens"] += result.prompt_tokens
            self._counts["completion_tokens"] += result.completion_tokens
        return results
