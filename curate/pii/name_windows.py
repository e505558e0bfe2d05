"""Where NER reads: windows of a text around the words that can be part of a kept name.

spaCy's NER is most of the stage's time, and most of what it reads cannot yield a PERSON
the stage keeps: ``name_rules.refine`` drops a span unless one of its words is neither a common
English word nor a listed non-person (or a cue vouches for it, and cues are found without
NER). ``name_windows`` finds the words that pass that test and could be part of a name (code
is already blanked): capitalised ones (not acronyms, months, titles, ``I'm``), and
lower-case ones on the name list (``joshua``, ``mitch chong``), and returns, for each, the
span from ``MARGIN`` words before it to ``MARGIN`` words after, overlapping or adjacent ones
merged. NER reads only those windows, each as its own text.

What that costs is measured, not assumed (``benchmarks/README.md``): a name whose only
uncommon words are in lower case and off the list, or all in capitals (``Will xyzzy``,
``OYELARAN``), is no longer seen by NER (the name list still reads every word), and NER at
a window's edge sees less context than in the whole text; the small English model's
features reach about four tokens either side. No label of the development set changes with
margins of 4, 6 or 8 words; 4 reads a third less than 8. On the real ShareGPT turns every
PERSON the windows lose is a false positive (``a. People``, Korean phrases, ``ASP.NET Core``).

>>> text = "please fix the bug, Olamide said, then ship the build"
>>> [text[start:end] for start, end in name_windows(text, margin=1)]
['bug, Olamide said,']
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from typing import Final

import regex

from curate.pii.names import CAMEL_INSIDE, listed, name_like
from curate.pii.words import is_common_word

MARGIN: Final = 4
"""Words of context kept on each side of a word that can be part of a name."""
WORD: Final = regex.compile(r"(?<![\p{L}\p{M}\p{N}_])\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*")
CHUNK: Final = regex.compile(r"\S+")
CAPITALS_THEN_LOWER: Final = regex.compile(r"^\p{Lu}{2,}\p{Ll}")
"""``HTMLElement``, ``IPhone``: an acronym run into a word."""


@lru_cache(maxsize=1 << 16)
def can_be_a_name(word: str) -> bool:
    """A word that could start a kept name: ``names.name_like`` (not common English, not a
    listed non-person, a month or a title; shaped like a name, not ``I'm``), and capitalised
    (not all capitals, plural ``APIs`` included; no inner capital as in ``HTMLElement``) or on
    the name list."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if is_common_word(word) or not name_like(word):
        return False
    if word[0].isupper():
        capitals = word[:-1] if word.endswith("s") else word
        return not (capitals.isupper() or CAMEL_INSIDE.search(word) or CAPITALS_THEN_LOWER.match(word))
    return listed(word)


def name_windows(text: str, margin: int = MARGIN) -> list[tuple[int, int]]:
    """Spans of ``text`` around its words that can be part of a name, sorted, not overlapping."""
    starts = [match.start() for match in WORD.finditer(text) if can_be_a_name(match.group())]
    if not starts:
        return []
    chunks = [match.span() for match in CHUNK.finditer(text)]
    chunk_starts = [start for start, _ in chunks]
    windows: list[tuple[int, int]] = []
    for position in starts:
        index = bisect_right(chunk_starts, position) - 1
        start = chunks[max(0, index - margin)][0]
        end = chunks[min(len(chunks) - 1, index + margin)][1]
        if windows and start <= windows[-1][1] + 1:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((start, end))
    return windows
