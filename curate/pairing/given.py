"""``given``: records that arrived as chosen and rejected (``signal.label``)."""

from __future__ import annotations

from curate.pairing.base import GroupVerdict, Strategy, pair_by_value, strategy
from curate.pairing.sides import Side
from curate.schema import Label

LABEL_VALUE: dict[Label | None, float] = {"chosen": 1.0, "rejected": 0.0}


@strategy("given")
class Given(Strategy):
    def applies(self, sides: list[Side]) -> bool:
        return any(side.label is not None for side in sides)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        return pair_by_value(
            sides,
            {side.index: LABEL_VALUE.get(side.label) for side in sides},
            pairing="all",
            missing="no chosen/rejected label",
            describe="label",
        )
