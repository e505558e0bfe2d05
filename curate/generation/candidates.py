"""From conversations to the requests ``generate`` sends, and from answers to candidate rows.

A **prompt** is asked once per (source, group, prompt text) of a batch: two rows of one arena
battle share their prompt, and asking it twice would only make copies. The first row with
the prompt owns the completions; every row stays a candidate with its logged reply when
``keep_original`` says so. A generated row copies the conversation's columns (source,
group, consent, language, prompt cluster, working columns), and takes its own ``id``, the
generating ``model``, the model entry's license combined with the prompt's, no ``signal``,
and a ``meta`` that records the endpoint, the sampling parameters, the finish reason and
the token counts. Never the API key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from curate.clients.request import ChatRequest, ChatResult, Messages
from curate.generation.options import GeneratorOptions
from curate.generation.prompts import Turns, cut
from curate.licensing import combine_licenses
from curate.pairing.sides import digest, turns_of


@dataclass
class Plan:
    """What one conversation becomes: its prompt, its logged reply and, if it owns the prompt,
    the requests for its completions (one per model entry and sample)."""

    row: dict[str, Any]
    prompt: Messages
    logged: Messages
    requests: list[tuple[int, ChatRequest]] = field(default_factory=list)
    """``(model entry index, request)``."""
    owner: bool = False


def plan(rows: list[dict[str, Any]], models: list[GeneratorOptions], turns: Turns, seed: int) -> list[Plan]:
    """One ``Plan`` per row, in order; requests only for the first row of each prompt."""
    plans = []
    owners: set[tuple[Any, ...]] = set()
    endpoints = [model.endpoint() for model in models]
    for row in rows:
        prompt, logged = cut(turns_of(row["messages"]), turns)
        current = Plan(row, prompt, logged)
        unit = (row["source"], row["group"], prompt)
        if prompt and unit not in owners:
            owners.add(unit)
            current.owner = True
            for number, (model, endpoint) in enumerate(zip(models, endpoints, strict=True)):
                first = model.seed if model.seed is not None else seed
                current.requests += [
                    (number, ChatRequest(endpoint, prompt, model.params(first + sample)))
                    for sample in range(model.n)
                ]
        plans.append(current)
    return plans


def original(current: Plan) -> dict[str, Any]:
    """The logged conversation as a candidate: its prompt and the reply the log holds."""
    messages = current.prompt + current.logged
    if messages == turns_of(current.row["messages"]):
        return current.row
    return {**current.row, "messages": _as_messages(messages)}


def generated(
    current: Plan, model: GeneratorOptions, request: ChatRequest, answer: ChatResult
) -> dict[str, Any]:
    """A new conversation: the prompt and the model's answer, under the original's group."""
    row = current.row
    assert answer.content is not None
    record = {
        "from": row["id"],
        "base_url": model.base_url,
        "model": model.model,
        "params": request.params,
        "finish_reason": answer.finish_reason,
        "usage": {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens},
    }
    return {
        **row,
        "id": "gen-" + digest(["generate", row["source"], row["id"], request.key]),
        "messages": _as_messages((*current.prompt, ("assistant", answer.content))),
        "model": model.model,
        "license": combine_licenses([row["license"], model.license]) if model.license else row["license"],
        "signal": None,
        "meta": orjson.dumps({"generated": record}, option=orjson.OPT_SORT_KEYS).decode(),
    }


def _as_messages(messages: Messages) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in messages]
