"""How far apart the two sides of scored pairs are: the margin distribution the card reports.

A margin is ``score_chosen - score_rejected``; only pairs whose two sides both carry a score
have one (``rated`` pairs, ``given`` pairs from scored layouts). Quantiles are nearest-rank
values of the margins, so each is a margin some pair has.

>>> margin_distribution([("rated", 9.0, 3.5), ("rated", 8.0, 7.0), ("given", 5.0, None)])
{'rated': {'pairs': 2, 'min': 1.0, 'p25': 1.0, 'median': 1.0, 'p75': 5.5, 'max': 5.5}}
"""

from __future__ import annotations

import math
from collections.abc import Iterable

QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}


def margin_distribution(
    scored: Iterable[tuple[str, float | None, float | None]],
) -> dict[str, dict[str, float | int]]:
    """Strategy -> ``{pairs, min, p25, median, p75, max}`` of the margins of its scored pairs.

    ``scored`` holds ``(strategy, score_chosen, score_rejected)`` per pair; strategies with no
    pair scored on both sides are left out.
    """
    by_strategy: dict[str, list[float]] = {}
    for strategy, chosen, rejected in scored:
        if chosen is not None and rejected is not None:
            by_strategy.setdefault(strategy, []).append(chosen - rejected)
    return {strategy: _summary(sorted(margins)) for strategy, margins in sorted(by_strategy.items())}


def _summary(margins: list[float]) -> dict[str, float | int]:
    summary: dict[str, float | int] = {"pairs": len(margins), "min": round(margins[0], 4)}
    for name, fraction in QUANTILES.items():
        rank = max(1, math.ceil(fraction * len(margins)))
        summary[name] = round(margins[rank - 1], 4)
    summary["max"] = round(margins[-1], 4)
    return summary
