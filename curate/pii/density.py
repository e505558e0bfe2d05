"""Replacements per 1,000 characters: the figure that shows a detector gone wrong.

Personal data is rare in chat logs: on the real ShareGPT and WildChat samples the stage
replaces 1-2 values per 1,000 characters, most of them names of public figures. A run far
above that is replacing ordinary words, code or numbers, which corrupts training data as
surely as a leak exposes people; ``density`` reports the figure and ``warning`` says so.

>>> density(30, 12_000)
2.5
>>> warning(200, 25_000) is not None, warning(30, 12_000)
(True, None)
"""

from __future__ import annotations

from typing import Final

IMPLAUSIBLE_PER_1K: Final = 5.0
MIN_CHARS: Final = 20_000
"""Below this much text a few values make any density; no warning."""


def density(replacements: int, chars: int) -> float:
    """Replacements per 1,000 characters scanned, rounded to 3 decimals."""
    return round(1000 * replacements / chars, 3) if chars else 0.0


def warning(replacements: int, chars: int) -> str | None:
    """A sentence for the report when the density is implausible, else None."""
    value = density(replacements, chars)
    if chars < MIN_CHARS or value <= IMPLAUSIBLE_PER_1K:
        return None
    return (
        f"{value:.1f} replacements per 1,000 characters is implausible for chat logs (over "
        f"{IMPLAUSIBLE_PER_1K:.0f}): check what was replaced (code, product names, ordinary words) "
        "and add terms to `allow`"
    )
