"""Long texts cut into overlapping windows, so each recognizer run costs a bounded amount.

spaCy needs about 1 GB per 100,000 characters of one text, and some of presidio's and the
name list's checks take time that grows faster than the text. A text longer than
``WINDOW_CHARS`` is therefore scanned window by window. The text is cut into consecutive
**own** spans at whitespace (near every ``WINDOW_CHARS`` characters); a window is its own
span widened by ``OVERLAP_CHARS`` on both sides, and reports only the findings that start
in its own span. A value shorter than ``OVERLAP_CHARS`` is thus seen whole by the one
window that reports it; the context words around it that raise a score are within reach
too. A text of at most ``WINDOW_CHARS`` characters is one window, scanned as before.

>>> [(w.start, w.end, w.own_start, w.own_end) for w in windows("a" * 10, size=4, overlap=1)]
[(0, 5, 0, 4), (3, 9, 4, 8), (7, 10, 8, 10)]
>>> windows("short", size=100, overlap=10)
[Window(start=0, end=5, own_start=0, own_end=5)]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

WINDOW_CHARS: Final = 20_000
OVERLAP_CHARS: Final = 400
LONGEST_WINDOW: Final = WINDOW_CHARS + 2 * OVERLAP_CHARS
"""The longest text a recognizer (and spaCy, whose ``max_length`` it is) is given."""
SEEK_CHARS: Final = 1_000
"""How far back from a cut a whitespace is looked for, so a cut does not split a word."""


@dataclass(frozen=True)
class Window:
    """``text[start:end]`` is scanned; findings that start in ``[own_start, own_end)`` are its."""

    start: int
    end: int
    own_start: int
    own_end: int

    def owns(self, start: int) -> bool:
        """True for a finding that starts at ``start`` (in the window's coordinates)."""
        return self.own_start <= self.start + start < self.own_end


def windows(text: str, size: int = WINDOW_CHARS, overlap: int = OVERLAP_CHARS) -> list[Window]:
    """The windows ``text`` is scanned in (one, for a text of at most ``size`` characters)."""
    length = len(text)
    cuts = [0]
    while length - cuts[-1] > size:
        cuts.append(_cut(text, cuts[-1] + size, min(size, SEEK_CHARS)))
    cuts.append(length)
    return [
        Window(max(0, own_start - overlap), min(length, own_end + overlap), own_start, own_end)
        for own_start, own_end in itertools.pairwise(cuts)
    ]


def _cut(text: str, at: int, seek: int) -> int:
    """``at``, moved back to just after a newline or space within ``seek`` characters if there is one."""
    for separator in ("\n", " "):
        found = text.rfind(separator, at - seek, at)
        if found != -1:
            return found + 1
    return at
