"""Phones by shape and cards of 12-19 digits: what they find, and the decoys they leave."""

from __future__ import annotations

import pytest

from curate.pii.cards import CardRecognizer, luhn
from curate.pii.phones import ShapedPhoneRecognizer, decoy, phone_shaped


def phones(text: str) -> list[tuple[str, float]]:
    return [(text[r.start : r.end], r.score) for r in ShapedPhoneRecognizer().analyze(text, ["PHONE_NUMBER"])]


def cards(text: str) -> list[tuple[str, float]]:
    return [(text[r.start : r.end], r.score) for r in CardRecognizer().analyze(text, ["CREDIT_CARD"])]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("ring me 699 956 915 tonight", "699 956 915"),
        ("it is 0688 872 49 99", "0688 872 49 99"),
        ("whatsapp +447700 208 815", "+447700 208 815"),
        ("or 079 2718 1155 after six", "079 2718 1155"),
        ("They're not answering at 785 8949", "785 8949"),
        ("(69) 948-538-Office", "(69) 948-538"),
        ("0910-5877671 is mine", "0910-5877671"),
        ("Fax\\,001-321-194-8268x44208-Fax", "001-321-194-8268x44208"),
        ("+91 98765 43210", "+91 98765 43210"),
    ],
)
def test_phone_shapes_score_over_the_threshold_without_context(text: str, number: str) -> None:
    assert phones(text) == [(number, 1.0)]


@pytest.mark.parametrize(
    "text",
    [
        "Python 3.11.7 and numpy 2.4.6",
        "2023-11-05T14:32:10Z and 05/11/2023",
        "in 2019 2020 and 2021",
        "costs $ 1 200 000 in total",
        "a distance of 120 000 km",
        "listen on localhost:8080 or :5432",
        "1.234.567 items and 12,345,678 rows",
        "ping 8.8.8.8 or 192.168.1.10",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "pi is 3.14159265 and e is 2.718281828",
        "Apt. 338 32 216 Menzies Street",
        "SSN 536-90-4471",
        "a long row 123 456 789 012 345 678 of numbers",
    ],
)
def test_decoys_are_not_phone_shaped(text: str) -> None:
    assert [score for _, score in phones(text) if score >= 0.5] == []


def test_plain_digits_wait_for_a_context_word() -> None:
    assert phones("epoch 1699195930") == [("1699195930", 0.3)]
    assert not phone_shaped("1699195930") and not decoy("1699195930")


@pytest.mark.parametrize(
    ("text", "number", "score"),
    [
        ("card 4111 1111 1111 1111 was charged", "4111 1111 1111 1111", 1.0),
        ("backup 2223 0031 2200 3222", "2223 0031 2200 3222", 1.0),
        ("Maestro 6304 0000 0000 0000", "6304 0000 0000 0000", 1.0),
        ("Maestro 630400000000 (12 digits)", "630400000000", 1.0),
        ("JCB 213100000000001", "213100000000001", 1.0),
        ("Visa 4111111111111111110 (19 digits)", "4111111111111111110", 1.0),
        ("SSN 536-90-4471 4111 1111 1111 1111", "4111 1111 1111 1111", 1.0),
        ("ref 8000000000000000002", "8000000000000000002", 0.3),
    ],
)
def test_cards_of_12_to_19_digits_pass_luhn_and_score_by_issuer(text: str, number: str, score: float) -> None:
    assert luhn("".join(c for c in number if c.isdigit()))
    assert cards(text) == [(number, score)]


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",
        "order 123456789012 shipped",
        "0000 0000 0000 0000",
        "4111 11 1111 1111 111",
    ],
)
def test_card_lookalikes_are_refused(text: str) -> None:
    assert cards(text) == []
