"""What a pairing strategy is, and the ordering logic most strategies share.

A strategy looks at the sides of one group (replies to one prompt) and says which pairs the
evidence supports, as ``Candidate``s, and why each side it could not use is left out. It
does not filter short or identical sides, cap pairs per prompt or build output rows: the
``pairs`` stage does that alike for every strategy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import Field

from curate.options import StrictModel
from curate.pairing.sides import Side, Turns

PairingMode = Literal["best_worst", "best_rest", "all"]
"""Which pairs an ordering strategy makes of a group: its `pairing:` option."""
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
class GroupVerdict:
    """What a strategy made of one group: candidate pairs, and why other sides are left out.

    Every side is either ``pairable`` (in at least one candidate) or ``left_out`` with a reason.
    ``candidates`` may be a generator: the ``pairs`` stage draws only as many as it keeps.
    """

    candidates: Iterable[Candidate] = ()
    pairable: list[int] = field(default_factory=list)
    """``Side.index`` of every side that some candidate uses."""
    left_out: dict[int, tuple[str, str]] = field(default_factory=dict)
    """``Side.index`` -> ``(reason, detail)`` for every side in no candidate."""

    def leave_out(self, sides: list[Side], reason: str, detail: str) -> GroupVerdict:
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
    def pair(self, sides: list[Side]) -> GroupVerdict:
        """The pairs the evidence supports among ``sides`` (two or more replies to one prompt)."""

    def label_alone(self, side: Side) -> tuple[bool, float | None] | None:
        """What this strategy's evidence says of one reply alone, with no other to compare:
        ``(desirable, score)``, or None when it says nothing (``format_variant: kto`` labels
        replies in no pair with it). Only absolute evidence can: a thumb, not a rank."""
        return None

    def prepare(self, groups: list[list[Side]]) -> None:  # noqa: B027 (optional hook)
        """Called once, before ``pair``, with every group this strategy will decide.

        A strategy that must fetch its evidence (a judge asking a model) fetches it here for
        all groups at once, so requests run concurrently instead of group by group.
        """

    def reset(self) -> None:  # noqa: B027 (optional hook)
        """Forget the counts behind ``report`` (the stage starts a new part of the rows)."""

    def report(self) -> dict[str, Any]:
        """Figures for the ``pairs`` report (counts and settings, flat keys prefixed by the name)."""
        return {}


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

    pairing: PairingMode = Field("best_worst", description=PAIRING_HELP)


def pair_by_value(
    sides: list[Side],
    values: Mapping[int, float | None],
    *,
    pairing: PairingMode,
    missing: str,
    min_margin: float = 0.0,
    scores: Mapping[int, float | None] | None = None,
    describe: str = "value",
) -> GroupVerdict:
    """Pairs of sides by a value where higher is better.

    A pair needs a margin above zero and at least ``min_margin``. Sides without a value are
    left out as ``no_signal`` (``missing`` says what they lack); a copy of an earlier side (same
    value, same prompt and reply) as ``duplicate_reply``, as its pairs would repeat the earlier
    one's; sides whose margin to every other is too small as ``tie``.

    Candidates come lazily, the earlier of ``sides`` first, so a caller that needs a few pairs
    of a group of thousands of replies pays for a few.
    """
    verdict = GroupVerdict()
    verdict.leave_out([side for side in sides if values.get(side.index) is None], "no_signal", missing)
    valued: list[Side] = []
    seen: set[tuple[float | None, Turns, Turns]] = set()
    for side in sides:
        key = (values.get(side.index), side.prompt, side.reply)
        if key[0] is None:
            continue
        if key in seen:
            verdict.leave_out([side], "duplicate_reply", f"the same reply with the same {describe} is paired")
            continue
        seen.add(key)
        valued.append(side)
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

    best = max(valued, key=value)
    worst = min(valued, key=value)
    if not better(best, worst):
        detail = (
            f"equal {describe}s" if value(best) == value(worst) else f"{describe} margin below min_margin"
        )
        return verdict.leave_out(valued, "tie", detail)
    tops = [side for side in valued if value(side) == value(best)]
    if pairing == "best_worst":
        bottoms = [side for side in valued if value(side) == value(worst)]
        pairable = [*tops, *bottoms]
        pairs: Iterator[tuple[Side, Side]] = ((a, b) for a in tops for b in bottoms)
        rest = ("unpaired", "best_worst pairs only the best and the worst reply")
    elif pairing == "best_rest":
        pairable = [side for side in valued if value(side) == value(best) or better(best, side)]
        pairs = ((a, b) for a in tops for b in valued if better(a, b))
        rest = ("tie", f"within min_margin of the best {describe}")
    else:
        pairable = [side for side in valued if better(side, worst) or better(best, side)]
        pairs = ((a, b) for a in valued if better(a, worst) for b in valued if better(a, b))
        rest = ("tie", f"within min_margin of every other {describe}")
    verdict.pairable = [side.index for side in pairable]
    verdict.candidates = (Candidate(a, b, scores.get(a.index), scores.get(b.index)) for a, b in pairs)
    chosen = set(verdict.pairable)
    return verdict.leave_out([side for side in valued if side.index not in chosen], *rest)
