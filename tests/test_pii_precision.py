"""What keeps training data intact: normalised matching, code, languages, pairs, density."""

from __future__ import annotations

from typing import Any

import pytest

from curate.pii.code import code_regions, masked
from curate.pii.density import warning
from curate.pii.language import english_like
from curate.pii.modes import NAMES, NAMES_NO_NER, PATTERNS, language_mode, mode_language, name_mode
from curate.pii.name_rules import believable
from curate.pii.names import name_variants
from curate.pii.normalize import normalize
from curate.stages.base import RunContext
from curate.stages.pii import Pii
from tests.helpers import conversation, frame


def stage(**options: Any) -> Pii:
    built = Pii.from_options(RunContext(workers=1), **options)
    assert isinstance(built, Pii)
    return built


def scrubbed(*rows: dict[str, Any], **options: Any) -> list[list[str]]:
    kept = stage(**options)(frame(*rows)).kept
    return [[m["content"] for m in messages] for messages in kept["messages"].to_list()]


def test_invisible_characters_are_matched_through_and_kept_around_the_value() -> None:
    export = "[12/03, 09:14] \u202a+91\u00a098765\u00a043210\u202c: call me\u200b back"
    out = scrubbed(conversation("c1", ("user", export)))[0][0]
    assert out == "[12/03, 09:14] \u202a<PHONE_NUMBER>\u202c: call me\u200b back"


def test_normalised_offsets_map_back_to_the_original() -> None:
    text = "a\u200bb\u00a0c"
    normal = normalize(text)
    assert normal.text == "ab c"
    assert text[slice(*normal.original(1, 4))] == "b\u00a0c"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("use window.scrollTo(0, offset) here", ["window.scrollTo"]),
        ("fires Event.COMPLETE early", ["Event.COMPLETE"]),
        ("set my_var and getUser and EventEmitter", ["my_var", "getUser", "EventEmitter"]),
        ("Dear McDonald and O'Neil, e.g. J.R.R. Tolkien", []),
        ("text\n```\nname = 'Ada'\n```\nafter", ["```\nname = 'Ada'\n```", "name = 'Ada'"]),
    ],
)
def test_code_regions(text: str, code: list[str]) -> None:
    found = [text[start:end] for start, end in code_regions(text)]
    assert all(any(expected in value for value in found) for expected in code) and bool(found) == bool(code)
    assert len(masked(text, code_regions(text))) == len(text)


def test_names_inside_code_are_kept_and_outside_removed() -> None:
    text = 'Ask Brandon Walsh about this:\n```python\nauthor = "Brandon Walsh"\nprint(author)\n```'
    out = scrubbed(conversation("c1", ("user", text)))[0][0]
    assert out == 'Ask <PERSON> about this:\n```python\nauthor = "Brandon Walsh"\nprint(author)\n```'


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Can you help me write an email to my landlord?", True),
        ("Напиши письмо арендодателю про ремонт", False),
        ("집주인에게 보낼 이메일을 써 주세요", False),
        ("Écris une lettre à mon propriétaire pour la réparation", False),
        ("Schreibe bitte eine E-Mail an meinen Vermieter", False),
        ("Olamide Oyelaran", True),
        ("As promised, here is Zlata's address: 29 Rue de la Paix", True),
    ],
)
def test_english_check(text: str, english: bool) -> None:
    assert english_like(text) is english


def test_no_english_ner_on_turns_in_another_language() -> None:
    russian = "Привет! Меня зовут Дмитрий, помоги написать резюме."
    korean = "안녕하세요 민수입니다. 이력서 작성을 도와주세요."
    assert scrubbed(conversation("c1", ("user", russian)), conversation("c2", ("user", korean))) == [
        [russian],
        [korean],
    ]


@pytest.mark.parametrize(
    ("names", "language", "mode"),
    [
        (False, "en", PATTERNS),
        (True, None, NAMES),
        (True, "en", NAMES),
        (True, "und", NAMES),
        (True, "de", language_mode("de")),
        (True, "yue", NAMES_NO_NER),
    ],
)
def test_the_row_language_decides_the_mode(names: bool, language: str | None, mode: int) -> None:
    assert name_mode(names, language) == mode


def test_every_two_letter_code_has_its_own_mode() -> None:
    codes = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    modes = [language_mode(code) for code in codes]
    assert len(set(modes)) == len(codes) and not {PATTERNS, NAMES, NAMES_NO_NER} & set(modes)
    assert [mode_language(mode) for mode in modes] == codes


def test_a_row_in_another_language_gets_no_ner_but_the_name_list_and_patterns() -> None:
    from curate.pii.analysis import prepare, shared_scanner

    text = "Bruce Alexander hält den Vortrag, Mail an bruce@example.org"
    out = scrubbed(conversation("c1", ("user", text), language="de"))[0][0]
    assert out == "<PERSON> hält den Vortrag, Mail an <EMAIL_ADDRESS>"
    scanner = shared_scanner(stage().spec())
    assert scanner.needs_ner(prepare(text), NAMES) and not scanner.needs_ner(prepare(text), NAMES_NO_NER)
    assert not scanner.needs_ner(prepare(text), language_mode("de"))


@pytest.mark.parametrize(
    ("value", "cue", "kept"),
    [
        ("Firefox", False, False),
        ("Mykonos", False, False),
        ("Format", False, False),
        ("JSON", False, False),
        ("FIFAWorldCup", False, False),
        ("Will", False, False),
        ("Will", True, True),
        ("Oyelaran", False, True),
        ("McDonald", False, True),
        ("bush", False, False),
    ],
)
def test_believable_people(value: str, cue: bool, kept: bool) -> None:
    assert believable(value, cue) is kept


def test_every_word_of_a_name_is_looked_for_but_never_a_common_word() -> None:
    assert {"Esteban", "Oyelaran", "esteban", "oyelaran", "Esteban Oyelaran"} <= name_variants(
        "Esteban Oyelaran"
    )
    assert "Will" not in name_variants("Will Smith") and "Smith" in name_variants("Will Smith")
    assert name_variants("Format") == set()


def test_a_single_common_word_is_never_echoed() -> None:
    rows = conversation(
        "c1",
        ("user", "My name is Will. Will you help?"),
        ("assistant", "I will, and I will check the bush."),
    )
    assistant = scrubbed(rows)[0][1]
    assert assistant == "I will, and I will check the bush."


def test_both_sides_of_a_pair_lose_the_same_name() -> None:
    prompt = "Write a toast for my friend's wedding."
    rows = [
        conversation("a", ("user", prompt), ("assistant", "To Aisha Oyelaran, the best of us!")),
        conversation("b", ("user", prompt), ("assistant", "Raise a glass to Oyelaran and the couple.")),
    ]
    replies = [turns[1] for turns in scrubbed(*rows, ner_on="all")]
    assert replies == ["To <PERSON>, the best of us!", "Raise a glass to <PERSON> and the couple."]


def test_density_is_reported_and_warned_when_implausible() -> None:
    pii = stage()
    pii(frame(conversation("c1", ("user", "Mail ada@example.org or bob@example.org, " + "x " * 500))))
    assert pii.report().replacements_per_1k_chars == pytest.approx(2000 / 1040, abs=0.01)
    assert pii.report().warning is None
    assert warning(200, 25_000) is not None and warning(10, 25_000) is None


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Júlia spent a year at the lab.", ["Júlia"]),
        ("The song is by Lindström and Cantu.", ["Lindström", "Cantu"]),
        ("Gréta is from Szeged.", ["Gréta"]),
        ("Tập đoàn Công nghiệp - Viễn thông Quân đội", []),
        ("Neurotecnologia e Ciências da Comunicação e Mídia", []),
    ],
    ids=["first-name", "surname", "sentence-start", "vietnamese-phrase", "portuguese-phrase"],
)
def test_the_name_list_is_accent_blind_outside_foreign_phrases(text: str, names: list[str]) -> None:
    from curate.pii.names import gazetteer

    assert [text[c.start : c.end] for c in gazetteer(text, english=True)] == names


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('"Glad to hear that," says Yudina.', ["Yudina"]),
        ('Aki shouted at Amanda: "What are you doing here?"', ["Aki"]),
        ("When Christof said no, we left.", ["Christof"]),
        ("I'd said so, and CMake said nothing on Monday; said Monday.", []),
        ("He said it, they replied, and Everyone asked.", []),
        ("As promised, here's Zlata's address: 29 Rue de la Paix.", ["Zlata"]),
        ("Send me Gregorina's new phone number.", ["Gregorina"]),
        ("Google's address and Python's password are below.", ["Google", "Python"]),
    ],
    ids=[
        "says-name",
        "name-shouted",
        "not-the-first-word",
        "not-a-speaker",
        "pronouns",
        "address-owner",
        "phone-owner",
        "owners-refine-drops",
    ],
)
def test_unvouched_cues_find_a_name_refine_still_judges(text: str, found: list[str]) -> None:
    from curate.pii.recognizers import PersonCueRecognizer

    recognizer = PersonCueRecognizer()
    results = [r for r in recognizer.analyze(text, ["PERSON"]) if not recognizer.vouches(r)]
    assert [text[r.start : r.end] for r in results] == found


@pytest.mark.parametrize(
    "text",
    ['"It works," said Python.', "Google said no.", "Send it to Google's address.", "Print Python's email."],
)
def test_an_unvouched_cue_does_not_make_a_product_a_person(text: str) -> None:
    assert scrubbed(conversation("c1", ("user", text)))[0][0] == text


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("The founders: Kovalev, Lee and Phillips.", ["Kovalev"]),
        ("They had 6: Malon, Mark, Kaylee, Brandi, Miguel and Jenni.", ["Malon"]),
        ("Competitors: Avigilon, Bosch, Dahua, Hanwha and Hikvision.", []),
        ("Kovalev and Phillips", []),
    ],
    ids=["founders", "children", "companies", "two-only"],
)
def test_unlisted_words_in_a_list_of_listed_names(text: str, names: list[str]) -> None:
    from curate.pii.names import CAPITALISED, _tokens, _unlisted_in_lists_of_names

    found = _unlisted_in_lists_of_names(text, list(_tokens(text, CAPITALISED)))
    assert [text[c.start : c.end] for c in found] == names


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("my name is mieszko", "my name is <PERSON>"),
        ("sometimes people call me philipp", "sometimes people call me <PERSON>"),
        ("please call me back tomorrow", "please call me back tomorrow"),
        ("She named him Mark.", "She named him <PERSON>."),
    ],
)
def test_strong_cues_in_lower_case_text(text: str, out: str) -> None:
    assert scrubbed(conversation("c1", ("user", text)))[0][0] == out
