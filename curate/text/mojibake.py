"""Repair mojibake with ftfy, calling it only where it could change something.

``ftfy.fix_text`` costs ~300 us per KB of non-Latin text, mostly in ``ftfy.badness.is_bad``
(one large regex tried at every position). With the fixes chosen below, ftfy can change a
text only if ``is_bad`` matches somewhere, or it holds C1 control characters or surrogates.

``is_bad`` is answered exactly but cheaply: every alternative of ftfy's badness regex must
match at least one character of a small set (derived from the regex itself, so it follows
ftfy's updates), so the regex is only tried in short windows around those characters. A
match is at most ``width`` characters long, so a window of ``width`` on each side of every
such character finds a match whenever the whole text has one; and as the regex has no
lookarounds, word boundaries or end anchors (``^`` only matches at the real start of the
text, even in a window), a match found in a window is a match in the text.

>>> repair("cafÃ© â€œquotedâ€\\x9d")
'café “quoted”'
>>> needs_repair("plain ascii"), needs_repair("Съешь же ещё этих мягких булок")
(False, False)
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# re._parser is the parser behind re.compile: the way to read the badness regex's structure.
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import ftfy
from ftfy import badness

FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,  # entities in a chat about HTML are content, not damage
    remove_terminal_escapes=False,
    fix_encoding=True,
    fix_latin_ligatures=False,
    fix_character_width=False,  # would fold full-width CJK punctuation
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=False,  # curate.text.clean removes them with its own rules
    normalization=None,  # curate.text.clean applies NFC as a step of its own
    explain=False,
)
"""Only the fixes that undo damage: mojibake, C1 controls read as Windows-1252, surrogates."""

_C1_OR_SURROGATE = re.compile("[\x80-\x9f\ud800-\udfff]")


def repair(text: str) -> str:
    """Undo mojibake in ``text`` (as ``ftfy.fix_text`` with ``FTFY_CONFIG``), cheaply."""
    return ftfy.fix_text(text, FTFY_CONFIG) if needs_repair(text) else text


def needs_repair(text: str) -> bool:
    """False only when ftfy with ``FTFY_CONFIG`` would return ``text`` unchanged."""
    if text.isascii():
        return False
    if _C1_OR_SURROGATE.search(text):
        return True
    gate, width = _badness_gate()
    if gate is None:
        return badness.is_bad(text)
    search = badness.BADNESS_RE.search
    end = len(text)
    start = stop = 0
    for hit in gate.finditer(text):
        position = hit.start()
        if position - width + 1 > stop:  # disjoint from the window so far: try that one
            if start < stop and search(text, start, stop):
                return True
            start = position - width + 1
        stop = min(position + width, end)
    return start < stop and search(text, max(start, 0), stop) is not None


@cache
def _badness_gate() -> tuple[re.Pattern[str] | None, int]:
    """A character class every match of ftfy's badness regex touches, and the longest match.

    ``(None, 0)`` when the regex has a shape this reading does not cover (then the caller
    falls back to ``badness.is_bad``).
    """
    pattern = badness.BADNESS_RE
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    high = tree.getwidth()[1]
    if high >= sre.MAXREPEAT or _has_assertions(tree):
        return None, 0
    required = _required(list(tree))
    if not required:
        return None, 0
    gate = re.compile("[" + "".join(re.escape(char) for char in sorted(required)) + "]")
    return gate, high


def _has_assertions(tree: sre_parse.SubPattern) -> bool:
    for op, argument in tree:
        if op is sre.AT and argument not in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
            return True
        if op in (sre.ASSERT, sre.ASSERT_NOT, sre.GROUPREF, sre.GROUPREF_EXISTS):
            return True
        if op is sre.BRANCH and any(_has_assertions(alt) for alt in argument[1]):
            return True
        if op is sre.SUBPATTERN and _has_assertions(argument[-1]):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and _has_assertions(argument[2]):
            return True
    return False


def _required(items: list[tuple[object, object]]) -> set[str] | None:
    """Characters one of which any match of ``items`` (a sequence) contains; None if unknown."""
    if len(items) == 1 and items[0][0] is sre.BRANCH:
        union: set[str] = set()
        for alternative in items[0][1][1]:  # type: ignore[index]
            chars = _required(list(alternative))
            if chars is None:
                return None
            union |= chars
        return union
    best: set[str] | None = None
    for op, argument in items:
        if op is sre.BRANCH:
            chars = _required([(op, argument)])
        elif op is sre.SUBPATTERN:
            chars = _required(list(argument[-1]))  # type: ignore[index]
        else:
            chars = _matched_chars(op, argument)
        if chars is not None and (best is None or _rarity(chars) < _rarity(best)):
            best = chars
    return best


def _matched_chars(op: object, argument: object) -> set[str] | None:
    if op is sre.LITERAL:
        return {chr(argument)}  # type: ignore[arg-type]
    if op is not sre.IN:
        return None
    chars: set[str] = set()
    for kind, value in argument:  # type: ignore[attr-defined]
        if kind is sre.LITERAL:
            chars.add(chr(value))
        elif kind is sre.RANGE:
            chars.update(chr(code) for code in range(value[0], value[1] + 1))
        else:  # a category (\w, \s) or a negated class: too broad to be a gate
            return None
    return chars


def _rarity(chars: set[str]) -> tuple[bool, int, int, int]:
    """Sort key preferring character sets that rarely occur in clean text.

    ASCII is everywhere and cased letters are the bulk of any alphabet (lowercase more than
    uppercase), so sets holding them make poor gates; among the rest the smaller set wins.
    """
    categories = [unicodedata.category(char) for char in chars]
    cased = sum(category in ("Lu", "Ll") for category in categories)
    return (any(char.isascii() for char in chars), cased, categories.count("Ll"), len(chars))
