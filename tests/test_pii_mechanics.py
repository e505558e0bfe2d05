"""The mechanics under the pii stage: recognizers, context, echo merging, tokens, scan, offline."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.pii import scan_structured
from curate.pii.actions import Scrubber, Span, conversation_spans, merge
from curate.pii.analysis import Scanner, shared_scanner
from curate.pii.context import TextContextEnhancer, supporting_word
from curate.pii.engine import EngineSpec
from curate.pii.entities import CURATE_ENTITIES, DEFAULT_ENTITIES, KNOWN, NER_ENTITIES, Finding
from curate.pii.pool import Analyser

ROOT = Path(__file__).resolve().parents[1]


def spec(*entities: str, threshold: float = 0.5, allow: tuple[str, ...] = ()) -> EngineSpec:
    wanted = entities or DEFAULT_ENTITIES
    return EngineSpec(entities=wanted, thresholds=tuple((e, threshold) for e in wanted), allow=allow)


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    return shared_scanner(spec())


def found(scanner: Scanner, text: str, ner: bool = True) -> list[tuple[str, str]]:
    return [(f.entity, text[f.start : f.end]) for f in scanner.findings([text], [ner])[0]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at ada.lovelace@example.org please", [("EMAIL_ADDRESS", "ada.lovelace@example.org")]),
        ("My phone is (415) 555-0132.", [("PHONE_NUMBER", "(415) 555-0132")]),
        ("call me on 027 896 92 86 tonight", [("PHONE_NUMBER", "027 896 92 86")]),
        ("Fax: 001-420-335-7509x38548", [("PHONE_NUMBER", "001-420-335-7509x38548")]),
        ("card 4111 1111 1111 1111 was charged", [("CREDIT_CARD", "4111 1111 1111 1111")]),
        ("my backup card is 2223 0031 2200 3222", [("CREDIT_CARD", "2223 0031 2200 3222")]),
        (
            "SSN 536-90-4471 4111 1111 1111 1111",
            [("CREDIT_CARD", "4111 1111 1111 1111"), ("US_SSN", "536-90-4471")],
        ),
        ("His SSN is 536-90-4471", [("US_SSN", "536-90-4471")]),
        ("login from 203.0.113.57 failed", [("IP_ADDRESS", "203.0.113.57")]),
        ("refund to DE89 3704 0044 0532 0130 00 now", [("IBAN_CODE", "DE89 3704 0044 0532 0130 00")]),
        ("Please ask ms. Wijtze to call back", [("PERSON", "Wijtze")]),
        ("Sometimes people call me Roland", [("PERSON", "Roland")]),
        ("Her maiden name is Vestergaard", [("PERSON", "Vestergaard")]),
        ("It was Sumaya's kid who won", [("PERSON", "Sumaya")]),
        ("Best regards,\nJohn Appleseed", [("PERSON", "John Appleseed")]),
    ],
)
def test_each_entity_is_found(scanner: Scanner, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(scanner, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I upgraded to Python 3.11.7 and numpy 2.4.6 yesterday.",
        "2023-11-05T14:32:10Z ERROR worker-3 timeout after 30s",
        "[2024-03-01 12:30:45,123] INFO pid=4242 started",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 and id 123e4567-e89b-12d3-a456-426614174000",
        "pointer 0x7ffeefbff5c8, epoch 1699195930",
        "def parse(user_name: str) -> None:\n    for i in range(10):\n        print(i)\n",
        "server.listen(8080, '127.0.0.1'); ping 169.254.1.10",
        "SELECT name FROM users WHERE id = 42 LIMIT 10;",
    ],
)
def test_code_versions_timestamps_and_ids_are_left_alone(scanner: Scanner, text: str) -> None:
    assert found(scanner, text) == []


def test_ungrouped_digits_need_a_context_word_to_be_a_phone(scanner: Scanner) -> None:
    assert found(scanner, "ref 41241293 in the ledger") == []
    assert found(scanner, "Mobile: 41241293") == [("PHONE_NUMBER", "41241293")]
    assert found(scanner, "ref 041-412-293 in the ledger") == [("PHONE_NUMBER", "041-412-293")]


def test_person_spans_have_the_shape_of_a_name(scanner: Scanner) -> None:
    assert found(scanner, "The restaurant is at 19 1755 Nelson Mandela Drive") == [
        ("STREET_ADDRESS", "1755 Nelson Mandela Drive")
    ]
    assert found(scanner, "I loved Melissa Kristoffersen's book") == [("PERSON", "Melissa Kristoffersen")]


def test_ner_runs_only_where_asked(scanner: Scanner) -> None:
    text = "Bruce Alexander will be talking in the conference"
    assert found(scanner, text, ner=True) == [("PERSON", "Bruce Alexander")]
    assert found(scanner, text, ner=False) == []


def test_allow_list_is_case_insensitive() -> None:
    allowing = shared_scanner(spec(allow=("bruce alexander",)))
    assert found(allowing, "Bruce Alexander will be talking in the conference") == []


def test_placeholders_are_never_findings(scanner: Scanner) -> None:
    assert found(scanner, "Hello <PERSON>, your card <CREDIT_CARD> and <PERSON_kxtrbmpq> are fine") == []


def test_entity_catalogue_matches_presidio() -> None:
    from presidio_analyzer import RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(
        languages=["en"], nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    )
    presidio = {entity for recognizer in registry.recognizers for entity in recognizer.supported_entities}
    assert presidio | set(SpacyRecognizer.ENTITIES) | CURATE_ENTITIES == KNOWN
    assert not presidio & CURATE_ENTITIES
    assert set(SpacyRecognizer.ENTITIES) == NER_ENTITIES


@pytest.mark.parametrize(
    ("nearby", "context", "expected"),
    [
        (["please", "calling", "me"], ["call"], "call"),
        (["social", "security", "no"], ["ssn", "social security"], "social security"),
        (["security", "social"], ["social security"], None),
        (["recall"], ["call"], None),
    ],
)
def test_context_words_match_word_starts(nearby: list[str], context: list[str], expected: str | None) -> None:
    assert supporting_word(nearby, context) == expected


def test_context_window_reads_words_on_both_sides() -> None:
    enhancer = TextContextEnhancer(words_before=2, words_after=1)
    text = "one two three 555 1234 office four"
    start = text.index("555")
    assert enhancer.nearby_words(text, start, start + len("555 1234")) == ["two", "three", "office"]


def test_values_echo_across_turns() -> None:
    texts = ["I am Emily Carter, emily@example.com", "Sure, Emily! Write to emily@example.com."]
    findings = [[Finding("PERSON", 5, 17, 0.85), Finding("EMAIL_ADDRESS", 19, 36, 1.0)], []]
    spans = conversation_spans(texts, findings)
    assert [(s.entity, texts[1][s.start : s.end], s.echo) for s in spans[1]] == [
        ("PERSON", "Emily", True),
        ("EMAIL_ADDRESS", "emily@example.com", True),
    ]
    assert not any(span.echo for span in spans[0])


def test_overlaps_merge_under_the_strongest_label() -> None:
    merged = merge(
        [Span("PHONE_NUMBER", 10, 21, 0.65), Span("US_SSN", 10, 21, 0.85), Span("PERSON", 0, 4, 0.7)]
    )
    assert merged == [Span("PERSON", 0, 4, 0.7), Span("US_SSN", 10, 21, 0.85)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 10), st.floats(0, 1)), max_size=12))
def test_merged_spans_cover_every_input_and_never_overlap(raw: list[tuple[int, int, float]]) -> None:
    spans = [Span("X", start, start + length, score) for start, length, score in raw]
    merged = merge(spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(merged))
    covered = {i for span in merged for i in range(span.start, span.end)}
    assert covered == {i for span in spans for i in range(span.start, span.end)}


def test_hash_tokens_are_keyed_and_spelling_blind() -> None:
    scrubber, other = Scrubber("hash", b"key-1"), Scrubber("hash", b"key-2")
    token = scrubber.token("PHONE_NUMBER", "(415) 555-0132")
    assert token == scrubber.token("PHONE_NUMBER", "415.555.0132")
    assert token != other.token("PHONE_NUMBER", "(415) 555-0132")
    assert token != scrubber.token("PHONE_NUMBER", "(415) 555-0133")
    assert token.startswith("<PHONE_NUMBER_") and token[-9:-1].isalpha()


def test_scan_structured_counts_by_type_without_ner() -> None:
    texts = ["mail ada@example.org or call 555-867-5309", "Bruce Alexander", "", "203.0.113.57"]
    counts = scan_structured(texts)
    assert counts == {
        "EMAIL_ADDRESS": 1,
        "PHONE_NUMBER": 1,
        "CREDIT_CARD": 0,
        "US_SSN": 0,
        "IP_ADDRESS": 1,
        "IBAN_CODE": 0,
        "STREET_ADDRESS": 0,
        "PROFILE_URL": 0,
    }


def test_repeated_texts_are_analysed_once() -> None:
    analyser = Analyser(spec("EMAIL_ADDRESS"))
    first = analyser.findings([("a@example.org", False), ("a@example.org", False), ("b@example.org", False)])
    second = analyser.findings([("b@example.org", False)])
    assert (analyser.analysed, analyser.cached) == (2, 2)
    assert first[1] == first[0] and second == [first[2]]


@pytest.mark.slow
def test_pool_gives_the_in_process_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    from curate.pii import pool

    texts = [
        f"Hi, I am Emily Carter ({n}), mail emily{n}@example.com, phone (415) 555-01{n:02d}."
        for n in range(12)
    ] + ["Python 3.11.7", "Bruce Alexander will be talking in the conference"]
    requests = [(text, n % 2 == 0) for n, text in enumerate(texts)]
    monkeypatch.setattr(pool, "POOL_MIN_COST", 0)
    patterns = spec("EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON")
    pooled = Analyser(patterns, workers=2)
    pooled.start()
    try:
        assert pooled.findings(requests) == Analyser(patterns).findings(requests)
    finally:
        pooled.close()


OFFLINE_SCRIPT = """
import socket

def refuse(*args, **kwargs):
    raise AssertionError("network access during a pii run")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from curate.stages.base import RunContext
from curate.stages.pii import Pii
from tests.helpers import conversation, frame

stage = Pii.from_options(RunContext(workers=1), entities=["EMAIL_ADDRESS", "IP_ADDRESS"])
out = stage(frame(conversation("a", ("user", "mail ada@example.co.uk or bob@mail.example.com"))))
assert out.kept["messages"][0][0]["content"] == "mail <EMAIL_ADDRESS> or <EMAIL_ADDRESS>", out.kept
print("offline ok")
"""


@pytest.mark.slow
def test_a_run_opens_no_socket(tmp_path: Path) -> None:
    """In a fresh process (nothing cached), with every way to open a connection refused."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(OFFLINE_SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "offline ok" in done.stdout
    assert not (tmp_path / "cache").exists(), "tldextract wrote a suffix-list cache"
