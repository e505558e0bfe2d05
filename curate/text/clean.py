"""Clean one message text: repair mojibake, drop invisible characters, NFC, trim the ends.

Each step can be switched off. ``clean_text`` reports which steps changed the text, and
is idempotent: it repeats the steps until the text stops changing (removing a character
can bring two others together into something a step acts on), so cleaning a clean text
changes nothing.

>>> clean_text("  caf\\u00c3\\u00a9\\u200b au lait\\r\\n", Cleaning())
('café au lait', <Changes.REPAIRED|INVISIBLE|TRIMMED: 11>)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntFlag

from curate.text.mojibake import repair

MAX_PASSES = 4

ZERO_WIDTH = "\u200b\u2060\ufeff\u180e"
"""Zero-width space, word joiner, byte-order mark, Mongolian vowel separator.

The zero-width joiner and non-joiner (U+200D, U+200C) are kept: they carry meaning in
emoji sequences and in Persian and Indic scripts.
"""

_LINE_BREAK = re.compile("\r\n?")
_C0_OR_INVISIBLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f{ZERO_WIDTH}]")
_C1 = re.compile("[\x80-\x9f]")


class Changes(IntFlag):
    """What cleaning did to a text."""

    NONE = 0
    REPAIRED = 1
    """ftfy undid mojibake (or turned C1 controls into the Windows-1252 characters meant)."""
    INVISIBLE = 2
    """Control or zero-width characters were removed; carriage returns became newlines."""
    NFC = 4
    TRIMMED = 8


_REPAIRED, _INVISIBLE, _NFC, _TRIMMED = (
    int(flag) for flag in (Changes.REPAIRED, Changes.INVISIBLE, Changes.NFC, Changes.TRIMMED)
)


@dataclass(frozen=True)
class Cleaning:
    """Which cleaning steps to apply."""

    repair: bool = True
    invisible: bool = True
    nfc: bool = True
    trim: bool = True


def clean_text(text: str, cleaning: Cleaning) -> tuple[str, Changes]:
    """``text`` cleaned as ``cleaning`` says, and the steps that changed it."""
    changes = 0
    for _ in range(MAX_PASSES):
        cleaned, step_changes, settled = _clean_once(text, cleaning)
        changes |= step_changes
        text = cleaned
        if settled:
            break
    return text, Changes(changes)


def _clean_once(text: str, cleaning: Cleaning) -> tuple[str, int, bool]:
    """One pass of every step; ``settled`` when a second pass would change nothing.

    The ends are trimmed first so that the other steps see the text they will see the next
    time; when none of them changes it, the text is settled.
    """
    changes = 0  # plain int bits: IntFlag arithmetic costs more than the checks it records
    if cleaning.trim:
        trimmed = text.strip()
        if trimmed != text:
            text = trimmed
            changes |= _TRIMMED
    before = text
    if cleaning.invisible and _C0_OR_INVISIBLE.search(text):
        text = _C0_OR_INVISIBLE.sub("", _LINE_BREAK.sub("\n", text))
        changes |= _INVISIBLE
    if not text.isascii():
        if cleaning.repair:
            fixed = repair(text)
            if fixed != text:
                text = fixed
                changes |= _REPAIRED
        if cleaning.invisible and _C1.search(text):  # left by ftfy, or repair is off
            text = _C1.sub("", text)
            changes |= _INVISIBLE
        if cleaning.nfc and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
            changes |= _NFC
    if cleaning.trim and text.strip() != text:
        text = text.strip()
        changes |= _TRIMMED
    return text, changes, text == before
