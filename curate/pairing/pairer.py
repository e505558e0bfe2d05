"""From sides to pairs: grouping, strategies in order, filters, and the per-prompt limit.

Sides are grouped by the source's ``group`` (a battle, an oasst parent, a preference
record), else by ``prompt_cluster``, else by the exact prompt. The first strategy whose
evidence a group carries decides it: a tied battle stays a tie even when a later strategy
could have ordered its replies. Candidates whose sides are too short or identical are
dropped; then at most ``max_per_prompt`` pairs are kept per prompt cluster (across groups,
sources and strategies): pairs of earlier strategies first, as the list is in order of trust,
then by a seeded hash of the pair id, so the choice does not depend on the order of the rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from curate.errors import StageError
from curate.pairing.base import Candidate, Strategy
from curate.pairing.sides import (
    Side,
    Turns,
    digest,
    normalised,
    seeded_order,
    shared_prompt,
    text_length,
)

REASON_MEANINGS: dict[str, str] = {
    "single_reply": "no other usable reply to the same prompt",
    "no_signal": "the reply lacks the evidence of the strategy that decides its group",
    "tie": "the evidence does not order this reply against any other (equal votes, ranks, scores)",
    "both_bad": "an arena vote found both replies bad",
    "same_text": "chosen and rejected would be the same text",
    "too_short": "the reply is shorter than min_chars",
    "unpaired": "best_worst pairing uses only the best and the worst replies",
    "max_per_prompt": "the prompt cluster already has max_per_prompt pairs",
    "duplicate_reply": "a copy of another reply with the same evidence; its pairs would repeat",
    "no_reply": "no user turn answered by an assistant turn",
    "judge_unparsed": "the judge's answer held no verdict or rating that reads one way (never guessed)",
    "judge_failed": "a request to the judge failed after its retries (a 400 for an over-long prompt)",
    "multi_turn_prompt": "format_variant standard writes a prompt as one string: it must be one user turn",
}
"""Why a conversation went into no pair. The order breaks ties between the reasons of a group."""
REASONS = tuple(REASON_MEANINGS)


@dataclass(frozen=True)
class Pair:
    """A pair ready to be written: the shared prompt and the two replies."""

    candidate: Candidate
    strategy: str
    prompt: Turns
    chosen: Turns
    rejected: Turns
    cluster: str
    order: tuple[int, int]
    """``(first row of the group, candidate number)``: pairs are written in this order."""

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.candidate.chosen, self.candidate.rejected)

    @cached_property
    def id(self) -> str:
        c, r = self.candidate.chosen, self.candidate.rejected
        return digest([self.strategy, c.source, c.id, r.source, r.id])


@dataclass
class Pairing:
    """The outcome of ``make_pairs``: pairs, and a reason for every side in none."""

    pairs: list[Pair] = field(default_factory=list)
    left_out: dict[int, tuple[str, str]] = field(default_factory=dict)
    groups: int = 0
    clusters: int = 0
    groups_without_pair: Counter[str] = field(default_factory=Counter)

    @property
    def used(self) -> set[int]:
        return {
            side.index for pair in self.pairs for side in (pair.candidate.chosen, pair.candidate.rejected)
        }

    def by_strategy(self) -> dict[str, int]:
        return dict(sorted(Counter(pair.strategy for pair in self.pairs).items()))


def make_pairs(
    sides: list[Side],
    strategies: list[Strategy],
    *,
    max_per_prompt: int | None = 1,
    min_chars: int = 1,
    seed: int = 0,
    single_turn: bool = False,
) -> Pairing:
    """Pairs from ``sides`` by the first applicable strategy of each group.

    ``single_turn`` keeps only pairs whose prompt is one user turn (``format_variant: standard``).
    """
    result = Pairing()
    trust = {strategy.name: position for position, strategy in enumerate(strategies)}
    groups: dict[tuple[str, ...], list[Side]] = {}
    for side in sides:
        if not side.prompt or not side.reply:
            result.left_out[side.index] = ("no_reply", "no user turn answered by an assistant turn")
            continue
        groups.setdefault(group_key(side), []).append(side)
    result.groups = len(groups)
    viable: dict[str, list[Pair]] = {}
    pairer = _GroupPairer(strategies, min_chars, max_per_prompt, seed, result.left_out, single_turn)
    plans = [pairer.plan(members) for members in groups.values()]
    for strategy in strategies:
        strategy.prepare([plan.usable for plan in plans if plan.strategy is strategy])
    for members, plan in zip(groups.values(), plans, strict=True):
        cluster = cluster_of(members)
        viable.setdefault(cluster, []).extend(pairer.pair(plan, cluster, members[0].index))
    result.clusters = len(viable)
    capped = ("max_per_prompt", f"the prompt cluster already has max_per_prompt={max_per_prompt}")
    for cluster_pairs in viable.values():
        ranked = sorted(
            cluster_pairs, key=lambda pair: (trust[pair.strategy], seeded_order(seed, pair.id), pair.id)
        )
        result.pairs.extend(ranked[:max_per_prompt] if max_per_prompt else ranked)
    result.pairs.sort(key=lambda pair: pair.order)
    used = result.used
    for cluster_pairs in viable.values():
        for pair in cluster_pairs:
            for side in pair.sides:
                if side.index not in used:
                    result.left_out.setdefault(side.index, capped)
    for members in groups.values():
        if not any(side.index in used for side in members):
            result.groups_without_pair[_group_reason(members, result.left_out)] += 1
    unaccounted = [side.id for side in sides if side.index not in used and side.index not in result.left_out]
    if unaccounted:
        raise StageError(f"pairs: {len(unaccounted)} conversations were neither paired nor given a reason")
    return result


def group_key(side: Side) -> tuple[str, ...]:
    """Replies to one prompt: the source's group, else the prompt cluster, else the exact prompt."""
    if side.group is not None:
        return ("group", side.source, side.group)
    if side.prompt_cluster is not None:
        return ("cluster", side.prompt_cluster)
    return ("prompt", side.prompt_key)


def cluster_of(members: list[Side]) -> str:
    """The prompt cluster of a group: dedup's, else the key of its first exact prompt."""
    clusters = sorted(side.prompt_cluster for side in members if side.prompt_cluster is not None)
    return clusters[0] if clusters else min(side.prompt_key for side in members)


@dataclass(frozen=True)
class _Plan:
    usable: list[Side]
    strategy: Strategy | None


class _GroupPairer:
    """Pairs of one group: filters, then the strategy's candidates until ``limit`` are viable."""

    def __init__(
        self,
        strategies: list[Strategy],
        min_chars: int,
        limit: int | None,
        seed: int,
        left_out: dict[int, tuple[str, str]],
        single_turn: bool = False,
    ) -> None:
        self.strategies = strategies
        self.min_chars = min_chars
        self.limit = limit
        self.seed = seed
        self.left_out = left_out
        self.single_turn = single_turn

    def plan(self, members: list[Side]) -> _Plan:
        """The group's usable sides, in seeded order, and the strategy that decides it (if any)."""
        short = ("too_short", f"reply shorter than min_chars={self.min_chars}")
        usable = [side for side in members if side.reply_chars >= self.min_chars]
        self._leave_out([side for side in members if side.reply_chars < self.min_chars], short)
        if len(usable) < 2:
            self._leave_out(usable, ("single_reply", "no other reply to this prompt"))
            return _Plan(usable, None)
        strategy = next((strategy for strategy in self.strategies if strategy.applies(usable)), None)
        if strategy is None:
            wanted = ", ".join(strategy.name for strategy in self.strategies)
            self._leave_out(usable, ("no_signal", f"no evidence for {wanted}"))
            return _Plan(usable, None)
        # Candidates come in this seeded order of the sides, independent of the rows' order.
        usable.sort(key=lambda side: (seeded_order(self.seed, f"{side.source}\x1f{side.id}"), side.index))
        return _Plan(usable, strategy)

    def pair(self, plan: _Plan, cluster: str, first: int) -> list[Pair]:
        strategy, usable = plan.strategy, plan.usable
        if strategy is None:
            return []
        verdict = strategy.pair(usable)
        self.left_out.update(verdict.left_out)
        pairs: list[Pair] = []
        dropped: dict[int, tuple[str, str]] = {}
        for number, candidate in enumerate(verdict.candidates):
            if self.limit is not None and len(pairs) >= self.limit:
                break
            prompt, chosen, rejected = shared_prompt(candidate.chosen, candidate.rejected)
            reason = None
            if min(text_length(chosen), text_length(rejected)) < self.min_chars:
                reason = ("too_short", f"a side shorter than min_chars={self.min_chars}")
            elif normalised(chosen) == normalised(rejected):
                reason = ("same_text", "chosen and rejected are the same text")
            elif self.single_turn and not is_single_turn(prompt):
                reason = ("multi_turn_prompt", _turns_detail(prompt))
            if reason is None:
                pairs.append(
                    Pair(candidate, strategy.name, prompt, chosen, rejected, cluster, (first, number))
                )
            else:
                for side in (candidate.chosen, candidate.rejected):
                    dropped.setdefault(side.index, reason)
        used = {side.index for pair in pairs for side in pair.sides}
        capped = ("max_per_prompt", f"the group already gave max_per_prompt={self.limit} pairs")
        for index in verdict.pairable:
            if index not in used:
                self.left_out[index] = dropped.get(index, capped)
        return pairs

    def _leave_out(self, sides: list[Side], reason: tuple[str, str]) -> None:
        for side in sides:
            self.left_out[side.index] = reason


def is_single_turn(prompt: Turns) -> bool:
    """True for a prompt of one user turn, which a string holds without a chat template."""
    return len(prompt) == 1 and prompt[0][0] == "user"


def _turns_detail(prompt: Turns) -> str:
    roles = [role for role, _ in prompt]
    system = " with a system turn" if "system" in roles else ""
    return f"the prompt has {len(prompt)} turns{system}; format_variant standard takes one user turn"


def _group_reason(members: list[Side], left_out: dict[int, tuple[str, str]]) -> str:
    counts = Counter(left_out[side.index][0] for side in members if side.index in left_out)
    return min(counts, key=lambda reason: (-counts[reason], REASONS.index(reason)))
