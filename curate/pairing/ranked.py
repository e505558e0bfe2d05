"""``ranked``: replies ranked by the source (``signal.rank``, 0 best), as in OpenAssistant."""

from __future__ import annotations

from typing import ClassVar

from curate.pairing.base import GroupVerdict, OrderOptions, Strategy, pair_by_value, strategy
from curate.pairing.sides import Side


@strategy("ranked")
class Ranked(Strategy):
    Options: ClassVar[type[OrderOptions]] = OrderOptions
    options: OrderOptions

    def applies(self, sides: list[Side]) -> bool:
        return any(side.rank is not None for side in sides)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        return pair_by_value(
            sides,
            {side.index: None if side.rank is None else -float(side.rank) for side in sides},
            pairing=self.options.pairing,
            missing="no signal.rank",
            describe="rank",
        )
