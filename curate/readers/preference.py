"""``preference``: records that already say which answer is better, in the common layouts.

Each record gives two or more rows sharing ``group`` (the record's own ``id`` or
``prompt_id``, else a hash of its messages); every row holds the same prompt followed by one
answer, with ``signal.label`` (``chosen`` / ``rejected``) and/or ``signal.score``.

=============================  ===========================================================
layout                         fields
=============================  ===========================================================
TRL explicit                   ``prompt`` + ``chosen`` + ``rejected``: strings or message lists
TRL implicit                   ``chosen`` / ``rejected``: whole conversations, shared prefix
HH-RLHF                        ``chosen`` / ``rejected``: ``"\\n\\nHuman: ..\\n\\nAssistant: .."``
LLaMA-Factory                  ``conversations`` + ``chosen`` / ``rejected`` as ``{from, value}``
LLaMA-Factory (alpaca)         ``instruction`` (+ ``input``) + ``chosen`` / ``rejected`` strings
UltraFeedback                  ``instruction`` / ``prompt`` + ``completions: [{model, response,
                               overall_score | fine-grained_score | annotations}]``
UltraFeedback binarized        implicit layout + ``score_chosen`` / ``score_rejected``
OpenAI preference fine-tuning  ``input.messages`` + ``preferred_output`` / ``non_preferred_output``
HelpSteer2 (one rated answer)  ``prompt`` + ``response`` + aspect ratings (kept in ``meta``)
TRL unpaired (KTO)             ``prompt`` + ``completion`` + ``label`` (true: thumbs up)
=============================  ===========================================================

Scores and models are looked for at the top level and, failing that, under ``metadata``:
``score_chosen`` / ``chosen_score`` / ``chosen_rating`` / ``chosen-rating`` (and the same for
``rejected``), ``chosen_model`` / ``chosen-model``; ``score`` / ``rating`` for one answer.

The last two give one row per record: answers to one prompt arrive as separate records, so
their ``group`` is the record's ``prompt_id`` when it has one and null otherwise (the pairs
stage then groups them by their prompt).

Where the two sides are whole conversations, the prompt is their longest common prefix
cut back to its last user turn; a record whose sides share no user turn is rejected as
``no_shared_prompt``. ``chosen_model`` / ``rejected_model`` give each row's model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from curate.readers.base import (
    Reader,
    RecordError,
    content_id,
    messages_of,
    number,
    optional,
    register_reader,
    require,
    signal,
    text_of,
    unmapped,
)
from curate.readers.transcripts import Message, is_transcript, parse_transcript, split_prompt
from curate.schema import Label

T = TypeVar("T")
SIDES: tuple[Label, Label] = ("chosen", "rejected")
SCORE_KEYS = {
    side: (f"score_{side}", f"{side}_score", f"{side}_rating", f"{side}-rating", f"{side}-score")
    for side in ("chosen", "rejected")
}
MODEL_KEYS = {side: (f"{side}_model", f"{side}-model") for side in ("chosen", "rejected")}
SINGLE_SCORE_KEYS = ("score", "rating")
NESTED = "metadata"
"""Where layouts that keep the top level for the text put scores and models."""
PAIR_MAPPED = frozenset(
    {
        "id",
        "prompt_id",
        "prompt",
        "system",
        "conversations",
        "instruction",
        "input",
        "chosen",
        "rejected",
        *MODEL_KEYS["chosen"],
        *MODEL_KEYS["rejected"],
        "preferred_output",
        "non_preferred_output",
        *SCORE_KEYS["chosen"],
        *SCORE_KEYS["rejected"],
    }
)
SINGLE_MAPPED = frozenset(
    {
        "id",
        "prompt_id",
        "prompt",
        "system",
        "instruction",
        "input",
        "response",
        "completion",
        "label",
        "model",
        *SINGLE_SCORE_KEYS,
    }
)
COMPLETION_MAPPED = frozenset({"model", "response", "overall_score", "fine-grained_score"})


@register_reader("preference")
class PreferenceReader(Reader):
    sniff_priority: ClassVar[int] = 30

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        if "chosen" in record and "rejected" in record:
            return True
        if "preferred_output" in record and "non_preferred_output" in record:
            return True
        if "prompt" in record and ("response" in record or isinstance(record.get("label"), bool)):
            return True
        return isinstance(record.get("completions"), list) and ("instruction" in record or "prompt" in record)

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        if "chosen" not in record and "preferred_output" not in record:
            if "completions" in record:
                return _rated(record)
            if "response" in record or "completion" in record:
                return [_single(record)]
        prompt, answers = _pair(record)
        own = optional(record, "id", (str, int)) or optional(record, "prompt_id", (str, int))
        group = str(own) if own is not None else content_id(prompt, *(_text(a) for a in answers))
        meta = unmapped(record, PAIR_MAPPED)
        rows = []
        for side, answer in zip(SIDES, answers, strict=True):
            rows.append(
                {
                    "id": f"{group}:{side}",
                    "messages": prompt + answer,
                    "model": _found(record, MODEL_KEYS[side], _model),
                    "group": group,
                    "signal": signal(label=side, score=_found(record, SCORE_KEYS[side], number)),
                    "meta": meta,
                }
            )
        return rows


def _pair(record: dict[str, Any]) -> tuple[list[Message], tuple[list[Message], list[Message]]]:
    """The shared prompt and the two answers, whatever the layout."""
    if "preferred_output" in record:
        given = require(record, "input", dict)
        prompt, _ = messages_of(given.get("messages"), "input.messages")
        answers = (
            messages_of(record.get("preferred_output"), "preferred_output")[0],
            messages_of(record.get("non_preferred_output"), "non_preferred_output")[0],
        )
        return prompt, _checked_answers(answers, ("preferred_output", "non_preferred_output"))
    given = _prompt(record)
    transcripts = given is None and any(is_transcript(record.get(side)) for side in SIDES)
    chosen, rejected = (_side(record, side, transcripts) for side in SIDES)
    if given is None or chosen[0]["role"] != "assistant":
        # Whole conversations (implicit, HH-RLHF, binarized, whose `prompt` repeats their
        # first turn): the prompt is what the two share.
        shared, first, second = split_prompt(chosen, rejected, SIDES)
        return shared, (first, second)
    return given, _checked_answers((chosen, rejected), SIDES)


def _prompt(record: dict[str, Any]) -> list[Message] | None:
    """The prompt given apart from the answers, or ``None`` when the answers hold it."""
    system = optional(record, "system", str)
    prompt: list[Message] | None
    if "conversations" in record:
        prompt, _ = messages_of(record.get("conversations"), "conversations", "from", "value")
    elif isinstance(record.get("prompt"), list):
        prompt, _ = messages_of(record["prompt"], "prompt")
    elif record.get("prompt") is not None:
        prompt = [{"role": "user", "content": text_of(record["prompt"], "prompt")}]
    elif record.get("instruction") is not None:
        parts = [text_of(record["instruction"], "instruction"), optional(record, "input", str)]
        prompt = [{"role": "user", "content": "\n".join(part for part in parts if part)}]
    else:
        return None
    if system and prompt[0]["role"] != "system":
        prompt.insert(0, {"role": "system", "content": system})
    return prompt


def _side(record: dict[str, Any], side: str, transcript: bool) -> list[Message]:
    value = record.get(side)
    if transcript and isinstance(value, str):
        return parse_transcript(value, side)
    if isinstance(value, str):
        return [{"role": "assistant", "content": value}]
    if isinstance(value, dict):
        if "from" in value:
            return messages_of([value], side, "from", "value")[0]
        return messages_of([value], side)[0]
    if isinstance(value, list) and value and isinstance(value[0], dict) and "from" in value[0]:
        return messages_of(value, side, "from", "value")[0]
    return messages_of(value, side)[0]


def _checked_answers(
    answers: tuple[list[Message], list[Message]], fields: tuple[str, str]
) -> tuple[list[Message], list[Message]]:
    for answer, field in zip(answers, fields, strict=True):
        if answer[0]["role"] != "assistant":
            raise RecordError("invalid_value", f"{field}[0].role", "an answer starts with an assistant turn")
    return answers


def _found(record: dict[str, Any], keys: tuple[str, ...], read: Callable[[Any, str], T]) -> T | None:
    """The first of ``keys`` present at the top level, else under ``metadata``, read by ``read``."""
    nested = record.get(NESTED)
    for where, fields in ((None, record), (NESTED, nested if isinstance(nested, dict) else {})):
        for key in keys:
            if fields.get(key) is not None:
                return read(fields[key], f"{where}.{key}" if where else key)
    return None


def _model(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RecordError("wrong_type", field, f"expected a string, got {type(value).__name__}")
    return value


def _rated(record: dict[str, Any]) -> list[dict[str, Any]]:
    """UltraFeedback: one row per completion, scored, all sharing the prompt's group."""
    prompt = _prompt(record)
    if prompt is None:
        raise RecordError("missing_field", "instruction", "missing")
    completions = require(record, "completions", list)
    if not completions:
        raise RecordError("no_messages", "completions", "the list of completions is empty")
    answers = []
    for index, completion in enumerate(completions):
        where = f"completions[{index}]"
        if not isinstance(completion, dict):
            raise RecordError("wrong_type", where, f"expected an object, got {type(completion).__name__}")
        response = text_of(completion.get("response"), f"{where}.response")
        answers.append((completion, response, _completion_score(completion, where)))
    own = optional(record, "id", (str, int)) or optional(record, "prompt_id", (str, int))
    group = str(own) if own is not None else content_id(prompt, *(response for _, response, _ in answers))
    shared = unmapped(record, {"id", "prompt_id", "prompt", "instruction", "input", "system", "completions"})
    return [
        {
            "id": f"{group}:{index}",
            "messages": [*prompt, {"role": "assistant", "content": response}],
            "model": optional(completion, "model", str, f"completions[{index}].model"),
            "group": group,
            "signal": signal(score=score),
            "meta": shared | unmapped(completion, COMPLETION_MAPPED),
        }
        for index, (completion, response, score) in enumerate(answers)
    ]


def _single(record: dict[str, Any]) -> dict[str, Any]:
    """One answer with its own verdict: aspect ratings (HelpSteer2) or a KTO ``label``."""
    prompt = _prompt(record)
    if prompt is None:
        raise RecordError("missing_field", "prompt", "missing")
    key = "response" if "response" in record else "completion"
    value = record.get(key)
    if isinstance(value, list):
        answer = messages_of(value, key)[0]
        _checked_answers((answer, answer), (key, key))
    else:
        answer = [{"role": "assistant", "content": text_of(value, key)}]
    label = optional(record, "label", bool)
    score = _found(record, SINGLE_SCORE_KEYS, number)
    own = optional(record, "id", (str, int))
    group = optional(record, "prompt_id", (str, int))
    return {
        "id": str(own) if own is not None else content_id(prompt + answer),
        "messages": prompt + answer,
        "model": optional(record, "model", str),
        "group": str(group) if group is not None else None,
        "signal": signal(score=score, thumbs=None if label is None else ("up" if label else "down")),
        "meta": unmapped(record, SINGLE_MAPPED),
    }


def _completion_score(completion: dict[str, Any], where: str) -> float | None:
    """``overall_score``, else ``fine-grained_score``, else the mean of the aspect ratings."""
    for key in ("overall_score", "fine-grained_score"):
        if completion.get(key) is not None:
            return number(completion[key], f"{where}.{key}")
    annotations = completion.get("annotations")
    if not isinstance(annotations, dict):
        return None
    ratings = []
    for aspect, annotation in sorted(annotations.items()):
        rating = annotation.get("Rating") if isinstance(annotation, dict) else None
        if rating is None or rating == "N/A":
            continue  # the aspect was not rated
        ratings.append(number(rating, f"{where}.annotations.{aspect}.Rating"))
    known = [rating for rating in ratings if rating is not None]
    return sum(known) / len(known) if known else None


def _text(messages: list[Message]) -> str:
    return "\n".join(f"{m['role']}: {m['content']}" for m in messages)
