"""``generate``: more candidate replies for each prompt, from models behind chat-completion APIs.

Logs such as WildChat, LMSYS-Chat-1M and ShareGPT hold one reply per prompt, which no
strategy can pair. ``generate`` asks each configured model for ``n`` completions of each
prompt (``curate.generation``); each becomes a conversation sharing the original's
``group``, so the ``judge`` strategy of ``pairs`` can rank them. Place ``license`` after it:
the generating model's terms then apply as they do to logged replies. Requests go through
``curate.clients`` (bounded concurrency, retries, a response cache that makes reruns free
and identical).

A conversation without a user turn is rejected ``no_prompt``; one whose prompt another row
of its group already asks, with ``keep_original: false``, ``same_prompt``; one that ends up
with no candidate because every request for it failed, ``request_failed``.

>>> from curate.stages.generate import Generate
>>> stage = Generate.from_options(models=[{"base_url": "http://127.0.0.1:8000/v1", "model": "m", "n": 2}])
>>> stage.options.keep_original, stage.options.turns
(True, 'first')
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Self

import polars as pl
from pydantic import Field, model_validator

from curate.clients import ChatResult, ResponseCache, default_cache_dir
from curate.generation.candidates import Plan, generated, original, plan
from curate.generation.options import GeneratorOptions
from curate.generation.prompts import Turns
from curate.licensing import registry
from curate.options import Outbound, ResolvedPath, StageOptions
from curate.stages.base import RunContext, Stage, StageOutput, StageReport, register


class GenerateOptions(StageOptions):
    """Options of the ``generate`` stage."""

    models: list[GeneratorOptions] = Field(
        min_length=1, description="The models to ask, each with its endpoint, `n` and sampling parameters."
    )
    turns: Turns = Field(
        "first",
        description="first: the prompt is the conversation up to its first user turn; all: up to its last.",
    )
    keep_original: bool = Field(True, description="Keep the logged reply to the prompt as a candidate too.")
    cache_dir: ResolvedPath | None = Field(
        None,
        description="Folder of the response cache; default $XDG_CACHE_HOME/curate/requests. It outlives "
        "the run, so a rerun or a resume sends no request twice.",
    )
    send_unscrubbed: bool = Field(
        False,
        description="Allow sending prompts to the models before a `pii` stage has scrubbed them "
        "(validation refuses that otherwise).",
    )
    seed: int | None = Field(None, description="Seed of the first completion; default the pipeline's seed.")

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        seen = set()
        for model in self.models:
            key = model.model_dump_json(
                include={"base_url", "model", "temperature", "top_p", "seed", "extra"}
            )
            if key in seen:
                raise ValueError(
                    f"model {model.model!r} at {model.base_url} is listed twice with one sampling"
                )
            seen.add(key)
        return self

    def unscrubbed_endpoints(self) -> list[Outbound]:
        if self.send_unscrubbed:
            return []
        return [
            Outbound(("models", number, "base_url"), model.base_url, ("send_unscrubbed",))
            for number, model in enumerate(self.models)
        ]


class GeneratedBy(StageReport):
    """What one configured model was asked and gave."""

    model: str
    base_url: str
    terms: str | None = Field(description="Terms key of the model's provider, when known.")
    requests: int
    completions: int
    failed: int
    prompt_tokens: int
    completion_tokens: int


class GenerateReport(StageReport):
    """Conversations in, prompts asked, candidates out, and each model's figures."""

    conversations: int
    prompts: int
    candidates: int
    keep_original: bool
    turns: Turns
    models: list[GeneratedBy]


@register("generate")
class Generate(Stage[GenerateOptions, GenerateReport]):
    """Candidate replies from models: conversations in, more conversations out."""

    Options = GenerateOptions
    Report = GenerateReport
    adds_replies = True
    reasons = ("no_prompt", "same_prompt", "request_failed")

    def __init__(self, options: GenerateOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self.cache = ResponseCache(options.cache_dir or default_cache_dir())
        self.reset()

    def reset(self) -> None:
        self._counts = {"conversations": 0, "prompts": 0, "candidates": 0}
        self._by_model = [dict.fromkeys(_MODEL_COUNTS, 0) for _ in self.options.models]

    def teardown(self) -> None:
        self.cache.close()

    def process(self, frame: pl.DataFrame) -> StageOutput:
        from curate.clients.chat import ChatClient

        plans = plan(frame.to_dicts(), self.options.models, self.options.turns, self.seed)
        requests = [request for current in plans for _, request in current.requests]
        answers = iter(ChatClient(self.cache).complete(requests))
        kept: list[dict[str, Any]] = []
        reasons: list[tuple[str, str] | None] = []
        for current in plans:
            rows = self._candidates(current, answers)
            kept += rows
            reasons.append(None if rows else _why_none(current))
        self._counts["conversations"] += frame.height
        self._counts["prompts"] += sum(current.owner for current in plans)
        self._counts["candidates"] += len(kept)
        judged = frame.with_columns(
            reason=pl.Series([r[0] if r else None for r in reasons], dtype=pl.String),
            detail=pl.Series([r[1] if r else None for r in reasons], dtype=pl.String),
        )
        rejected = judged.filter(pl.col("reason").is_not_null())
        output = pl.DataFrame(kept, schema=frame.schema) if kept else frame.clear()
        return StageOutput(kept=output, rejected=rejected, consumed=frame.height - rejected.height)

    def _candidates(self, current: Plan, answers: Iterator[ChatResult]) -> list[dict[str, Any]]:
        rows = [original(current)] if self.options.keep_original and current.logged else []
        for number, request in current.requests:
            answer = next(answers)
            counts = self._by_model[number]
            counts["requests"] += 1
            counts["prompt_tokens"] += answer.prompt_tokens
            counts["completion_tokens"] += answer.completion_tokens
            if answer.ok:
                counts["completions"] += 1
                rows.append(generated(current, self.options.models[number], request, answer))
            else:
                counts["failed"] += 1
        return rows

    def report(self) -> GenerateReport:
        known = registry()
        models = []
        for model, counts in zip(self.options.models, self._by_model, strict=True):
            terms = known.terms_for(model.model)
            models.append(
                GeneratedBy(
                    model=model.model, base_url=model.base_url, terms=terms.key if terms else None, **counts
                )
            )
        return GenerateReport(
            **self._counts, keep_original=self.options.keep_original, turns=self.options.turns, models=models
        )


_MODEL_COUNTS = ("requests", "completions", "failed", "prompt_tokens", "completion_tokens")


def _why_none(current: Plan) -> tuple[str, str]:
    if not current.prompt:
        return ("no_prompt", "no user turn to answer")
    if not current.owner:
        return ("same_prompt", "another conversation of the group asks this prompt")
    return ("request_failed", "every request for this prompt failed")
