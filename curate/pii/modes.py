"""How far the search for names goes in a turn (cheap to import: the stage maps rows to it).

``PATTERNS``      pattern entities and name cues only (roles outside ``ner_on``)
``NAMES``         also the name list and, when the text reads as English, spaCy NER
``NAMES_NO_NER``  also the name list, no NER: the row's language is known and not English

>>> name_mode(True, "fr") == NAMES_NO_NER, name_mode(True, None) == NAMES, name_mode(False, "en")
(True, True, 0)
"""

from __future__ import annotations

from typing import Final

PATTERNS: Final = 0
NAMES: Final = 1
NAMES_NO_NER: Final = 2
NER_LANGUAGES: Final = frozenset({"en", "und", ""})
"""Row languages under which English NER may run (``und``: too short to tell)."""


def name_mode(names_wanted: bool, language: str | None) -> int:
    """``PATTERNS`` unless the turn's role gets names; then ``NAMES`` unless the row's language
    is known and not English."""
    if not names_wanted:
        return PATTERNS
    return NAMES if language is None or language in NER_LANGUAGES else NAMES_NO_NER
