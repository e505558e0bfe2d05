"""People's names beyond what NER finds, and the rules that keep NER's people believable.

Chat users type names without cues and often in lower case, and the small English model
misses many (``Hi, I'm Olamide Oyelaran``) or half of one (``Esteban <PERSON>``). It also
tags technology, places and ordinary words (``Firefox``, ``Mykonos``, ``Format``).

``gazetteer`` finds runs of capitalised words that hold a first name or surname from the
shipped list (``curate.pii.words``), none of them a common English word or a listed
non-person: a first name followed by another name-like word is a person in any language
(0.85); in English text a run with any listed name (0.7) and a lone first name (0.6) are too.
A text typed all in lower case is read the same way, for first name + name pairs (0.7), and
for any uncommon word after "my name is" or "call me" (``LOWER_CUE``).

Every PERSON candidate then passes ``curate.pii.name_rules.refine``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import regex

from curate.pii.words import (
    STREET_WORDS,
    first_name,
    is_common_word,
    not_a_person,
    surname,
    word_set,
)

CAPITALISED: Final = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}_'’-])\p{Lu}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*"
)
LOWER: Final = regex.compile(r"(?<![\p{L}\p{M}\p{N}_'’-])\p{Ll}[\p{Ll}\p{M}]*(?:['’-]\p{Ll}[\p{Ll}\p{M}]*)*")
POSSESSIVE: Final = regex.compile(r"['’]s$")
INITIAL: Final = regex.compile(r"^[ ]\p{Lu}\.[ ]$")
CALENDAR: Final = word_set(
    "january february march april may june july august september october november december jan "
    "feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
    "saturday sunday"
)
TITLES: Final = word_set("mr mrs ms miss mx dr prof sir madam dame lord lady st")
MAX_RUN: Final = 4
FOREIGN_REACH: Final = 16
"""Characters either side of an accented run searched for other accented words (two or three words)."""
PARTICLES: Final = regex.compile(
    r"^[ ](?:van|von|der|den|de|da|di|del|della|du|la|le|bin|ibn|al|el)(?:[ ](?:der|den|de|la))?[ ]$"
)
"""Lower-case words inside a name: ``Paul van der Voet``, ``Ana de la Cruz``."""
HONORIFIC_BEFORE: Final = regex.compile(r"(?i:\b(?:mr|mrs|ms|mx|dr|prof|miss|sir|madam|dame)\.?)[ ]$")
ADDRESS_BEFORE: Final = regex.compile(
    r"(?:\b\d+[a-zA-Z]?,?[ ]|(?i:\b(?:rue|rua|via|calle|avenida|strada|piazza|r\.)[ ]))$"
)
ADDRESS_AFTER: Final = regex.compile(r"^[ ]\d")
CAMEL_INSIDE: Final = regex.compile(
    r"^(?!(?:Mc|Mac|Di|De|Da|Du|Le|La|Lo|Van|Von|Fitz|O['’])\p{Lu})\p{L}*\p{Ll}\p{Lu}"
)
"""An inner capital after a lower-case letter (``FIFAWorldCup``, ``LaTeX``), unless a name prefix."""
WORD_SHAPE: Final = regex.compile(r"^\p{L}[\p{L}\p{M}]*(?:(?:-|['’](?=\p{Lu}))\p{L}[\p{L}\p{M}]*)*$")
"""Letters, with hyphens and ``O'Neil`` apostrophes: not ``I'm`` or ``don't``."""
PLACE_BEFORE: Final = regex.compile(r"\b(?i:in|from|near|across|around|visit|visiting|visited)[ ]$")
"""A lone listed word after "in" or "from" is a place (``in Paris``), not a person."""
LOWER_CUE: Final = regex.compile(
    r"\b(?:my[ ]+name[ ]+is|my[ ]+name's|call[ ]+me|called[ ]+me|calls[ ]+me|goes[ ]+by)[ ]+"
    r"(\p{Ll}[\p{Ll}\p{M}'’-]*\p{Ll})(?![\p{L}\p{N}_'’-])"
)
"""The cues that leave no doubt a name follows, in a text typed all in lower case
(``my name is mieszko``): the name is any word that is not common English."""
LIST_GAP: Final = regex.compile(r"^(?:,[ ]|[ ]and[ ]|,[ ]and[ ]|[ ]&[ ]|[ ]or[ ])$")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str


@dataclass
class NameCandidate:
    """A PERSON span under consideration; ``cue`` when its context vouches for it (a cue such
    as "my name is", an honorific, a list of names it belongs to)."""

    start: int
    end: int
    score: float
    cue: bool = False


@lru_cache(maxsize=1 << 16)
def name_like(word: str) -> bool:
    """A word that could be part of a name: not common English, not a listed non-person."""
    folded = word.casefold()
    return (
        len(word) >= 2
        and not is_common_word(word)
        and folded not in CALENDAR
        and folded not in TITLES
        and not not_a_person(word)
        and WORD_SHAPE.match(word) is not None
    )


def listed(word: str) -> bool:
    return first_name(word) or surname(word)


def _tokens(text: str, pattern: regex.Pattern[str]) -> Iterator[Token]:
    for match in pattern.finditer(text):
        value, end = match.group(), match.end()
        if value.endswith(("'s", "’s")) and len(value) > 3:
            value, end = value[:-2], end - 2
        yield Token(match.start(), end, value)


def _runs(text: str, tokens: list[Token]) -> Iterator[list[Token]]:
    """Maximal runs of name-like tokens separated by one space (or a middle initial)."""
    run: list[Token] = []
    for token in tokens:
        if not name_like(token.text):
            if run:
                yield run
            run = []
            continue
        gap = text[run[-1].end : token.start] if run else ""
        if run and not (gap == " " or INITIAL.match(gap) or PARTICLES.match(gap)):
            yield run
            run = []
        run.append(token)
    if run:
        yield run


def gazetteer(text: str, english: bool) -> list[NameCandidate]:
    """PERSON candidates from the name list (see the module docstring for the scores)."""
    found = []
    capitalised = list(_tokens(text, CAPITALISED))
    runs = [
        run for run in _runs(text, capitalised) if len(run) <= MAX_RUN and not _in_foreign_phrase(text, run)
    ]
    chosen = [False] * len(runs)
    for index, run in enumerate(runs):
        words = [token.text for token in run]
        if len(run) >= 2 and first_name(words[0]):
            score = 0.85
        elif english and len(run) >= 2 and any(listed(word) for word in words):
            score = 0.7
        elif (
            english and len(run) == 1 and PLACE_BEFORE.search(text[max(0, run[0].start - 12) : run[0].start])
        ):
            continue
        elif english and len(run) == 1 and first_name(words[0]):
            score = 0.6
        elif english and len(run) == 1 and len(words[0]) >= 3 and surname(words[0]):
            if _sentence_start(text, run[0].start):
                continue
            score = 0.5
        else:
            continue
        chosen[index] = True
        found.append(grown_name(text, NameCandidate(run[0].start, run[-1].end, score)))
    if english:
        found += _listed_with_names(text, capitalised, found)
        found += _unlisted_in_lists_of_names(text, capitalised)
    if english and not any(char.isupper() for char in text):
        for run in _runs(text, list(_tokens(text, LOWER))):
            first, rest = run[0].text, run[1:]
            if len(run) > MAX_RUN or not first_name(first) or (not rest and len(first) < 3):
                continue
            found.append(NameCandidate(run[0].start, run[-1].end, 0.7 if rest else 0.6))
        found += [
            NameCandidate(match.start(1), match.end(1), 0.7, cue=True)
            for match in LOWER_CUE.finditer(text)
            if name_like(match.group(1)) and len(match.group(1)) >= 3
        ]
    return found


def _in_foreign_phrase(text: str, run: list[Token]) -> bool:
    """A run with accented words next to other accented words (``Tập đoàn Công nghiệp``,
    ``Comunicação e Mídia``) is a phrase of another language, whose words the accent-blind
    name list (``words.name_key``) would mistake for names (``Công`` for ``Cong``); an
    accented name in plain prose (``Júlia spent a year``, ``says Lindström``) is not one."""
    if all(token.text.isascii() for token in run):
        return False
    start, end = run[0].start, run[-1].end
    near = text[max(0, start - FOREIGN_REACH) : start] + " " + text[end : end + FOREIGN_REACH]
    return any(char.isalpha() and not char.isascii() for char in near)


def _sentence_start(text: str, start: int) -> bool:
    """True at the start of a text, line or sentence, where any word is capitalised."""
    before = text[max(0, start - 3) : start].rstrip(" \t\"'“‘([*-")
    return not before or before[-1] in ".!?:\n"


def _listed_with_names(
    text: str, capitalised: list[Token], found: list[NameCandidate]
) -> list[NameCandidate]:
    """Listed names coordinated with a name (``Hans, Linda, Amber and Andrew``, ``Novosel,
    Robinson and Holmes``), common words among them: a list of names is read as one."""
    tokens = [
        token
        for token in capitalised
        if len(token.text) >= 3
        and listed(token.text)
        and not not_a_person(token.text)
        and token.text.casefold() not in CALENDAR | TITLES
    ]
    spans = [(c.start, c.end) for c in found]
    for left, right in itertools.pairwise(tokens):
        if name_like(left.text) and name_like(right.text) and LIST_GAP.match(text[left.end : right.start]):
            spans += [(left.start, left.end), (right.start, right.end)]
    members: set[int] = set()
    changed = True
    while changed:
        changed = False
        for token in tokens:
            if token.start in members:
                continue
            inside = any(start <= token.start < end for start, end in spans)
            beside = any(
                LIST_GAP.match(text[end : token.start]) or LIST_GAP.match(text[token.end : start])
                for start, end in spans
            )
            if inside or beside:
                members.add(token.start)
                spans.append((token.start, token.end))
                changed = True
    return [
        NameCandidate(token.start, token.end, 0.6, cue=True)
        for token in tokens
        if token.start in members and not any(c.start <= token.start < c.end for c in found)
    ]


def _unlisted_in_lists_of_names(text: str, capitalised: list[Token]) -> list[NameCandidate]:
    """Name-like words outside the list in a list that is mostly listed names (``Kovalev, Lee
    and Phillips``): three or more words, at least half of them and at least two listed names.
    A list of products or places with a name among them (``Avigilon, Bosch, Dahua, Hanwha``)
    is not one. Each such word must still pass ``refine`` (no vouching)."""
    found: list[NameCandidate] = []
    chain: list[Token] = []
    for token in [*capitalised, None]:
        if token is not None and chain and LIST_GAP.match(text[chain[-1].end : token.start]):
            chain.append(token)
            continue
        people = [t for t in chain if _listed_person(t.text)]
        if len(chain) >= 3 and len(people) >= 2 and 2 * len(people) >= len(chain):
            found += [
                NameCandidate(t.start, t.end, 0.6)
                for t in chain
                if t not in people and len(t.text) >= 3 and name_like(t.text)
            ]
        chain = [token] if token is not None else []
    return found


def _listed_person(word: str) -> bool:
    return (
        len(word) >= 3
        and listed(word)
        and not not_a_person(word)
        and word.casefold() not in CALENDAR | TITLES
    )


def grown_name(text: str, candidate: NameCandidate) -> NameCandidate:
    """``candidate`` widened over the name-like capitalised words next to it."""
    start, end = candidate.start, candidate.end
    while True:
        before = _neighbour(text, start, left=True)
        if before is None:
            break
        start = before
    while True:
        after = _neighbour(text, end, left=False)
        if after is None:
            break
        end = after
    return NameCandidate(start, end, candidate.score, candidate.cue)


WORD_BEFORE: Final = regex.compile(r"(\p{Lu}[\p{L}\p{M}'’-]*\p{Ll})(?:[ ]\p{Lu}\.)?[ ]$")
WORD_AFTER: Final = regex.compile(r"(?:[ ]\p{Lu}\.)?[ ](\p{Lu}[\p{L}\p{M}'’-]*\p{Ll})(?![\p{L}\p{N}_])")
NEXT_WORD: Final = regex.compile(r"[ ]+([\p{L}]+)")


def _neighbour(text: str, position: int, left: bool) -> int | None:
    """The far edge of a name-like capitalised word one space (or initial) away, if any."""
    if left:
        window = text[max(0, position - 40) : position]
        match = WORD_BEFORE.search(window)
        if match is None or not name_like(match.group(1)):
            return None
        start = position - len(window) + match.start()
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_'’-"):
            return None
        return int(start)
    match = WORD_AFTER.match(text, position)
    if match is None:
        return None
    word = POSSESSIVE.sub("", match.group(1))
    after = match.start(1) + len(word)
    if before_street(text, after):
        return None
    if not name_like(word) and not (
        surname(word) and not not_a_person(word) and word.casefold() not in TITLES
    ):
        return None
    return int(after)


def before_street(text: str, end: int) -> bool:
    """True when the next word is a street word (``Nelson Mandela Drive``)."""
    match = NEXT_WORD.match(text[end : end + 20])
    return match is not None and match.group(1).casefold() in STREET_WORDS


NAME_PART: Final = regex.compile(r"\p{L}[\p{L}\p{M}'’-]*")


def name_variants(value: str) -> set[str]:
    """The spellings of a found name to remove everywhere: the whole name as written,
    capitalised and in lower case, and each of its words that is name-like (``Esteban`` and
    ``Oyelaran`` of ``Esteban Oyelaran``; never ``Will`` of ``Will Smith``), likewise."""
    value = " ".join(value.split())
    words = [POSSESSIVE.sub("", word) for word in NAME_PART.findall(value)]
    parts = [word for word in words if name_like(word)]
    if not parts:
        return set()
    variants = {value, value.title()}
    if all(name_like(word) and len(word) >= 3 for word in words):
        variants.add(value.lower())
    for part in parts:
        variants.update({part, part.title()})
        if len(part) >= 3:
            variants.add(part.lower())
    return variants
