"""A cheap check that a turn reads as English, so the English NER model runs only there.

The English model on Russian, Korean or Persian text tags ordinary words as people (often
the first word of a prompt). Language identification per turn would cost more than the
check needs to be right about, so ``english_like`` looks at two things: the share of letters
in the Latin script (under 30%: not English; under 70%, as in an English request quoting a
Greek address: at least two English function words), and whether another common
Latin-script language's function words clearly outnumber English ones (twice or more, and
at least two). Texts with no function word at all (a list of names, a one-word turn) count
as English: the check exists to skip NER where it does harm.

>>> english_like("Hi, can you write a poem about my cat?")
True
>>> english_like("¿Puedes escribir un poema sobre mi gato?")
False
>>> english_like("Напиши стихотворение про кота"), english_like("Olamide Oyelaran")
(False, True)
"""

from __future__ import annotations

from functools import cache
from typing import Final

import regex

from curate.pii.words import word_set

SAMPLE_CHARS: Final = 3000
MIN_LATIN_SHARE: Final = 0.3
MIXED_LATIN_SHARE: Final = 0.7
NOT_LETTERS: Final = regex.compile(r"\P{L}+")
NOT_LATIN: Final = regex.compile(r"\P{Latin}+")
WORD: Final = regex.compile(r"[\p{L}']+")

ENGLISH: Final = word_set(
    "the and to of a in is you that it for on with are be this have i my me your what can how "
    "do not was as at or but if please would will about from an they we he she his her there "
    "which their write make give tell should could does did has had been"
)
OTHERS: Final = {
    "es": "el la los las de que y en un una es por con para se lo como más pero sus le ya este porque "
    "esta entre cuando muy sin sobre también hasta hay donde desde todo nos puedes escribir qué sobre mi",
    "fr": "le la les de des du un une est et en que qui pour pas sur dans ce cette avec je tu il elle nous "
    "vous ils sont au aux mais ou où très peux écrire",
    "de": "der die das und ist nicht ein eine ich du er sie wir ihr mit auf für von zu den dem des im "
    "auch sich wie oder aber wenn kann bitte schreibe",
    "pt": "o a os as de do da dos das que e em um uma é para com não por se mais como mas ao na no "
    "você eu ele ela isso pode escreva",
    "it": "il lo la i gli le di che e è un una per con non del della sono ma come anche io tu lui lei "
    "noi voi puoi scrivi",
    "nl": "de het een en van is dat ik je niet op te met voor zijn er maar ook als bij kan wat hoe",
    "id": "yang dan di ke dari ini itu dengan untuk tidak ada saya anda kamu akan pada juga atau bisa",
    "tr": "ve bir bu da de için ile ne çok mi ben sen o ama gibi daha var yok olarak",
    "pl": "i w na nie z że się do to jest o jak ale czy od po tak jestem mnie",
    "vi": "và của là có không cho một những các được trong với này người tôi bạn",
}


@cache
def _languages_of() -> dict[str, tuple[int, ...]]:
    """Each non-English function word -> the indices (in ``OTHERS``) of the languages it is one of."""
    table: dict[str, list[int]] = {}
    for index, words in enumerate(OTHERS.values()):
        for word in frozenset(words.split()) - ENGLISH:
            table.setdefault(word, []).append(index)
    return {word: tuple(indices) for word, indices in table.items()}


def english_like(text: str) -> bool:
    """True when ``text`` is mostly Latin letters and not more another language's than English."""
    sample = text[:SAMPLE_CHARS]
    letters = len(NOT_LETTERS.sub("", sample))
    if letters == 0:
        return True
    latin = len(NOT_LATIN.sub("", sample))
    if latin < MIN_LATIN_SHARE * letters:
        return False
    words = [word.casefold() for word in WORD.findall(sample)]
    english = sum(word in ENGLISH for word in words)
    if latin < MIXED_LATIN_SHARE * letters and english < 2:
        return False
    counts = [0] * len(OTHERS)
    languages_of = _languages_of()
    for word in words:
        for index in languages_of.get(word, ()):
            counts[index] += 1
    other = max(counts)
    return other < 2 or other < 2 * english
