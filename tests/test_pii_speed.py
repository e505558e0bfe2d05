"""What makes the pii stage fast changes no finding: gates, phone lines, NER windows."""

from __future__ import annotations

import itertools

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer import PatternRecognizer
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from curate.pii.analysis import Scanner, shared_scanner
from curate.pii.context import TextContextEnhancer, supporting_word
from curate.pii.engine import EngineSpec
from curate.pii.entities import DEFAULT_ENTITIES
from curate.pii.gates import phone_lines
from curate.pii.name_windows import WORD, can_be_a_name, name_windows
from curate.pii.recognizers import PersonCueRecognizer


def spec(*entities: str, threshold: float = 0.5) -> EngineSpec:
    return EngineSpec(entities=entities, thresholds=tuple((e, threshold) for e in entities))


PIECES = [
    "call",
    "my number is",
    "phone:",
    "Mobile",
    "4155550132",
    "(415) 555-0132",
    "+44 7700 900 123",
    "4111 1111 1111 1111",
    "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
    "1.2",
    "536-90-4471",
    "DE89 3704 0044 0532 0130 00",
    "203.0.113.57",
    "fe80::1",
    "abcd::ef",
    "ada@example.org",
    "(bob@x.io),",
    "@",
    "a.b@c",
    "x@y.co@z.org",
    "ssn",
    "card",
    "version 3.11.7",
    "on 2024-03-01",
    "Dear Marisol,",
    "my name is Roland",
    "the",
    "and",
    "€",
    "x",
    "\n",
    "\n\n",
    " ",
    ", ",
    "ß",
    "1234 Elm Street",
    "42 wallaby way",
    "Hauptstraße 5",
    "address:",
    "twitter.com/ada_l",
    "github.com/psf/requests",
    "/",
    ".",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from([0.3, 0.5, 0.8]))
def test_gated_recognizers_find_what_presidio_finds_with_all_of_them(
    pieces: list[str], threshold: float
) -> None:
    """The fast path skips recognizers a text cannot trigger and reads only some lines with
    presidio's phone recognizer; presidio's analyzer, given every recognizer and the whole
    text, must find the same."""
    text = " ".join(pieces)
    wanted = DEFAULT_ENTITIES
    fast = shared_scanner(spec(*wanted, threshold=threshold))
    plain = shared_scanner(spec(*wanted, threshold=threshold), plain=True)
    assert fast.findings([text], [False]) == plain.findings([text], [False])


CUE_PIECES = [
    "Dear",
    "DEAR",
    "Hi",
    "Mr.",
    "MS.",
    "Dr",
    "Sir",
    "my name is",
    "Name:",
    "call me",
    "goes by",
    "directed by",
    "Starring",
    "Regards,\n",
    "my wife,",
    "Sumaya's kid",
    "Sumaya’s SON",
    "Marisca, can I",
    ". Olamide, please",
    "Roland",
    "Ada Quispe",
    "the",
    "ſir",
    "\n",
    ",",
    "!",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CUE_PIECES), max_size=30))
def test_name_cues_run_where_their_words_are_and_find_the_same(pieces: list[str]) -> None:
    text = " ".join(pieces)
    cue = PersonCueRecognizer()
    every = PatternRecognizer(
        supported_entity="PERSON", patterns=cue.patterns, global_regex_flags=regex.DOTALL | regex.MULTILINE
    )
    spans = [(r.start, r.end, r.score) for r in cue.analyze(text, ["PERSON"])]
    assert spans == [(r.start, r.end, r.score) for r in every.analyze(text, ["PERSON"])]


@pytest.mark.parametrize(
    ("text", "lifted"),
    [
        ("call me\n\non 4155550132 tomorrow", 1),
        ("4155550132 is my number", 0),
        ("4155550132, my number", 1),
        ("x" * 500 + "\nmy number is 4155550132\n" + "y" * 500 + "\n(415) 555-0133", 1),
        ("number\n" + "filler words here\n" * 40 + "4155550132", 0),
        ("Call 4155550132, or 4155550133 and 4155550134.\n" * 3, 9),
        ("my phone:" + "\n" * 30 + "4155550132", 1),
        ("my phone:" + "\n" * 110 + "4155550132", 1),
        ("my phone:" + "\n" * 125 + "4155550132", 0),
        ("4155550132" + "\n " * 40 + "call", 1),
        ("my phone" + " " * 110 + "4155550132", 1),
    ],
)
def test_phone_lines_hold_every_number_presidio_could_lift(text: str, lifted: int) -> None:
    """Numbers with a context word among the five words before or two after them."""
    recognizer, enhancer = PhoneRecognizer(), TextContextEnhancer()
    anchors = sorted(m for word in recognizer.context for m in _starts(text.casefold(), word))
    whole = {(r.start, r.end) for r in recognizer.analyze(text, ["PHONE_NUMBER"])}
    lines = {
        (r.start + start, r.end + start)
        for start, end in phone_lines(text, anchors)
        for r in recognizer.analyze(text[start:end], ["PHONE_NUMBER"])
    }
    near = {
        (s, e) for s, e in whole if supporting_word(enhancer.nearby_words(text, s, e), recognizer.context)
    }
    assert len(near) == lifted and near <= lines <= whole


def _starts(text: str, word: str) -> list[int]:
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


@pytest.mark.parametrize(
    ("word", "can"),
    [
        ("Oyelaran", True),
        ("Roxie's", True),
        ("O'Byrne", True),
        ("joshua", True),
        ("hurst", True),
        ("the", False),
        ("I", False),
        ("I'm", False),
        ("SQL", False),
        ("APIs", False),
        ("HTMLElement", False),
        ("FIFAWorldCup", False),
        ("January", False),
        ("Firefox", False),
        ("xyzzy", False),
    ],
)
def test_words_that_open_a_window_for_ner(word: str, can: bool) -> None:
    assert can_be_a_name(word) is can


def test_windows_cover_margin_words_each_side_and_merge() -> None:
    text = "one two three Oyelaran four five six seven Kowalczyk eight nine"
    assert [text[s:e] for s, e in name_windows(text, margin=1)] == [
        "three Oyelaran four",
        "seven Kowalczyk eight",
    ]
    assert [text[s:e] for s, e in name_windows(text, margin=2)] == [text[text.index("two") :]]
    assert name_windows("nothing here but common words and Firefox") == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["the", "Oyelaran", "joshua", "I'm", "SQL", "\n", "x", "Firefox", "Roxie's"]),
        max_size=60,
    ),
    st.integers(0, 8),
)
def test_windows_are_sorted_apart_and_hold_every_word_that_can_be_a_name(
    words: list[str], margin: int
) -> None:
    text = " ".join(words)
    windows = name_windows(text, margin)
    assert all(0 <= start < end <= len(text) for start, end in windows)
    assert all(left[1] + 1 < right[0] for left, right in itertools.pairwise(windows))
    for match in WORD.finditer(text):
        if can_be_a_name(match.group()):
            assert any(start <= match.start() and match.end() <= end for start, end in windows)


@pytest.fixture(scope="module")
def whole_texts() -> Scanner:
    return Scanner(
        EngineSpec(DEFAULT_ENTITIES, tuple((e, 0.5) for e in DEFAULT_ENTITIES), name_windows=False)
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "Bruce Alexander will be talking in the conference",
        "she named him joshua and mitch chong agreed",
        "Hi, I'm Olamide Oyelaran and I need a cover letter.",
        "Write to Esteban Quispe about the release of version 2.0 today.\n\n" + "Filler text. " * 40,
    ],
)
def test_ner_in_windows_keeps_what_ner_on_whole_texts_keeps(whole_texts: Scanner, text: str) -> None:
    windowed = shared_scanner(EngineSpec(DEFAULT_ENTITIES, tuple((e, 0.5) for e in DEFAULT_ENTITIES)))
    assert windowed.findings([text], [True]) == whole_texts.findings([text], [True])
