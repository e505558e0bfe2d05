"""The language stage: source, script and model in order, policies, exact reasons."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from curate.stages import language as language_module
from curate.stages.base import RunContext
from curate.stages.language import Language, LanguageOptions
from curate.text.langid import Detector, letter_weight, prepare
from tests.helpers import conversation, frame, load_sentences

U, A, S = "user", "assistant", "system"
FRENCH = "Bonjour, pourriez-vous m'écrire un petit poème sur la mer et le ciel ?"
ENGLISH = "Could you please write me a short poem about the sea and the sky?"
GERMAN = "Könnten Sie mir bitte ein kurzes Gedicht über das Meer und den Himmel schreiben?"
CHINESE = "请给我写一首关于大海和天空的短诗"  # 16 ideographs: weight 48


def judge(*rows: dict[str, Any], **options: Any) -> list[tuple[str, str | None, str | None]]:
    """(language, reason, detail) per row, in input order."""
    stage = Language.from_options(**options)
    judged = stage.judge(frame(*rows))
    return list(zip(judged["language"], judged["reason"], judged["detail"], strict=True))


@pytest.mark.parametrize(
    ("turns", "columns", "options", "expected"),
    [
        ([(U, ENGLISH), (A, "Sure.")], {}, {}, ("en", None)),
        ([(U, FRENCH), (A, "Sure.")], {}, {}, ("fr", None)),
        ([(U, CHINESE), (A, "好的")], {}, {}, ("zh", None)),
        ([(U, ENGLISH), (A, "Sure.")], {}, {"keep": ["en"]}, ("en", None)),
        ([(U, FRENCH), (A, "Sure.")], {}, {"keep": ["en"]}, ("fr", "language:fr")),
        ([(U, GERMAN), (A, "Sure.")], {}, {"keep": ["en", "fr"]}, ("de", "language:de")),
        ([(U, CHINESE), (A, "好的")], {}, {"keep": ["zh"]}, ("zh", None)),
        # whose turns are judged
        ([(U, FRENCH), (A, ENGLISH)], {}, {"keep": ["en"], "roles": ["assistant"]}, ("en", None)),
        ([(S, GERMAN), (U, FRENCH), (A, ENGLISH)], {}, {"roles": ["system"]}, ("de", None)),
        # too short to judge
        ([(U, "hi"), (A, "hello")], {}, {"keep": ["en"]}, ("und", None)),
        ([(U, "hi"), (A, "hello")], {}, {"undetermined": "reject"}, ("und", "undetermined")),
        ([(U, "12345 !!! ???"), (A, "ok")], {}, {"undetermined": "reject"}, ("und", "undetermined")),
        (
            [(U, ENGLISH), (A, "ok")],
            {},
            {"min_letters": 100, "undetermined": "reject"},
            ("und", "undetermined"),
        ),
        ([(U, "```\nprint('hello world, this is code')\n```"), (A, "ok")], {}, {}, ("und", None)),
        # confidence: an unsure answer names no language
        ([(U, ENGLISH), (A, "ok")], {}, {"min_confidence": 0.9}, ("en", None)),
        ([(U, f"{ENGLISH} {FRENCH}"), (A, "ok")], {}, {"min_confidence": 0.9999999}, ("und", None)),
        (
            [(U, f"{ENGLISH} {FRENCH}"), (A, "ok")],
            {},
            {"min_confidence": 0.9999999, "undetermined": "reject"},
            ("und", "low_confidence"),
        ),
        (
            [(U, f"{ENGLISH} {FRENCH}"), (A, "ok")],
            {},
            {"min_confidence": 0.9999999, "keep": ["de"]},
            ("und", None),
        ),
        # a language the source gave is trusted, unless the text's script says otherwise
        ([(U, ENGLISH), (A, "ok")], {"language": "de"}, {}, ("de", None)),
        ([(U, ENGLISH), (A, "ok")], {"language": "de"}, {"trust_source": False}, ("en", None)),
        ([(U, CHINESE), (A, "ok")], {"language": "en"}, {}, ("zh", None)),
        ([(U, "Добавь очки опыта в игру, пожалуйста"), (A, "ok")], {"language": "en"}, {}, ("ru", None)),
        ([(U, "如何将iPhone视频转换为iMovie"), (A, "ok")], {"language": "ja"}, {}, ("ja", None)),
        ([(U, "hi"), (A, "ok")], {"language": "fr"}, {}, ("fr", None)),
        (
            [(U, ENGLISH), (A, "ok")],
            {"language": "DE "},
            {"trust_source": True, "keep": ["en"]},
            ("de", "language:de"),
        ),
        ([(U, ENGLISH), (A, "ok")], {"language": "English"}, {"trust_source": True}, ("en", None)),
    ],
)
def test_judge(
    turns: list[tuple[str, str]],
    columns: dict[str, Any],
    options: dict[str, Any],
    expected: tuple[str, str | None],
) -> None:
    ((language, reason, _),) = judge(conversation("c1", *turns, **columns), **options)
    assert (language, reason) == expected


def test_details_give_the_language_and_probability_only() -> None:
    rows = judge(conversation("c1", (U, FRENCH), (A, "ok")), keep=["en"])
    assert rows == [("fr", "language:fr", "detected fr (p=0.99)")]


def test_rejected_rows_carry_the_language_too() -> None:
    output = Language.from_options(keep=["en"])(
        frame(conversation("c1", (U, FRENCH), (A, "ok")), conversation("c2", (U, ENGLISH), (A, "ok")))
    )
    assert output.kept.select("id", "language").rows() == [("c2", "en")]
    assert output.rejected.select("id", "language", "reason").rows() == [("c1", "fr", "language:fr")]


def test_report_counts_languages_and_judges_each_text_once() -> None:
    stage = Language.from_options()
    texts = [ENGLISH, FRENCH, ENGLISH, "hi", ENGLISH, FRENCH]
    rows = [conversation(f"c{i}", (U, text), (A, "ok")) for i, text in enumerate(texts)]
    report = stage(frame(*rows)).report
    assert report is not None
    assert report.model_dump(exclude_none=True) == {
        "languages": {"en": 3, "fr": 2, "und": 1},
        "cache_hits": 3,
        "texts_detected": 2,
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"keep": ["xx"]}, "keep: the detector cannot name xx (it knows af, am, an, ar,"),
        ({"keep": ["zu", "en"], "trust_source": False}, "keep: the detector cannot name zu"),
        ({"keep": ["english"]}, "not ISO 639-1 codes (two letters, like en): english"),
        ({"keep": ["zh-cn"]}, "not ISO 639-1 codes (two letters, like en): zh-cn"),
        ({"min_confidence": 1.5}, "less than or equal to 1"),
        ({"roles": []}, "at least 1 item"),
        ({"roles": ["tool"]}, "Input should be 'system', 'user' or 'assistant'"),
        ({"undetermined": "drop"}, "Input should be 'keep' or 'reject'"),
        ({"max_chars": 5}, "greater than or equal to 20"),
    ],
)
def test_invalid_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        LanguageOptions.model_validate(options)


def test_keep_codes_are_normalized() -> None:
    assert LanguageOptions.model_validate({"keep": ["EN", " fr", "en"]}).keep == ["en", "fr"]


def test_a_trusted_source_may_keep_languages_the_detector_does_not_know() -> None:
    assert LanguageOptions.model_validate({"keep": ["zu"]}).keep == ["zu"]
    ((language, reason, _),) = judge(
        conversation("c1", (U, "Sawubona, unjani namuhla?"), (A, "ok"), language="zu"), keep=["zu"]
    )
    assert (language, reason) == ("zu", None)


@pytest.mark.parametrize(
    ("text", "max_chars", "expected"),
    [
        ("plain   text\n\nhere", 300, "plain text here"),
        ("before ```python\nx = 1\n``` after", 300, "before after"),
        ("before ```unclosed fence\nx = 1", 300, "before"),
        ("use `pip install x` now", 300, "use now"),
        ("see https://example.com/a?b=c and www.example.org ok", 300, "see and ok"),
        ("mail me at someone.else@example.co.uk today", 300, "mail me at today"),
        ("a" * 500, 300, "a" * 300),
    ],
)
def test_prepare(text: str, max_chars: int, expected: str) -> None:
    assert prepare(text, max_chars) == expected


def test_prepare_can_keep_code() -> None:
    assert prepare("use `pip` now", 300, strip_code=False) == "use `pip` now"


@pytest.mark.parametrize(
    ("text", "weight"), [("", 0), ("abc de", 5), ("12 + 3!", 0), ("日本語", 9), ("한국어", 9), ("été", 3)]
)
def test_letter_weight(text: str, weight: int) -> None:
    assert letter_weight(text) == weight


def test_chinese_variants_map_to_zh() -> None:
    traditional = "請給我寫一首關於大海和天空的短詩，謝謝你們。"
    assert Detector().detect(traditional)[0] == "zh"
    assert Detector().detect(CHINESE)[0] == "zh"


@pytest.mark.slow
def test_process_pool_gives_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language_module, "POOL_MIN_TEXTS", 2)
    texts = [ENGLISH, FRENCH, GERMAN, CHINESE, f"{ENGLISH} {FRENCH}", "Ciao, come stai? Bom dia, tudo bem?"]
    rows = frame(*(conversation(f"c{i}", (U, text), (A, "ok")) for i, text in enumerate(texts)))
    pooled = Language(LanguageOptions(), RunContext(workers=2))
    try:
        with_pool = pooled.judge(rows)
        assert pooled.pool is not None
    finally:
        pooled.teardown()
    assert pooled.pool is None
    serial = Language(LanguageOptions(), RunContext(workers=1)).judge(rows)
    assert with_pool.equals(serial)


def test_accuracy_on_real_sentences(shared_data: Path) -> None:
    sentences = load_sentences(shared_data / "langid")
    assert len({code for code, _ in sentences}) == 10
    rows = frame(*(conversation(f"s{i}", (U, text), (A, "ok")) for i, (_, text) in enumerate(sentences)))
    judged = Language.from_options(min_letters=1).judge(rows)
    correct = sum(got == want for got, (want, _) in zip(judged["language"], sentences, strict=True))
    assert correct / len(sentences) >= 0.95


def test_accuracy_with_the_default_short_text_policy(shared_data: Path) -> None:
    """With the defaults, short sentences become ``und``; those judged must stay accurate."""
    sentences = load_sentences(shared_data / "langid")
    rows = frame(*(conversation(f"s{i}", (U, text), (A, "ok")) for i, (_, text) in enumerate(sentences)))
    judged = Language.from_options().judge(rows)["language"].to_list()
    decided = [(got, want) for got, (want, _) in zip(judged, sentences, strict=True) if got != "und"]
    assert len(decided) / len(sentences) >= 0.9
    assert sum(got == want for got, want in decided) / len(decided) >= 0.95


def test_short_english_prompts_are_not_named_another_language(shared_data: Path) -> None:
    """Short chat prompts are where langdetect errs; the default policy calls them ``und``."""
    records = json.loads((shared_data / "sharegpt" / "fastchat_dummy_conversation.json").read_text("utf-8"))
    prompts = sorted(
        {
            "\n".join(turn["value"] for turn in record["conversations"] if turn["from"] == "human")
            for record in records
        }
    )
    rows = frame(*(conversation(f"p{i}", (U, text), (A, "ok")) for i, text in enumerate(prompts)))
    languages = Counter(Language.from_options().judge(rows)["language"].to_list())
    assert set(languages) == {"en", "und"}
    assert languages["en"] >= 0.3 * len(prompts)
