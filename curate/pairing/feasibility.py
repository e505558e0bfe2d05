"""Before the slow stages: can the configured strategies form any pair from these rows?

``estimate_pairing`` groups the conversations as the ``pairs`` stage would (the source's
``group``, else the prompt cluster, else the exact prompt), keeps the groups with two or more
usable replies, and asks each strategy, in order, whether a group carries its evidence (the
first that does decides the group, as in the stage). It pairs nothing, so it costs a read of
the rows; a runner can call it right after reading and stop before PII scanning when no
strategy can decide any group.

The estimate errs on the side of going on: a group decided by a strategy may still give no
pair (a tied battle), and ``dedup``'s prompt clusters, made later, may join near-duplicate
prompts into groups the exact prompt does not. ``can_pair`` false means no group of the rows
as read can give a pair.

>>> from curate.pairing import STRATEGIES
>>> from curate.pairing.model_rank import ModelRankOptions
>>> import polars as pl
>>> from curate import schema
>>> rows = schema.conversations([
...     {"id": "a", "source": "s", "messages": [{"role": "user", "content": "hi"},
...      {"role": "assistant", "content": "hello"}], "license": "MIT", "consent": "unknown",
...      "model": "gpt-4"},
... ])
>>> ranking = STRATEGIES["model_rank"](ModelRankOptions(ranking=["gpt-4*"]))
>>> estimate = estimate_pairing(rows, [ranking])
>>> estimate.can_pair, estimate.groups_with_replies
(False, 0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from curate.dedup.hashing import string_code
from curate.pairing.base import Strategy
from curate.pairing.pairer import group_key
from curate.pairing.sides import Side, read_sides


@dataclass(frozen=True)
class PairingEstimate:
    """What the rows as read offer the configured strategies."""

    conversations: int
    groups: int
    """Groups of replies to one prompt."""
    groups_with_replies: int
    """Groups with two or more replies long enough to pair."""
    by_strategy: dict[str, int] = field(default_factory=dict)
    """Strategy -> groups whose evidence it would decide (the first applicable strategy wins)."""
    complete: bool = True
    """False when only some groups were looked at (``estimate_in_batches`` stopped early): a
    ``can_pair`` of False then proves nothing."""
    labelled_alone: int = 0
    """Replies a strategy's evidence labels on their own (a thumb...): rows of a ``kto`` output."""

    @property
    def without_evidence(self) -> int:
        """Groups with two or more replies that no configured strategy has evidence for."""
        return self.groups_with_replies - sum(self.by_strategy.values())

    @property
    def can_pair(self) -> bool:
        """Whether the stage could give any row: a pair, or for ``kto`` a reply labelled alone."""
        return any(self.by_strategy.values()) or self.labelled_alone > 0

    def explain(self) -> str:
        """One paragraph for a user: what the rows offer and, when nothing, why."""
        strategies = ", ".join(self.by_strategy) or "none"
        head = (
            f"{self.conversations:,} conversations form {self.groups:,} groups of replies to one prompt; "
            f"{self.groups_with_replies:,} have two or more replies"
        )
        if self.can_pair:
            decided = ", ".join(f"{name} {count:,}" for name, count in self.by_strategy.items() if count)
            alone = f"; replies labelled on their own: {self.labelled_alone:,}" if self.labelled_alone else ""
            return f"{head}; groups each strategy would decide: {decided or 'none'}{alone}."
        if not self.groups_with_replies:
            return (
                f"{head}, so no strategy ({strategies}) can form a pair: each prompt has a single reply. "
                "Real chat logs need several replies per prompt (candidates from a model, or a judge)."
            )
        return (
            f"{head}, but none carries the evidence of {strategies} "
            "(battle: signal.outcome; ranked: signal.rank; rated: signal.score; thumbs: signal.thumbs; "
            "given: signal.label; model_rank: a model named in its ranking)."
        )


def estimate_pairing(
    frame: pl.DataFrame, strategies: list[Strategy], *, min_chars: int = 1, alone: bool = False
) -> PairingEstimate:
    """How many groups of ``frame`` (conversations) each of ``strategies`` could decide; with
    ``alone`` (a ``kto`` output), also how many replies their evidence labels on their own."""
    groups: dict[tuple[str, ...], list[Side]] = {}
    for side in read_sides(frame, with_meta=any(strategy.name == "rated" for strategy in strategies)):
        if side.prompt and side.reply:
            groups.setdefault(group_key(side), []).append(side)
    decided: Counter[str] = Counter({strategy.name: 0 for strategy in strategies})
    with_replies = labelled = 0
    for members in groups.values():
        usable = [side for side in members if side.reply_chars >= min_chars]
        if alone:
            labelled += sum(any(s.label_alone(side) is not None for s in strategies) for side in usable)
        if len(usable) < 2:
            continue
        with_replies += 1
        chosen = next((strategy for strategy in strategies if strategy.applies(usable)), None)
        if chosen is not None:
            decided[chosen.name] += 1
    return PairingEstimate(
        conversations=frame.height,
        groups=len(groups),
        groups_with_replies=with_replies,
        by_strategy=dict(decided),
        labelled_alone=labelled,
    )


def estimate_in_batches(
    shards: Callable[[], Iterator[pl.DataFrame]],
    strategies: list[Strategy],
    *,
    min_chars: int = 1,
    alone: bool = False,
    batch_rows: int = 20_000,
    max_batches: int = 4,
) -> PairingEstimate:
    """``estimate_pairing`` over rows that come a shard at a time, holding a batch of groups.

    One pass finds each row's group; only groups of two or more rows can pair, and they are
    looked at in batches of about ``batch_rows`` rows (whole groups, in order of their first
    row), one more pass over the shards per batch. It stops at the first batch where a
    strategy decides a group, or after ``max_batches`` (then ``complete`` is False). With
    ``alone`` (a ``kto`` output) a reply alone can give a row: every group is looked at.
    """
    codes = [
        np.array([_code(_group_of(side)) for side in read_sides(frame)], np.uint64) for frame in shards()
    ]
    every = np.concatenate(codes) if codes else np.zeros(0, np.uint64)
    # Groups as 64-bit codes (0: a row in no group), not a string a row: in order of first row.
    distinct, first, counts = np.unique(every[every != 0], return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    distinct, counts = distinct[order], counts[order]
    paired = np.ones(distinct.size, bool) if alone else counts > 1
    keys, sizes = distinct[paired], counts[paired]
    decided: Counter[str] = Counter({strategy.name: 0 for strategy in strategies})
    with_replies = labelled = 0
    batches = _batches(sizes.tolist(), batch_rows)
    looked = 0
    for start, stop in batches[:max_batches]:
        looked += 1
        wanted = keys[start:stop]
        rows = [
            frame.filter(pl.Series(np.isin(shard_codes, wanted), dtype=pl.Boolean))
            for frame, shard_codes in zip(shards(), codes, strict=False)
        ]
        found = estimate_pairing(
            pl.concat(rows, how="vertical"), strategies, min_chars=min_chars, alone=alone
        )
        with_replies += found.groups_with_replies
        labelled += found.labelled_alone
        decided.update(found.by_strategy)
        if found.can_pair:
            break
    return PairingEstimate(
        conversations=int(every.size),
        groups=int(distinct.size),
        groups_with_replies=with_replies,
        by_strategy=dict(decided),
        labelled_alone=labelled,
        complete=looked == len(batches),
    )


def _group_of(side: Side) -> str | None:
    return "\x1f".join(group_key(side)) if side.prompt and side.reply else None


def _batches(sizes: list[int], batch_rows: int) -> list[tuple[int, int]]:
    """Consecutive ranges of groups (by position) of about ``batch_rows`` rows each."""
    batches: list[tuple[int, int]] = []
    start = filled = 0
    for position, size in enumerate(sizes):
        if filled and filled + size > batch_rows:
            batches.append((start, position))
            start, filled = position, 0
        filled += size
    if sizes:
        batches.append((start, len(sizes)))
    return batches


def _code(key: str | None) -> int:
    """A 64-bit code of a group key, never 0 (which stands for no group)."""
    if key is None:
        return 0
    return string_code(key) or 1
