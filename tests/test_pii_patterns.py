"""Phones by shape and cards of 12-19 digits: what they find, and the decoys they leave."""

from __future__ import annotations

import pytest

from curate.pii.addresses import StreetAddressRecognizer
from curate.pii.cards import CardRecognizer, luhn
from curate.pii.phones import ShapedPhoneRecognizer, decoy, phone_shaped
from curate.pii.profiles import ProfileUrlRecognizer


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
        "ping 8.8.8.8 or 1.1.1.1 and 127.0.0.1",
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


def addresses(text: str) -> list[tuple[str, float]]:
    return [
        (text[r.start : r.end], r.score) for r in StreetAddressRecognizer().analyze(text, ["STREET_ADDRESS"])
    ]


@pytest.mark.parametrize(
    ("text", "address", "score"),
    [
        ("I live at 1234 Elm Street, Springfield.", "1234 Elm Street, Springfield", 0.7),
        ("Send it to 221B Baker St", "221B Baker St", 0.7),
        ("Mail: 1234 Elm Street, Springfield, IL 62704", "1234 Elm Street, Springfield, IL 62704", 0.7),
        ("office at 725 5th Avenue, 10th floor", "725 5th Avenue", 0.7),
        ("1600 W. Main St. Apt 4B is mine", "1600 W. Main St. Apt 4B", 0.7),
        ("ship to 15 Millicent Drive, Leeds LS1 4AP", "15 Millicent Drive, Leeds LS1 4AP", 0.7),
        ("chez moi, 29 rue de la Paix, Paris", "29 rue de la Paix, Paris", 0.7),
        ("Via Roma 10, 00184 Roma", "Via Roma 10, 00184 Roma", 0.7),
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße 5, 10115 Berlin", 0.7),
        ("we met at 42 wallaby way", "42 wallaby way", 0.4),
    ],
)
def test_street_addresses_by_shape(text: str, address: str, score: float) -> None:
    assert addresses(text) == [(address, score)]


@pytest.mark.parametrize(
    "text",
    [
        "version 2 Street Fighter",
        "I own 4 Square and 3 Rivers",
        "Chapter 3 The Long Road",
        "Renegade 2 and Brigade 7",
        "I ran 5 miles down the road",
        "the 3 main roads and 2 dogs in the court",
        "route 66 and Highway 61 Revisited",
        "Windows 10 Home on port 8080",
    ],
)
def test_address_lookalikes_are_refused(text: str) -> None:
    assert addresses(text) == []


def profiles(text: str) -> list[str]:
    return [text[r.start : r.end] for r in ProfileUrlRecognizer().analyze(text, ["PROFILE_URL"])]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("follow https://twitter.com/ada_l.", "https://twitter.com/ada_l"),
        ("x.com/ada_l/status/1712 is my post", "x.com/ada_l/status/1712"),
        ("www.instagram.com/ada.lovelace/ has photos", "www.instagram.com/ada.lovelace"),
        ("facebook.com/profile.php?id=100004 is me", "facebook.com/profile.php?id=100004"),
        (
            "CV: https://www.linkedin.com/in/ada-lovelace-1815/",
            "https://www.linkedin.com/in/ada-lovelace-1815",
        ),
        ("[TikTok](https://www.tiktok.com/@adal)", "https://www.tiktok.com/@adal"),
        ("my channel youtube.com/@adalovelace", "youtube.com/@adalovelace"),
        ("code at https://github.com/adalovelace", "https://github.com/adalovelace"),
        ("DM me: t.me/adal", "t.me/adal"),
    ],
)
def test_profile_urls_with_a_personal_handle(text: str, url: str) -> None:
    assert profiles(text) == [url]


@pytest.mark.parametrize(
    "text",
    [
        "pip install git+https://github.com/psf/requests.git",
        "see github.com/pallets/flask/issues/5012",
        "github.com/features and github.com/topics/python",
        "https://twitter.com/search?q=python",
        "instagram.com/p/Cx12ab and instagram.com/explore",
        "facebook.com/groups/python and linkedin.com/company/acme",
        "reddit.com/r/python and t.me/joinchat/AAAA",
        "mytwitter.com/ada and twitter.company.com/ada",
    ],
)
def test_project_and_site_urls_are_not_profiles(text: str) -> None:
    assert profiles(text) == []
