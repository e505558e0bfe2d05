"""A residual check before publishing: structured PII left in texts, by pattern alone.

``scan_structured`` runs the stage's own pattern recognizers and text preparation (the same
``Scanner``: normalised text, code left alone, phones of every region, cards of 12-19 digits,
IBANs, street addresses, profile URLs; no NER, no spaCy model) for every default entity the
stage finds by pattern (``STRUCTURED_ENTITIES``) and counts what they find, so the stage and
the gate are one detector. ``curate publish`` calls it on
an output folder's texts; any count above zero means something slipped through.

>>> scan_structured(["write to ada@example.org", "nothing here"])["EMAIL_ADDRESS"]
1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from curate.pii.entities import STRUCTURED_ENTITIES

if TYPE_CHECKING:
    from curate.pii.analysis import Scanner

THRESHOLD: Final = 0.5
BATCH: Final = 256


def scan_structured(texts: Iterable[str]) -> dict[str, int]:
    """Counts per entity type of structured PII in ``texts``: e-mail, phone, card, US SSN, IP,
    IBAN, street address, profile URL."""
    scanner = _scanner()
    counts: Counter[str] = Counter(dict.fromkeys(STRUCTURED_ENTITIES, 0))
    batch: list[str] = []
    for text in texts:
        if text:
            batch.append(text)
        if len(batch) == BATCH:
            counts.update(f.entity for found in scanner.findings(batch, [False] * len(batch)) for f in found)
            batch = []
    if batch:
        counts.update(f.entity for found in scanner.findings(batch, [False] * len(batch)) for f in found)
    return {entity: counts[entity] for entity in STRUCTURED_ENTITIES}


def _scanner() -> Scanner:
    from curate.pii.lean import without_ml_stacks

    with without_ml_stacks():
        from curate.pii.analysis import shared_scanner
        from curate.pii.engine import EngineSpec

    spec = EngineSpec(
        entities=STRUCTURED_ENTITIES, thresholds=tuple((entity, THRESHOLD) for entity in STRUCTURED_ENTITIES)
    )
    return shared_scanner(spec)
