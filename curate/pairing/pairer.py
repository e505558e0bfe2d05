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

from curate.errors import StageError
from curate.pairing.base import Candidate, Strategy
from curate.pairing.sides import Side, Turns, digest, prompt_key, seeded_order, shared_prompt, text_length

REASONS = (
    "single_reply",
    "no_signal",
    "tie",
    "both_bad",
    "same_text",
    "too_short",
    "unpaired",
    "max_per_prompt",
    "no_reply",
)
"""Why a conversation went into no pair; also the order that breaks ties between group reasons."""


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

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.candidate.chosen, self.candidate.rejected)

    @property
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
) -> Pairing:
    """Pairs from ``sides`` by the first applicable strategy of each group."""
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
    dropped: dict[int, tuple[str, str]] = {}
    for position, members in enumerate(groups.values()):
        cluster = cluster_of(members)
        for pair in _pair_group(members, strategies, min_chars, cluster, position, result.left_out, dropped):
            viable.setdefault(cluster, []).append(pair)
    result.clusters = len({cluster_of(members) for members in groups.values()})
    for cluster_pairs in viable.values():
        ranked = sorted(
            cluster_pairs, key=lambda pair: (trust[pair.strategy], seeded_order(seed, pair.id), pair.id)
        )
        result.pairs.extend(ranked[:max_per_prompt] if max_per_prompt else ranked)
    result.pairs.sort(key=lambda pair: pair.order)
    used = result.used
    for pairs in viable.values():
        for pair in pairs:
            for side in (pair.candidate.chosen, pair.candidate.rejected):
                if side.index not in used:
                    result.left_out.setdefault(
                        side.index,
                        ("max_per_prompt", f"the prompt already has max_per_prompt={max_per_prompt}"),
                    )
    for index, reason in dropped.items():
        if index not in used:
            result.left_out.setdefault(index, reason)
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
    return ("prompt", prompt_key(side.prompt))


def cluster_of(members: list[Side]) -> str:
    """The prompt cluster of a group: dedup's, else the key of its first exact prompt."""
    clusters = sorted(side.prompt_cluster for side in members if side.prompt_cluster is not None)
    return clusters[0] if clusters else min(prompt_key(side.prompt) for side in members)


def _pair_group(
    members: list[Side],
    strategies: list[Strategy],
    min_chars: int,
    cluster: str,
    position: int,
    left_out: dict[int, tuple[str, str]],
    dropped: dict[int, tuple[str, str]],
) -> list[Pair]:
    usable = [side for side in members if side.reply_chars >= min_chars]
    for side in members:
        if side.reply_chars < min_chars:
            left_out[side.index] = ("too_short", f"reply shorter than min_chars={min_chars}")
    if len(usable) < 2:
        for side in usable:
            left_out[side.index] = ("single_reply", "no other reply to this prompt")
        return []
    chosen_strategy = next((strategy for strategy in strategies if strategy.applies(usable)), None)
    if chosen_strategy is None:
        wanted = ", ".join(strategy.name for strategy in strategies)
        for side in usable:
            left_out[side.index] = ("no_signal", f"no evidence for {wanted}")
        return []
    verdict = chosen_strategy.pair(usable)
    left_out.update(verdict.left_out)
    pairs = []
    for number, candidate in enumerate(verdict.candidates):
        prompt, chosen, rejected = shared_prompt(candidate.chosen, candidate.rejected)
        reason = None
        if min(text_length(chosen), text_length(rejected)) < min_chars:
            reason = ("too_short", f"a side shorter than min_chars={min_chars}")
        elif _normalised(chosen) == _normalised(rejected):
            reason = ("same_text", "chosen and rejected are the same text")
        if reason is not None:
            for side in (candidate.chosen, candidate.rejected):
                dropped.setdefault(side.index, reason)
            continue
        pairs.append(
            Pair(candidate, chosen_strategy.name, prompt, chosen, rejected, cluster, (position, number))
        )
    return pairs


def _normalised(turns: Turns) -> tuple[str, ...]:
    return tuple(" ".join(content.split()) for _, content in turns)


def _group_reason(members: list[Side], left_out: dict[int, tuple[str, str]]) -> str:
    counts = Counter(left_out[side.index][0] for side in members if side.index in left_out)
    return min(counts, key=lambda reason: (-counts[reason], REASONS.index(reason)))
