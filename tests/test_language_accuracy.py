"""How well the language stage names languages: real sentences, short real-style prompts.

The sentences (``../shared/data/langid``, 200 a language from the Leipzig corpora, as lingua's
test data) measure the detector itself: every sentence is judged, however short. The prompts
(``tests/language_prompts.py``) measure the stage with its defaults, where a text too short to
judge stays ``und`` and is kept. Both sets were looked at while choosing the defaults, so the
figures are development-set figures. Run with ``-s`` to see the tables.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from curate.stages.language import Language
from curate.text.langid import letter_weight
from tests.helpers import conversation, frame, load_sentences
from tests.language_prompts import PROMPTS

SHORT = 40
"""Characters: the texts counted as short."""


def languages_of(texts: list[str], **options: object) -> list[str]:
    rows = frame(
        *(conversation(f"t{i}", ("user", text), ("assistant", "ok")) for i, text in enumerate(texts))
    )
    return Language.from_options(**options).judge(rows)["language"].to_list()


def accuracy_table(pairs: list[tuple[str, str, str]]) -> dict[str, tuple[int, int]]:
    """Language -> (right, all) for ``(wanted, got, text)`` triples."""
    table: dict[str, list[int]] = {}
    for wanted, got, _ in pairs:
        right_all = table.setdefault(wanted, [0, 0])
        right_all[0] += got == wanted
        right_all[1] += 1
    return {code: (right, count) for code, (right, count) in sorted(table.items())}


def show(title: str, table: dict[str, tuple[int, int]]) -> str:
    lines = [title] + [
        f"  {code}: {right}/{count} = {right / count:.1%}" for code, (right, count) in table.items()
    ]
    text = "\n".join(lines)
    print(text)
    return text


@pytest.fixture(scope="module")
def sentences(shared_data: Path) -> list[tuple[str, str, str]]:
    found = load_sentences(shared_data / "langid")
    got = languages_of([text for _, text in found], min_letters=1, min_confidence=0.0)
    return [(wanted, answer, text) for (wanted, text), answer in zip(found, got, strict=True)]


def test_every_language_of_the_shared_sentences(sentences: list[tuple[str, str, str]]) -> None:
    table = accuracy_table(sentences)
    report = show("shared sentences, every one judged:", table)
    right = sum(r for r, _ in table.values())
    assert len(table) == 10
    assert right / len(sentences) >= 0.98, report
    assert all(r / n >= 0.95 for r, n in table.values()), report


def test_the_short_shared_sentences(sentences: list[tuple[str, str, str]]) -> None:
    short = [triple for triple in sentences if len(triple[2]) < SHORT]
    right = sum(wanted == got for wanted, got, _ in short)
    print(f"shared sentences under {SHORT} characters: {right}/{len(short)} = {right / len(short):.1%}")
    assert len(short) > 250
    assert right / len(short) >= 0.97


def test_the_defaults_name_few_shared_sentences_wrong(shared_data: Path) -> None:
    found = load_sentences(shared_data / "langid")
    got = languages_of([text for _, text in found])
    counts = Counter(
        "und" if answer == "und" else "right" if answer == wanted else "wrong"
        for (wanted, _), answer in zip(found, got, strict=True)
    )
    print(f"shared sentences with the defaults: {dict(counts)}")
    assert counts["wrong"] <= 0.002 * len(found)
    assert counts["und"] <= 0.08 * len(found)


def test_short_prompts_when_every_one_must_be_named() -> None:
    got = languages_of([text for _, text in PROMPTS], min_letters=1, min_confidence=0.0)
    triples = [(wanted, answer, text) for (wanted, text), answer in zip(PROMPTS, got, strict=True)]
    right = sum(wanted == answer for wanted, answer, _ in triples)
    wrong = [(text, answer) for wanted, answer, text in triples if answer != wanted]
    print(
        f"short prompts, every one named: {right}/{len(triples)} = {right / len(triples):.1%}; wrong: {wrong}"
    )
    assert right / len(triples) >= 0.9, wrong


def test_short_prompts_with_the_defaults() -> None:
    """Right, or ``und`` (and kept) for a prompt under ``min_letters``; never another language."""
    got = languages_of([text for _, text in PROMPTS])
    options = Language.Options()
    outcome = Counter()
    wrong = []
    for (wanted, text), answer in zip(PROMPTS, got, strict=True):
        if answer == wanted or (answer == "und" and letter_weight(text) < options.min_letters):
            outcome["right"] += 1
        elif answer == "und":
            outcome["unsure"] += 1
        else:
            outcome["wrong"] += 1
            wrong.append((text, answer))
    print(f"short prompts with the defaults: {dict(outcome)}")
    assert outcome["right"] / len(PROMPTS) >= 0.9
    assert not wrong


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("give me 10 clever marketing ideas for baked beans", "en"),
        ("continue generating", "und"),
        ("Please continue", "und"),
        ("如何将iPhone视频转换为iMovie", "zh"),
        ("Explain, please, how I can convert iPhone videos so that iMovie reads them", "en"),
        ("Zer da adimen artifiziala eta nola funtzionatzen du? Azaldu modu errazean.", "eu"),
        ("Idatzi olerki bat itsasoari buruz, mesedez, gaur gauean", "und"),  # unsure, not Indonesian
    ],
)
def test_the_issues_examples(text: str, language: str) -> None:
    assert languages_of([text]) == [language]


def test_wildchat_labels_are_kept_unless_the_script_disagrees(shared_data: Path) -> None:
    import json

    from curate.readers.languages import iso_code

    records = json.loads((shared_data / "wildchat" / "convotopo_wildchat_50_sample.json").read_text("utf-8"))
    rows = [
        conversation(
            f"w{i}",
            *((m["role"], m["content"]) for m in record["messages"] if m["role"] in ("user", "assistant")),
            language=iso_code(record["metadata"]["language"]),
        )
        for i, record in enumerate(records)
    ]
    stage = Language.from_options()
    got = stage.judge(frame(*rows))["language"].to_list()
    labels = [row["language"] for row in rows]
    changed = [(label, answer) for label, answer in zip(labels, got, strict=True) if label != answer]
    kept = len(labels) - len(changed)
    print(f"WildChat sample: {kept}/{len(labels)} keep the source's label; changed {changed}")
    assert changed == [("en", "ru"), ("en", "ko")]
    assert stage.report().source_overruled == 2
