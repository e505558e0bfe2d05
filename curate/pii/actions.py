"""What happens to the values found: echo removal, overlap merging, presidio's anonymizer.

A conversation is scrubbed as a whole. Every value found in any of its turns is also looked
for in all its turns (an assistant that repeats "Emily Carter" or greets "Emily" leaks it as
surely as the user did), so NER only has to run where people type. Overlapping spans are
merged into one, labelled by the strongest; presidio-anonymizer then rewrites each text.

Actions: ``replace`` writes ``<ENTITY>``; ``mask`` writes one ``*`` per character;
``redact`` removes the value; ``hash`` writes ``<ENTITY_abcdefgh>``, a keyed BLAKE2b of the
normalised value, so one value gets one token throughout a run (``(415) 555-0132`` and
``415.555.0132`` alike) and a different key gives unrelated tokens.

Keys (``id``, ``group``, ``user``...) that hold personal data are not rewritten by the action:
``pseudonym`` replaces the whole value by ``pii-`` and 16 hex digits of a keyed BLAKE2b, so
ids stay unique, rows that shared a group still share it, and whoever holds the key can find
a source record's row again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

import regex
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from curate.pii.code import IN_CODE, code_regions, inside
from curate.pii.entities import NUMERIC_ENTITIES, Action, Finding, normalized_value
from curate.pii.names import name_variants
from curate.pii.normalize import normalize
from curate.pii.words import is_common_word

TOKEN_LETTERS: Final = 8
PSEUDONYM_BYTES: Final = 8


@dataclass
class Scrubbed:
    """The rewritten texts of one conversation and what was done to them."""

    texts: list[str]
    entities: Counter[str] = field(default_factory=Counter)
    """Spans per entity type (after merging), echoes included."""
    echoes: int = 0
    """Spans found only by looking for values found elsewhere in the conversation."""
    per_text: list[Counter[str]] = field(default_factory=list)
    """Spans per entity type of each text, aligned with ``texts``."""


class Scrubber:
    """Rewrites the texts of a conversation given each text's findings."""

    def __init__(self, action: Action, key: bytes = b"") -> None:
        self.action = action
        self.key = key
        self.engine = AnonymizerEngine()  # type: ignore[no-untyped-call]

    def scrub(
        self,
        texts: Sequence[str],
        findings: Sequence[Sequence[Finding]],
        shared: Values | None = None,
        closed: Collection[int] = (),
    ) -> Scrubbed:
        """``shared``: values found in linked conversations (``share_values``), also removed here;
        ``closed``: indices of texts where only their own findings are removed (no echoes)."""
        spans = conversation_spans(texts, findings, shared, closed)
        result = Scrubbed(texts=list(texts), per_text=[Counter(s.entity for s in merged) for merged in spans])
        for index, (text, merged) in enumerate(zip(texts, spans, strict=True)):
            if not merged:
                continue
            result.entities.update(span.entity for span in merged)
            result.echoes += sum(span.echo for span in merged)
            if self.action == "drop":
                continue
            results = [RecognizerResult(span.entity, span.start, span.end, span.score) for span in merged]
            operators = {span.entity: self.operator(span.entity) for span in merged}
            result.texts[index] = self.engine.anonymize(
                text, results, operators=operators, merge_entities_with_spaces=False
            ).text
        return result

    def operator(self, entity: str) -> OperatorConfig:
        if self.action == "replace":
            return OperatorConfig("replace", {"new_value": f"<{entity}>"})
        if self.action == "mask":
            return OperatorConfig("mask", {"masking_char": "*", "chars_to_mask": 1 << 30, "from_end": False})
        if self.action == "redact":
            return OperatorConfig("redact", {})
        return OperatorConfig("custom", {"lambda": lambda value: self.token(entity, value)})

    def token(self, entity: str, value: str) -> str:
        """``<ENTITY_abcdefgh>``: the same for every spelling of a value under one key."""
        digest = hashlib.blake2b(
            f"{entity}\0{normalized_value(entity, value)}".encode(),
            key=self.key[:64],
            digest_size=TOKEN_LETTERS,
        ).digest()
        return f"<{entity}_{''.join(chr(ord('a') + byte % 26) for byte in digest)}>"

    def pseudonym(self, value: str) -> str:
        """``pii-`` and 16 hex digits: the same for the same value in every column under one key."""
        digest = hashlib.blake2b(
            value.encode("utf-8", "surrogatepass"),
            key=self.key[:64],
            digest_size=PSEUDONYM_BYTES,
            person=b"curate-key",
        )
        return f"pii-{digest.hexdigest()}"


@dataclass(frozen=True)
class Span:
    entity: str
    start: int
    end: int
    score: float
    echo: bool = False


Values = dict[str, tuple[str, float]]
"""Spellings to remove -> (entity, score)."""


def conversation_values(texts: Sequence[str], findings: Sequence[Sequence[Finding]]) -> Values:
    """Every spelling of every value found in a conversation (see ``_variants``)."""
    values: Values = {}
    for text, found in zip(texts, findings, strict=True):
        for finding in found:
            for variant in _variants(finding.entity, text[finding.start : finding.end]):
                if finding.score > values.get(variant, (finding.entity, -1.0))[1]:
                    values[variant] = (finding.entity, finding.score)
    return values


def share_values(keys: Sequence[str], values: dict[int, Values]) -> dict[int, Values]:
    """The values of all rows with the same link key, for every row of such a key.

    Rows that ``pairs`` may put on the two sides of one pair (same group, prompt cluster or
    prompt) must lose the same words, or the pair differs by a placeholder DPO would learn.
    """
    by_key: dict[str, Values] = {}
    for row, found in values.items():
        merged = by_key.setdefault(keys[row], {})
        for variant, (entity, score) in found.items():
            if score > merged.get(variant, (entity, -1.0))[1]:
                merged[variant] = (entity, score)
    return {row: by_key[key] for row, key in enumerate(keys) if by_key.get(key)}


def conversation_spans(
    texts: Sequence[str],
    findings: Sequence[Sequence[Finding]],
    shared: Values | None = None,
    closed: Collection[int] = (),
) -> list[list[Span]]:
    """For each text, its findings plus every echo of a value found anywhere, merged.

    Echoes are looked for in the normalised texts (``curate.pii.normalize``), so a value
    typed with a non-breaking space is found with a plain one, and mapped back; never
    inside code (``curate.pii.code``), where a name's word is an identifier."""
    values = {**(shared or {}), **conversation_values(texts, findings)}
    echo = _echo_pattern(values)
    spans = []
    for index, (text, found) in enumerate(zip(texts, findings, strict=True)):
        own = [Span(f.entity, f.start, f.end, f.score) for f in found]
        echoes = []
        if echo is not None and index not in closed:
            normalized = normalize(text)
            regions: list[tuple[int, int]] | None = None
            for match in echo.finditer(normalized.text):
                entity, score = values[match.group()]
                if entity not in IN_CODE:
                    regions = code_regions(normalized.text) if regions is None else regions
                    if inside(match.start(), match.end(), regions):
                        continue
                start, end = normalized.original(match.start(), match.end())
                echoes.append(Span(entity, start, end, score, echo=True))
        spans.append(merge([*own, *echoes]))
    return spans


def _variants(entity: str, value: str) -> set[str]:
    """The spellings of a found value to look for elsewhere: every name-like word of a
    person's name; structured values as written; never a single common word."""
    value = normalize(value).text.strip()
    if not value:
        return set()
    if entity == "PERSON":
        return name_variants(value)
    if entity in NUMERIC_ENTITIES or "@" in value or len(value.split()) > 1 or not is_common_word(value):
        return {value}
    return set()


def _echo_pattern(values: dict[str, tuple[str, float]]) -> regex.Pattern[str] | None:
    if not values:
        return None
    alternatives = "|".join(regex.escape(value) for value in sorted(values, key=lambda v: (-len(v), v)))
    return regex.compile(rf"(?<![\p{{L}}\p{{N}}_])(?:{alternatives})(?![\p{{L}}\p{{N}}_])")


def merge(spans: Sequence[Span]) -> list[Span]:
    """Overlapping spans become one, labelled by the strongest (then longest, then own over echo)."""
    merged: list[list[Span]] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < max(s.end for s in merged[-1]):
            merged[-1].append(span)
        else:
            merged.append([span])
    result = []
    for group in merged:
        best = min(group, key=lambda s: (-s.score, -(s.end - s.start), s.echo, s.entity))
        start, end = min(s.start for s in group), max(s.end for s in group)
        result.append(Span(best.entity, start, end, best.score, echo=all(s.echo for s in group)))
    return result
