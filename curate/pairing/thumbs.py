"""``thumbs``: a thumbs-up reply against a thumbs-down reply to the same prompt."""

from __future__ import annotations

from curate.pairing.base import GroupVerdict, Strategy, pair_by_value, strategy
from curate.pairing.sides import Side
from curate.schema import Thumb

THUMB_VALUE: dict[Thumb | None, float] = {"up": 1.0, "down": 0.0}


@strategy("thumbs")
class Thumbs(Strategy):
    def applies(self, sides: list[Side]) -> bool:
        return any(side.thumbs is not None for side in sides)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        return pair_by_value(
            sides,
            {side.index: THUMB_VALUE.get(side.thumbs) for side in sides},
            pairing="all",
            missing="no thumbs up or down",
            describe="thumb",
        )

    def label_alone(self, side: Side) -> tuple[bool, float | None] | None:
        value = THUMB_VALUE.get(side.thumbs)
        return None if value is None else (value > 0, side.score)
