"""Payment card numbers of 12-19 digits: a Luhn check, then an issuer prefix or a context word.

presidio's pattern takes 13-17 digits in fixed groupings and misses 2-series Mastercard
(2221-2720), 15-digit JCB (``2131``, ``1800``), Maestro of 12-19 digits (``6304...``) and
19-digit Visa. ``CardRecognizer`` looks at every run of 12-19 digits (optionally grouped by
single spaces or dashes), keeps the ones that pass the Luhn check, and scores them:

- **1.0** when the number starts with a known issuer prefix (Visa, Mastercard, Amex,
  Discover, JCB, Diners, Maestro, UnionPay, Mir...);
- **0.3** otherwise, which a card word nearby ("card", "visa", "cvv", "expiry"...) lifts
  over the default threshold.

Runs are matched overlapping: in ``SSN 536-90-4471 4111 1111 1111 1111`` a failed run
starting at ``4471`` must not hide the card that starts four digits on.

>>> [(r.start, r.score) for r in CardRecognizer().analyze("Maestro 6304 0000 0000 0000", [])]
[(8, 1.0)]
"""

from __future__ import annotations

from typing import Any, Final

import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

CARD_RUN: Final = regex.compile(r"(?<![\w.,/-])\d(?:[ -]?\d){11,18}(?![\w/]|[.,]\d|-\d)")
ISSUER: Final = regex.compile(
    r"^(?:4"  # Visa
    r"|5[1-5]|2(?:2(?:2[1-9]|[3-9]\d)|[3-6]\d\d|7(?:[01]\d|20))"  # Mastercard
    r"|3[47]"  # American Express
    r"|6011|64[4-9]|65"  # Discover
    r"|35(?:2[89]|[3-8]\d)|2131|1800"  # JCB
    r"|30[0-5]|36|38|39"  # Diners Club
    r"|50|5[6-9]|6[0-9]"  # Maestro, UnionPay (62), RuPay (60, 65), others in the 6 range
    r"|220[0-4]"  # Mir
    r")"
)
CONTEXT: Final = [
    "card",
    "credit",
    "debit",
    "visa",
    "mastercard",
    "amex",
    "maestro",
    "discover",
    "jcb",
    "diners",
    "unionpay",
    "cc",
    "cvv",
    "cvc",
    "expiry",
    "expires",
    "payment",
    "pay",
    "charged",
    "billing",
]


def luhn(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class CardRecognizer(PatternRecognizer):
    """Luhn-valid runs of 12-19 digits: known issuer 1.0, otherwise 0.3 until a card word is near."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="CREDIT_CARD",
            patterns=[Pattern("12-19 digits", CARD_RUN.pattern, 0.3)],
            context=CONTEXT,
            name="CardRecognizer",
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None, regex_flags: int | None = None
    ) -> list[RecognizerResult]:
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: "CardRecognizer",
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        results = []
        for match in CARD_RUN.finditer(text, overlapped=True):
            digits = "".join(char for char in match.group() if char.isdigit())
            if not _evenly_grouped(match.group()) or not luhn(digits) or len(set(digits)) == 1:
                continue
            score = 1.0 if ISSUER.match(digits) else 0.3
            results.append(
                RecognizerResult(
                    "CREDIT_CARD",
                    match.start(),
                    match.end(),
                    score,
                    None,  # type: ignore[arg-type]  # presidio's own recognizers pass None here too
                    dict(metadata),
                )
            )
        return EntityRecognizer.remove_duplicates(results)


def _evenly_grouped(value: str) -> bool:
    """One separator kind at most, and groups of 3-6 digits when separated (``4111 1111 ...``)."""
    separators = {char for char in value if not char.isdigit()}
    if not separators:
        return True
    if len(separators) > 1:
        return False
    groups = regex.split(r"[ -]", value)
    return all(3 <= len(group) <= 6 for group in groups[:-1]) and 1 <= len(groups[-1]) <= 7
