"""Which recognizers could report anything in a text, decided by one cheap look at it.

Most chat text holds no digit, no ``@`` and no phone word, and every pattern recognizer of
the stage needs one of them to report a value at the threshold. A ``Gate`` is a test a
text must pass before a recognizer reads it; each test is a necessary condition of the
recognizer's own patterns, so a skipped recognizer is one that would have reported
nothing (the findings do not change, only the time):

- e-mail addresses need an ``@``, and presidio's pattern never crosses a space: its
  recognizer reads only the runs of non-space characters that hold one;
- SSNs, IBANs, cards and phones need two digits in a row, IPv4 addresses a digit, a dot
  and a digit, IPv6 a ``:``; street addresses a digit;
- presidio's own phone recognizer scores 0.4 and reaches a threshold above that only
  with one of its context words among the five words before a number or the two after it
  (``phone``, ``number``, ``call``...). It reads only the lines within ``PHONE_REACH``
  characters of such a word (``phone_lines``), which saves eight ``phonenumbers`` walks
  over the rest: no number it matches spans a line break, and a line break next to a
  number changes none of its checks, so every number it would report at the threshold is
  reported the same (unless a text holds more candidates than ``phonenumbers``' limit of
  65,535 tries, where reading less lets it find more);
- name cues need a capital letter; profile URLs a ``/`` and a ``.``.

Recognizers without a gate here (other presidio entity types a pipeline asks for) always run.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from functools import cached_property
from typing import Final

import regex
from presidio_analyzer import EntityRecognizer
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)

from curate.pii.addresses import StreetAddressRecognizer
from curate.pii.cards import CardRecognizer
from curate.pii.context import WINDOW_CHARS
from curate.pii.phones import ShapedPhoneRecognizer
from curate.pii.profiles import ProfileUrlRecognizer
from curate.pii.recognizers import PersonCueRecognizer, PublicIpRecognizer

DIGIT: Final = regex.compile(r"\d")
DIGITS: Final = regex.compile(r"\d\d")
DOTTED_DIGITS: Final = regex.compile(r"\d\.\d")
UPPER: Final = regex.compile(r"\p{Lu}")
NEWLINE: Final = regex.compile(r"\n")
SPACE: Final = regex.compile(r"\s")
SPACE_BEFORE: Final = regex.compile(r"\s", regex.REVERSE)
PHONE_REACH: Final = WINDOW_CHARS
"""Characters from a context word to a number it can lift: presidio's enhancer (here
``TextContextEnhancer``) reads the words in the 120 characters before a number's start and
after its end, so such a number starts or ends that close to the word; its line, read
whole, holds all of it."""


class Glance:
    """What a text holds, each fact looked up once and only when a gate asks."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def digit(self) -> bool:
        return DIGIT.search(self.text) is not None

    @cached_property
    def digits(self) -> bool:
        """Two digits in a row."""
        return self.digit and DIGITS.search(self.text) is not None

    @cached_property
    def upper(self) -> bool:
        return UPPER.search(self.text) is not None

    @cached_property
    def folded(self) -> str:
        return self.text.casefold()


Gate = Callable[[Glance], bool]
Reach = Callable[[Glance], list[tuple[int, int]]]
"""The spans of a text a recognizer must read (none: skip it)."""


def _always(glance: Glance) -> bool:
    return True


def _digit(glance: Glance) -> bool:
    return glance.digit


def _digits(glance: Glance) -> bool:
    return glance.digits


GATES: Final[dict[type[EntityRecognizer], Gate]] = {
    UsSsnRecognizer: _digits,
    IbanRecognizer: _digits,
    CardRecognizer: _digits,
    ShapedPhoneRecognizer: _digits,
    StreetAddressRecognizer: _digit,
    PublicIpRecognizer: lambda glance: (
        ":" in glance.text or (glance.digit and bool(DOTTED_DIGITS.search(glance.text)))
    ),
    PersonCueRecognizer: lambda glance: glance.upper,
    ProfileUrlRecognizer: lambda glance: "/" in glance.text and "." in glance.text,
}


def reach(recognizer: EntityRecognizer) -> Reach:
    """The spans of a text ``recognizer`` must read (see the module docstring)."""
    if type(recognizer) is EmailRecognizer:
        return lambda glance: runs_around(glance.text, "@")
    if type(recognizer) is PhoneRecognizer:
        threshold = min(recognizer.score_thresholds.values(), default=0.0)
        if threshold > PhoneRecognizer.SCORE:
            return _phone_lines(tuple(word.casefold() for word in recognizer.context))
    passes = GATES.get(type(recognizer), _always)
    return lambda glance: [(0, len(glance.text))] if passes(glance) else []


def _phone_lines(words: tuple[str, ...]) -> Reach:
    pattern = regex.compile("|".join(regex.escape(word) for word in words))

    def lines(glance: Glance) -> list[tuple[int, int]]:
        if not glance.digit:
            return []
        text, folded = glance.text, glance.folded
        if len(folded) != len(text):  # casefolding lengthened a character: offsets differ
            return [(0, len(text))]
        spans = phone_lines(text, [match.start() for match in pattern.finditer(folded)])
        return [(start, end) for start, end in spans if DIGIT.search(text, start, end)]

    return lines


def runs_around(text: str, char: str) -> list[tuple[int, int]]:
    """The runs of non-space characters of ``text`` that hold ``char``.

    >>> text = "mail ada@example.org, or (bob@x.io) now"
    >>> [text[s:e] for s, e in runs_around(text, "@")]
    ['ada@example.org,', '(bob@x.io)']
    """
    runs: list[tuple[int, int]] = []
    at = text.find(char)
    while at >= 0:
        before = SPACE_BEFORE.search(text, 0, at)
        after = SPACE.search(text, at)
        run = (before.end() if before else 0, after.start() if after else len(text))
        runs.append(run)
        at = text.find(char, run[1])
    return runs


def phone_lines(text: str, anchors: list[int], reach: int = PHONE_REACH) -> list[tuple[int, int]]:
    r"""The lines of ``text`` within ``reach`` characters of an anchor, merged; each span ends
    before its line break.

    >>> text = "a\nb 12\ncall 555 0134\nz"
    >>> [text[s:e] for s, e in phone_lines(text, [text.index("call")], reach=3)]
    ['b 12\ncall 555 0134']
    """
    if not anchors:
        return []
    breaks = [match.start() for match in NEWLINE.finditer(text)]
    spans: list[tuple[int, int]] = []
    for anchor in anchors:
        first = bisect_left(breaks, max(0, anchor - reach))
        last = bisect_right(breaks, anchor + reach)
        start = breaks[first - 1] + 1 if first > 0 else 0
        end = breaks[last] if last < len(breaks) else len(text)
        if spans and start <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans
