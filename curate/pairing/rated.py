"""``rated``: replies scored by the source, or by several aspect scores combined with weights.

HelpSteer2-style sources rate each reply on aspects (helpfulness, correctness, coherence,
complexity, verbosity); the reader keeps them in ``meta`` under the source's names, and
``aspects`` names them with their weights, so the combined score is ``sum(weight * value)``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import orjson
from pydantic import Field, field_validator

from curate.pairing.base import GroupVerdict, OrderOptions, Strategy, pair_by_value, strategy
from curate.pairing.sides import Side


class RatedOptions(OrderOptions):
    min_margin: float = Field(
        0.0, ge=0, description="A pair needs the chosen score to exceed the rejected one by at least this."
    )
    aspects: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Aspect scores in `meta` (dots between nested keys) and their weights; "
            "empty means use `signal.score`."
        ),
    )
    desirable_at: float | None = Field(
        None,
        allow_inf_nan=False,
        description=(
            "With output.format_variant: kto, a scored reply in no pair is desirable (label true) when"
            " its score is at least this, undesirable below it; unset, such a reply is left out."
        ),
    )

    @field_validator("aspects")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            if not name or not math.isfinite(weight):
                raise ValueError("each aspect needs a name and a finite weight")
        if value and not any(value.values()):
            raise ValueError("at least one aspect weight must be non-zero")
        return value


@strategy("rated")
class Rated(Strategy):
    Options: ClassVar[type[RatedOptions]] = RatedOptions
    options: RatedOptions

    @property
    def evidence(self) -> str:
        return "aspect scores in meta" if self.options.aspects else "signal.score"

    def applies(self, sides: list[Side]) -> bool:
        return any(self.score(side) is not None for side in sides)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        values = {side.index: self.score(side) for side in sides}
        return pair_by_value(
            sides,
            values,
            pairing=self.options.pairing,
            min_margin=self.options.min_margin,
            missing=f"no {self.evidence}",
            scores=values,
            describe="score",
        )

    def label_alone(self, side: Side) -> tuple[bool, float | None] | None:
        threshold = self.options.desirable_at
        score = self.score(side) if threshold is not None else None
        return None if threshold is None or score is None else (score >= threshold, score)

    def score(self, side: Side) -> float | None:
        if not self.options.aspects:
            return side.score
        meta = _parse(side.meta)
        total = 0.0
        for name, weight in self.options.aspects.items():
            value = _lookup(meta, name)
            if value is None:
                return None
            total += weight * value
        return total


def _parse(meta: str | None) -> Any:
    if not meta:
        return None
    try:
        return orjson.loads(meta)
    except orjson.JSONDecodeError:
        return None


def _lookup(meta: Any, path: str) -> float | None:
    value = meta
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
