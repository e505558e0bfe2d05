"""Text as the recognizers should see it, and the way back to the characters the user wrote.

Pasted chat exports and web text carry characters that break patterns without changing what
a reader sees: non-breaking and other fixed-width spaces between the digit groups of a phone
number, zero-width spaces and joiners inside words, and bidirectional marks around numbers
(WhatsApp writes ``\\u202a+91 98xxx\\u202c``). ``normalize`` maps every such space to a plain
space and deletes the invisible characters, and keeps, for each character it returns, the
index of the character it came from, so a span found in the normalised text maps back to
the original (``NormalizedText.original``) and the output keeps every other character as written.

>>> n = normalize("call\\u00a0+91\\u200e 98 76")
>>> n.text
'call +91 98 76'
>>> n.original(5, 14)
(5, 15)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import regex

SPACES: Final = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
INVISIBLE: Final = (
    "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"  # soft hyphen, zero-width space/joiners, word joiner, BOM
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # embeddings, overrides, isolates
)
SPECIAL: Final = regex.compile(f"[{SPACES}{INVISIBLE}]")
TO_SPACE: Final = frozenset(SPACES)


@dataclass(frozen=True)
class NormalizedText:
    """A normalised text and, when it differs from the original, where each character came from."""

    text: str
    source: tuple[int, ...] | None = None
    """``source[i]`` is the original index of ``text[i]``; ``source[len(text)]`` the original length."""

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (``end`` exclusive, as in slicing)."""
        if self.source is None:
            return start, end
        if end <= start:
            return self.source[start], self.source[start]
        return self.source[start], self.source[end - 1] + 1


def normalize(text: str) -> NormalizedText:
    """``text`` with special spaces made plain and invisible characters removed."""
    if SPECIAL.search(text) is None:
        return NormalizedText(text)
    chars: list[str] = []
    source: list[int] = []
    for index, char in enumerate(text):
        if char in TO_SPACE:
            chars.append(" ")
        elif char in INVISIBLE:
            continue
        else:
            chars.append(char)
        source.append(index)
    source.append(len(text))
    return NormalizedText("".join(chars), tuple(source))
