"""``given``: records that arrived as chosen and rejected (``signal.label``).

When both sides of a candidate also carry a score (UltraFeedback binarized, argilla's
layouts), the scores must agree with the labels by at least ``min_margin``: a pair whose
chosen side does not score above its rejected side (an exact tie, most often) teaches
nothing, so both sides are left out as ``tie``. Sides without scores pair by label alone.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from curate.pairing.base import Candidate, GroupVerdict, Strategy, StrategyOptions, pair_by_value, strategy
from curate.pairing.sides import Side
from curate.schema import Label

LABEL_VALUE: dict[Label | None, float] = {"chosen": 1.0, "rejected": 0.0}


class GivenOptions(StrategyOptions):
    min_margin: float = Field(
        0.0,
        ge=0,
        description="When both sides carry a score, the chosen one must exceed the rejected one by more "
        "than zero and at least this much; otherwise the pair is a tie and dropped.",
    )


@strategy("given")
class Given(Strategy):
    Options: ClassVar[type[GivenOptions]] = GivenOptions
    options: GivenOptions

    def applies(self, sides: list[Side]) -> bool:
        return any(side.label is not None for side in sides)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        verdict = pair_by_value(
            sides,
            {side.index: LABEL_VALUE.get(side.label) for side in sides},
            pairing="all",
            missing="no chosen/rejected label",
            describe="label",
        )
        if all(side.score is None for side in sides):
            return verdict
        candidates = list(verdict.candidates)
        kept = [candidate for candidate in candidates if self.wide_enough(candidate)]
        used = {side.index for candidate in kept for side in (candidate.chosen, candidate.rejected)}
        verdict.candidates = kept
        verdict.pairable = [index for index in verdict.pairable if index in used]
        for candidate in candidates:
            if candidate not in kept:
                sides_left = [
                    side for side in (candidate.chosen, candidate.rejected) if side.index not in used
                ]
                verdict.leave_out(sides_left, "tie", self.tie_detail(candidate))
        return verdict

    def wide_enough(self, candidate: Candidate) -> bool:
        """False when both sides are scored and the chosen one does not win by ``min_margin``."""
        chosen, rejected = candidate.score_chosen, candidate.score_rejected
        if chosen is None or rejected is None:
            return True
        margin = chosen - rejected
        return margin > 0 and margin >= self.options.min_margin

    def tie_detail(self, candidate: Candidate) -> str:
        if candidate.score_chosen == candidate.score_rejected:
            return "chosen and rejected have equal scores"
        return f"the chosen side does not score min_margin={self.options.min_margin:g} above the rejected"
