"""The rules that keep PERSON candidates believable, whoever found them (NER, cues, the
name list): ``refine`` drops a value that is a listed non-person, a single common word
(unless a cue such as "my name is" announced it), a lower-case or all-capital word outside
the name list, or a street; the rest grows over adjacent name-like words, so ``Esteban
Oyelaran`` is removed whole when NER saw only ``Oyelaran``."""

from __future__ import annotations

from curate.pii.names import (
    ADDRESS_AFTER,
    ADDRESS_BEFORE,
    CAMEL_INSIDE,
    HONORIFIC_BEFORE,
    NameCandidate,
    before_street,
    grown_name,
    listed,
    name_like,
)
from curate.pii.words import first_name, is_common_word, not_a_person, phrase_regions


def refine(text: str, candidates: list[NameCandidate]) -> list[NameCandidate]:
    """Drop unbelievable PERSON candidates, grow the rest over adjacent name-like words, and
    merge the ones that overlap (keeping the highest score)."""
    for candidate in candidates:
        candidate.cue = candidate.cue or bool(
            HONORIFIC_BEFORE.search(text[max(0, candidate.start - 8) : candidate.start])
        )
    listed_phrases = phrase_regions(text)
    grown = sorted(
        (
            grown_name(text, c)
            for c in candidates
            if believable(text[c.start : c.end], c.cue)
            and (c.cue or not _in_address(text, c))
            and not any(start <= c.start and c.end <= end for start, end in listed_phrases)
        ),
        key=lambda c: (c.start, -c.end),
    )
    merged: list[NameCandidate] = []
    for candidate in grown:
        if merged and candidate.start < merged[-1].end:
            last = merged[-1]
            last.end = max(last.end, candidate.end)
            last.score = max(last.score, candidate.score)
            last.cue = last.cue or candidate.cue
        else:
            merged.append(candidate)
    return merged


def _in_address(text: str, candidate: NameCandidate) -> bool:
    """Between a house number and a street word, or after ``Rue``/``Via``: a street, not a person."""
    before = text[max(0, candidate.start - 12) : candidate.start]
    return bool(
        ADDRESS_BEFORE.search(before)
        or ADDRESS_AFTER.match(text[candidate.end : candidate.end + 3])
        or before_street(text, candidate.end)
    )


def believable(value: str, cue: bool) -> bool:
    """False for listed non-persons, lone common words, and odd-cased words outside the list;
    a cue ("my name is") vouches for any value."""
    words = value.split()
    if cue and words:
        return True
    if not words or not_a_person(value) or all(not_a_person(word) for word in words):
        return False
    if len(words) == 1:
        word = words[0]
        if is_common_word(word):
            return False
        if word.isupper() or CAMEL_INSIDE.search(word):
            return False
        return first_name(word) if word.islower() else True
    if value.islower():
        return all(name_like(word) for word in words) and any(listed(word) for word in words)
    return not all(is_common_word(word) or not_a_person(word) for word in words)
