"""How far the search for names goes in a turn (cheap to import: the stage maps rows to it).

``PATTERNS``      pattern entities and name cues only (roles outside ``ner_on``)
``NAMES``         also the name list and, when the text reads as English, spaCy NER with the
                  English model (the row's language is English or unknown)
``NAMES_NO_NER``  also the name list, never NER
a language mode   also the name list, and NER with the model configured for that language
                  (``models: {fr: ...}``); without one, as ``NAMES_NO_NER``

A mode is a small int, so a request stays ``(text, mode)``: a language's mode is
``LANGUAGE_BASE`` plus its two-letter ISO 639-1 code read as a number in base 26
(``language_mode``, ``mode_language``). Codes of another shape get ``NAMES_NO_NER``.

>>> name_mode(True, "fr") == language_mode("fr"), mode_language(name_mode(True, "fr"))
(True, 'fr')
>>> name_mode(True, None) == NAMES, name_mode(False, "en"), name_mode(True, "yue") == NAMES_NO_NER
(True, 0, True)
"""

from __future__ import annotations

from typing import Final

PATTERNS: Final = 0
NAMES: Final = 1
NAMES_NO_NER: Final = 2
LANGUAGE_BASE: Final = 100
NER_LANGUAGES: Final = frozenset({"en", "und", ""})
"""Row languages read as English (``und``: too short to tell)."""
LETTERS: Final = 26


def name_mode(names_wanted: bool, language: str | None) -> int:
    """``PATTERNS`` unless the turn's role gets names; then ``NAMES`` when the row's language is
    English or unknown, else that language's mode."""
    if not names_wanted:
        return PATTERNS
    if language is None or language in NER_LANGUAGES:
        return NAMES
    return language_mode(language)


def language_mode(language: str) -> int:
    """The mode of names in ``language`` (an ISO 639-1 code), ``NAMES_NO_NER`` for other codes."""
    if not (len(language) == 2 and language.isascii() and language.isalpha() and language.islower()):
        return NAMES_NO_NER
    first, second = (ord(char) - ord("a") for char in language)
    return LANGUAGE_BASE + first * LETTERS + second


def mode_language(mode: int) -> str | None:
    """The language of a language mode; ``None`` for the other modes."""
    if mode < LANGUAGE_BASE:
        return None
    first, second = divmod(mode - LANGUAGE_BASE, LETTERS)
    return chr(ord("a") + first) + chr(ord("a") + second)


def searched_language(mode: int, language: str | None) -> str | None:
    """The row language a turn's names are searched in, as reports count it (``und`` when
    unknown); None when the turn gets patterns and cues only."""
    if mode == PATTERNS:
        return None
    return language or "und"


def describe_languages(ner: dict[str, int], no_ner: dict[str, int], models: dict[str, str]) -> str | None:
    """A sentence for the card: turns searched for names with NER, by language and model, and
    the languages that had no model.

    >>> describe_languages({"en": 3, "und": 1}, {"de": 2}, {"en": "en_sm"}).split(". ")[0]
    'Names were searched with NER in `en` (3 turns, en_sm) and `und` (1 turn, en_sm; language unknown)'
    """
    if not ner and not no_ner:
        return None
    english = models.get("en", "")
    unknown = {"und": "; language unknown"}
    with_ner = [
        f"`{code}` ({_turns(count)}, {models.get(code, english)}{unknown.get(code, '')})"
        for code, count in ner.items()
    ]
    sentence = f"Names were searched with NER in {_listed(with_ner)}." if with_ner else "No turn got NER."
    without = [f"`{code}` ({_turns(count)})" for code, count in no_ner.items()]
    if without:
        sentence += (
            f" Turns in {_listed(without)} had no model for their language: pattern recognizers, name cues"
            " and the name list only."
        )
    return sentence


def _turns(count: int) -> str:
    return f"{count:,} turn" + ("" if count == 1 else "s")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
