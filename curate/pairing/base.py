"""What a pairing strategy is, and the ordering logic most strategies share.

A strategy looks at the sides of one group (replies to one prompt) and says which pairs the
evidence supports, as ``Candidate``s, and why each side it could not use is left out. It
does not filter short or identical sides, cap pairs per prompt or build output rows: the
``pairs`` stage does that alike for every strategy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeVar

from pydantic import Field

from curate.options import StrictModel
from curate.pairing.sides import Side

Pairing = Literal["best_worst", "best_rest", "all"]
PAIRING_HELP = (
    "best_worst: the best reply against the worst; best_rest: the best against each worse one; "
    "all: every reply against each worse one."
)


@dataclass(frozen=True)
class Candidate:
    """A pair the evidence supports, before length, identity and per-prompt limits."""

    chosen: Side
    rejected: Side
    score_chosen: float | None = None
    score_rejected: float | None = None


@dataclass
class Verdict:
    """What a strategy made of one group: candidate pairs, and why other sides are left out."""

    candidates: list[Candidate] = field(default_factory=list)
    left_out: dict[int, tuple[str, str]] = field(default_factory=dict)
    """``Side.index`` -> ``(reason, detail)`` for every side in no candidate."""

    def leave_out(self, sides: list[Side], reason: str, detail: str) -> Verdict:
        for side in sides:
            self.left_out.setdefault(side.index, (reason, detail))
        return self


class StrategyOptions(StrictModel):
    """Base class of a strategy's options (the stage's ``<strategy>:`` mapping)."""


class Strategy(ABC):
    """Base class of a pairing strategy; register a subclass with ``@strategy("name")``."""

    name: ClassVar[str]
    Options: ClassVar[type[StrategyOptions]] = StrategyOptions

    def __init__(self, options: StrategyOptions | None = None) -> None:
        self.options = options or self.Options()

    @abstractmethod
    def applies(self, sides: list[Side]) -> bool:
        """True when the group carries this strategy's evidence (then it decides the group)."""

    @abstractmethod
    def pair(self, sides: list[Side]) -> Verdict:
        """The pairs the evidence supports among ``sides`` (two or more replies to one prompt)."""


STRATEGIES: dict[str, type[Strategy]] = {}
T = TypeVar("T", bound=type[Strategy])


def strategy(name: str) -> Callable[[T], T]:
    """Register a strategy class under ``name`` (the key used in ``pairs.strategies``)."""

    def decorate(cls: T) -> T:
        if name in STRATEGIES:
            raise ValueError(f"pairing strategy {name!r} is already registered")
        cls.name = name
        STRATEGIES[name] = cls
        return cls

    return decorate


class OrderOptions(StrategyOptions):
    """Options of strategies that order replies (by rank, score or model)."""

    pairing: Pairing = Field("best_worst", description=PAIRING_HELP)


def pair_by_value(
    sides: list[Side],
    values: Mapping[int, float | None],
    *,
    pairing: Pairing,
    missing: str,
    min_margin: float = 0.0,
    scores: Mapping[int, float | None] | None = None,
    describe: str = "value",
) -> Verdict:
    """Pairs of sides by a value where higher is better.

    A pair needs a margin above zero and at least ``min_margin``; sides without a value are
    left out as ``no_signal`` (``missing`` says what they lack), sides whose margin to every
    other is too small as ``tie``.
    """
    verdict = Verdict()
    valued = [side for side in sides if values.get(side.index) is not None]
    verdict.leave_out([side for side in sides if values.get(side.index) is None], "no_signal", missing)
    if len(valued) < 2:
        return verdict.leave_out(valued, "single_reply", f"the only reply with a {describe}")
    scores = scores if scores is not None else {side.index: side.score for side in sides}

    def value(side: Side) -> float:
        result = values[side.index]
        assert result is not None
        return result

    def better(a: Side, b: Side) -> bool:
        margin = value(a) - value(b)
        return margin > 0 and margin >= min_margin

    best = max(value(side) for side in valued)
    worst = min(value(side) for side in valued)
    tops = [side for side in valued if value(side) == best]
    if pairing == "best_worst":
        bottoms = [side for side in valued if value(side) == worst]
        pairs = [(a, b) for a in tops for b in bottoms if better(a, b)]
    elif pairing == "best_rest":
        pairs = [(a, b) for a in tops for b in valued if better(a, b)]
    else:
        pairs = [(a, b) for a in valued for b in valued if better(a, b)]
    verdict.candidates = [Candidate(a, b, scores.get(a.index), scores.get(b.index)) for a, b in pairs]
    used = {side.index for pair in pairs for side in pair}
    if not pairs:
        detail = f"equal {describe}s" if best == worst else f"{describe} margin below min_margin"
        return verdict.leave_out(valued, "tie", detail)
    rest = [side for side in valued if side.index not in used]
    if pairing == "best_worst":
        return verdict.leave_out(rest, "unpaired", "best_worst pairs only the best and the worst reply")
    return verdict.leave_out(rest, "tie", f"no reply is better by min_margin ({describe})")
