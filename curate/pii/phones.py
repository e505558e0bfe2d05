"""Phone numbers by shape, checked with ``phonenumbers`` across every region it knows.

presidio's phone recognizer accepts only numbers valid in eight regions and scores them
below the default threshold unless a context word is near, so national formats typed in
chat (``699 956 915``, ``0688 872 49 99``, ``079 2718 1155``) pass. Nearly any 7-12 digit
string is valid in one of ``phonenumbers``' 245 regions, so validity alone says little; the
shape says more. ``ShapedPhoneRecognizer`` scores a candidate:

- **1.0** (phone-shaped): an international prefix (``+44 ...``, ``0044 ...``) that
  ``phonenumbers`` finds possible; a bracketed area code; a trunk ``0`` before two or more
  groups; dashed or dotted groups (``377-417-3759``, ``636.840.1227``); three or more
  space-separated groups; two groups that are not a thousands split (``785 8949``) - each
  also valid in some region;
- **0.3** (grouped or plain digits otherwise): a context word ("phone", "call", "fax",
  "office"...) lifts it over the threshold;
- **refused** (decoys): ISO and other dates, years or round numbers side by side, IPv4
  addresses, decimals and thousands (``1.234.567``, ``12,345,678``), amounts and
  measurements (``$ 1 200 000``, ``120 000 km``), numbers after "apt", "port" or "page",
  anything glued to a word (``INV-2023-00042``), a path, a port or a decimal point.

Numbers inside code are dropped later with every other finding there (``curate.pii.code``).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, Final

import phonenumbers
import regex
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

CONTEXT: Final = [
    "phone",
    "telephone",
    "tel",
    "mobile",
    "cell",
    "call",
    "fax",
    "contact",
    "reach",
    "text",
    "sms",
    "whatsapp",
    "dial",
    "office",
    "desk",
    "home",
    "work",
    "answering",
    "ring",
]
CANDIDATE: Final = (
    r"(?<![\w+/#@$€£¥]|\w[.,:-]|\d[ ])"
    r"(?:(?:\+|00)\d{1,4}(?:[ .-]?\(\d{1,5}\))?[ .-]?|\(\d{1,5}\)[ .-]?)?"
    r"\d{2,12}(?:(?:[ .-]|[ ]?-[ ]?)\d{2,12}){0,5}"
    r"(?:[ ]?ext\.?[ ]?\d{1,6}|x\d{1,6})?"
    r"(?![\w/]|-\d|[.,:]\d|[ ]\d)"
)
EXTENSION: Final = regex.compile(r"(?:[ ]?ext\.?[ ]?|x)\d+$", regex.IGNORECASE)
GROUPS: Final = regex.compile(r"\d+")
DATE: Final = regex.compile(r"^(?:\d{4}[-. /]\d{1,2}[-. /]\d{1,2}|\d{1,2}[-. /]\d{1,2}[-. /]\d{2,4})$")
ROUND: Final = regex.compile(r"^[1-9]\d*00$")
"""A round number (``3000 8000``): ports, amounts, sizes side by side, not a phone's groups."""
SSN_SHAPE: Final = regex.compile(r"^\d{3}-\d{2}-\d{4}$")
"""A US social security number's grouping: left to the SSN recognizer, a phone only with context."""
YEAR: Final = regex.compile(r"^(?:19|20)\d\d$")
UNIT_AFTER: Final = regex.compile(
    r"^[ ]?(?:%|km|m|cm|mm|kg|g|mg|lb|lbs|kb|mb|gb|tb|ms|s|sec|px|pt|em|rem|usd|eur|gbp|inr|rs|dollars?"
    r"|euros?|pounds?|rupees?|yen|people|users|rows|words|tokens|times|years|items|units|views)\b",
    regex.IGNORECASE,
)
CURRENCY_BEFORE: Final = regex.compile(r"(?:[$€£¥₹]|usd|eur|rs\.?|inr)[ ]?$", regex.IGNORECASE)
ADDRESS_BEFORE: Final = regex.compile(
    r"\b(?:apt|apartment|suite|ste|unit|box|floor|room|no|ports?|pages?|pp)\.?[ ]?$", regex.IGNORECASE
)
REGIONS: Final = tuple(sorted(phonenumbers.SUPPORTED_REGIONS))


class ShapedPhoneRecognizer(PatternRecognizer):
    """Phone-shaped numbers at 1.0; other grouped digits at 0.3, lifted by context words."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            patterns=[Pattern("phone shape", CANDIDATE, 0.3)],
            context=CONTEXT,
            name="ShapedPhoneRecognizer",
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: int | None = None
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [result for result in results if not amount_or_measure(text, result.start, result.end)]

    def validate_result(self, pattern_text: str) -> bool | None:
        """True (score 1.0) when phone-shaped, None (keep 0.3) when only grouped digits."""
        return True if phone_shaped(pattern_text) else None

    def invalidate_result(self, pattern_text: str) -> bool:
        return decoy(pattern_text)


def _number(candidate: str) -> str:
    return str(EXTENSION.sub("", candidate)).strip()


def decoy(candidate: str) -> bool:
    """Dates, years, IPv4 addresses, decimals and thousands: digits that are not phones."""
    number = _number(candidate)
    groups = GROUPS.findall(number)
    digits = sum(map(len, groups))
    if not 7 <= digits <= 15 or DATE.match(number):
        return True
    if len(groups) > 1 and all(YEAR.match(group) or ROUND.match(group) for group in groups):
        return True
    if number.count(".") == 3:
        try:
            ipaddress.IPv4Address(number)
        except ValueError:
            pass
        else:
            return True
    separators = set(regex.sub(r"[\d()+]", "", number))
    thousands = len(groups) > 1 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if "," in separators or (separators == {"."} and (thousands or len(groups) == 2)):
        return True
    return number.startswith("+") and digits < 8


def phone_shaped(candidate: str) -> bool:
    """True when the grouping alone says phone (see the module docstring)."""
    number = _number(candidate)
    groups = GROUPS.findall(number)
    if number.startswith(("+", "00")):
        return _possible_international("+" + number.lstrip("+")[2 if number.startswith("00") else 0 :])
    if len(groups) < 2 or SSN_SHAPE.match(number):
        return False
    shaped = (
        number.startswith(("(", "0"))
        or "-" in number
        or "." in number
        or len(groups) >= 3
        or len(groups[-1]) != 3
    )
    return shaped and _valid_somewhere("".join(groups))


@lru_cache(maxsize=65536)
def _possible_international(number: str) -> bool:
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


@lru_cache(maxsize=65536)
def _valid_somewhere(digits: str) -> bool:
    for region in REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(digits, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def amount_or_measure(text: str, start: int, end: int) -> bool:
    """A number written as money, a measurement or part of an address (``$ 1 200 000``,
    ``120 000 km``, ``Apt. 338 32``)."""
    before, after = text[max(0, start - 12) : start], text[end : end + 12]
    return bool(CURRENCY_BEFORE.search(before) or ADDRESS_BEFORE.search(before) or UNIT_AFTER.match(after))
