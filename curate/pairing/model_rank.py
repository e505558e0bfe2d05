"""``model_rank``: replies of different models to one prompt, the stronger model's chosen.

``ranking`` lists model-name patterns best first (``fnmatch`` style, case-insensitive):
a model's tier is the first pattern it matches. Replies whose model matches no pattern are
left out; replies of one tier are a tie.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import ClassVar

from pydantic import Field, field_validator

from curate.pairing.base import GroupVerdict, OrderOptions, Strategy, pair_by_value, strategy
from curate.pairing.sides import Side


class ModelRankOptions(OrderOptions):
    ranking: list[str] = Field(
        default_factory=list,
        description='Model-name patterns, best first, e.g. ["gpt-4*", "gpt-3.5*"].',
    )

    @field_validator("ranking")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        lowered = [pattern.strip().lower() for pattern in value]
        if any(not pattern for pattern in lowered):
            raise ValueError("model patterns must not be empty")
        if len(set(lowered)) != len(lowered):
            raise ValueError("a model pattern is listed twice")
        return lowered


@strategy("model_rank")
class ModelRank(Strategy):
    Options: ClassVar[type[ModelRankOptions]] = ModelRankOptions
    options: ModelRankOptions

    def applies(self, sides: list[Side]) -> bool:
        return any(self.tier(side) is not None for side in sides)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        tiers = {side.index: self.tier(side) for side in sides}
        return pair_by_value(
            sides,
            {index: None if tier is None else -float(tier) for index, tier in tiers.items()},
            pairing=self.options.pairing,
            missing="model not in model_rank.ranking",
            describe="model rank",
        )

    def tier(self, side: Side) -> int | None:
        if not side.model:
            return None
        model = side.model.lower()
        for position, pattern in enumerate(self.options.ranking):
            if fnmatchcase(model, pattern):
                return position
        return None
