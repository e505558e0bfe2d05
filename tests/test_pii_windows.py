"""Long texts: scanned in bounded windows that find what one pass would, and a max_chars guard."""

from __future__ import annotations

import functools
import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import curate.pii.analysis
from curate.pii.analysis import Scanner, shared_scanner
from curate.pii.engine import EngineSpec
from curate.pii.modes import NAMES, PATTERNS
from curate.pii.windows import LONGEST_WINDOW, windows
from curate.stages.base import RunContext
from curate.stages.pii import Pii
from tests.helpers import conversation, frame

PATTERN_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "IP_ADDRESS", "US_SSN")
VALUES = [
    "ada.lovelace@example.org",
    "(415) 555-0132",
    "DE89 3704 0044 0532 0130 00",
    "203.0.113.57",
    "SSN 536-90-4471",
]
FILLER = ["the", "report", "was", "long", "and", "we", "read", "it", "twice", "before", "lunch"]


@given(
    text=st.text(alphabet="ab \n", max_size=400),
    size=st.integers(min_value=5, max_value=60),
    overlap=st.integers(min_value=0, max_value=20),
)
@settings(max_examples=200, deadline=None)
def test_own_spans_cover_the_text_once_and_windows_are_bounded(text: str, size: int, overlap: int) -> None:
    spans = windows(text, size=size, overlap=overlap)
    assert spans[0].own_start == 0
    assert spans[-1].own_end == len(text)
    for before, after in itertools.pairwise(spans):
        assert before.own_end == after.own_start
    for span in spans:
        assert span.start <= span.own_start <= span.own_end <= span.end
        assert span.end - span.start <= size + 2 * overlap
        assert span.start == max(0, span.own_start - overlap) and span.end == min(
            len(text), span.own_end + overlap
        )


def long_text(seed: int, words: int) -> str:
    rng = random.Random(seed)
    parts = []
    for _ in range(words):
        parts.append(rng.choice(VALUES) if rng.random() < 0.08 else rng.choice(FILLER))
        parts.append(rng.choice([" ", " ", " ", "\n"]))
    return "".join(parts)


@pytest.fixture(scope="module")
def patterns() -> Scanner:
    wanted = PATTERN_ENTITIES
    return shared_scanner(EngineSpec(entities=wanted, thresholds=tuple((e, 0.5) for e in wanted)))


@pytest.mark.parametrize("seed", range(6))
def test_small_windows_find_exactly_what_one_pass_finds(
    patterns: Scanner, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    text = long_text(seed, 300)
    whole = patterns.findings([text], [PATTERNS])[0]
    monkeypatch.setattr(curate.pii.analysis, "windows", functools.partial(windows, size=150, overlap=60))
    assert len(curate.pii.analysis.windows(text)) > 5
    assert patterns.findings([text], [PATTERNS])[0] == whole
    assert len(whole) > 10


def test_spacy_never_gets_more_than_a_window(monkeypatch: pytest.MonkeyPatch) -> None:
    scanner = shared_scanner(EngineSpec(entities=("PERSON",), thresholds=(("PERSON", 0.5),)))
    model = scanner.spec.model_for(None)
    assert model is not None
    nlp: Any = scanner._model(model)
    assert nlp.max_length == LONGEST_WINDOW
    seen: list[int] = []
    pipe = nlp.pipe

    def measured(texts: Any, **options: Any) -> Any:
        texts = list(texts)
        seen.extend(len(text) for text in texts)
        return pipe(texts, **options)

    monkeypatch.setattr(nlp, "pipe", measured)
    text = "My name is Emily Carter and I wrote this. " * 1500  # 63,000 characters
    found = scanner.findings([text], [NAMES])[0]
    # NER reads only the parts of each 20,000-character scan window that can hold a name.
    assert seen and max(seen) <= LONGEST_WINDOW
    assert {text[f.start : f.end] for f in found} == {"Emily Carter"}
    assert len(found) == 1500


def test_a_message_longer_than_max_chars_is_dropped_unscanned() -> None:
    pii = Pii.from_options(RunContext(workers=1), max_chars=1_000)
    rows = frame(
        conversation("long", ("user", "mail ada@example.org " + "x" * 2_000), ("assistant", "ok")),
        conversation("short", ("user", "mail ada@example.org"), ("assistant", "ok")),
    )
    output = pii(rows)
    assert output.kept["id"].to_list() == ["short"]
    assert output.rejected.select("id", "reason", "detail").rows() == [
        ("long", "too_long:user", "2,021 characters > max_chars 1,000")
    ]
    assert pii.report().messages_scanned == 2


def test_max_chars_protects_by_default_and_can_be_lifted() -> None:
    assert Pii.Options().max_chars == 100_000
    assert Pii.Options(max_chars=None).max_chars is None
