"""The ``pii`` stage: find personal data with presidio and replace, mask, hash, redact or drop it.

Pattern recognizers run on every scanned turn; spaCy's NER only on the roles in ``ner_on``
(user and system by default: in chat logs the private data is what people typed, and NER
over assistant prose mostly finds public figures). Every value found in any turn is then
removed from all turns of its conversation, which catches assistants echoing it. The
columns a conversation publishes beside its messages (``id``, ``group``, ``prompt_cluster``,
``user``, ``model``, every string of ``meta``) are searched too, each as its values call for
(``curate.pii.fields``): keys that hold personal data become keyed pseudonyms, ``model`` and
``meta`` strings are rewritten in place. The mechanics live in ``curate.pii``; this module
maps options to them and counts.

>>> from curate.stages.pii import PiiOptions
>>> PiiOptions(score_threshold={"default": 0.6, "PHONE_NUMBER": 0.4}).thresholds()["PHONE_NUMBER"]
0.4
"""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING, Any, Final, Literal, Self

import polars as pl
from pydantic import Field, field_validator, model_validator

from curate import schema
from curate.markdown import code, mapping_table, paragraphs, plural, report_tables, table
from curate.options import StageOptions
from curate.pii.batch import Batch, batch_requests
from curate.pii.density import density, warning
from curate.pii.entities import DEFAULT_ENTITIES, DEFAULT_MODEL, KNOWN, Action, model_missing, models_problem
from curate.pii.fields import ColumnCounts, SideColumns
from curate.pii.links import linked_values
from curate.pii.modes import describe_languages
from curate.pii.words import ASSISTANT_NAMES
from curate.schema import Role
from curate.stages.base import FilterStage, StageReport, register

if TYPE_CHECKING:
    from curate.pii.actions import Scrubber
    from curate.pii.engine import EngineSpec
    from curate.pii.pool import Analyser

TRUE_VALUES: Final = ("true", "1", "yes")
LANGUAGES: Final = ("ner_languages", "no_ner_languages")
"""Report fields counting turns by language, told in the card's sentence (``describe_languages``)."""
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


class SourceRedacted(StageReport):
    seen: int = Field(description="Records the source marked redacted.")
    policy: SourceRedactedPolicy = Field(description="What was done with them (`on_source_redacted`).")


class ColumnReport(StageReport):
    """What the stage found in one column outside the messages."""

    values: int = Field(description="Strings scanned (for meta: its keys and string values at any depth).")
    changed: int = Field(description="Values rewritten: in place (model, meta) or by a pseudonym (keys).")
    entities: dict[str, int] = Field(description="Entities found, by type.")


class PiiReport(StageReport):
    """What ``pii`` found and did: counts by entity type and action, never a value."""

    # The density figures came with curate 0.1's later builds, `columns` and the language
    # figures later still: folders written before still load.
    optional_keys = frozenset(
        {"hash_key", "warning", "chars_scanned", "replacements_per_1k_chars", "columns", "models", *LANGUAGES}
    )

    entities: dict[str, int] = Field(description="Entities found in the messages, by type.")
    actions: dict[str, int] = Field(
        description="Entities in the messages the action was applied to, by action."
    )
    columns: dict[str, ColumnReport] | None = Field(
        None,
        description="Columns outside the messages (id, group, prompt_cluster, user, model, meta) by name.",
    )
    conversations_with_pii: int = Field(
        description="Conversations with personal data anywhere, side columns too."
    )
    conversations_scanned: int
    messages_scanned: int
    texts_analysed: int = Field(description="Distinct texts presidio analysed.")
    texts_reused: int = Field(description="Texts whose findings came from the cache.")
    echoes_removed: int = Field(description="Values found in one turn and removed from another.")
    chars_scanned: int | None = Field(None, description="Characters of the scanned turns.")
    replacements_per_1k_chars: float | None = Field(
        None, description="Entities found per 1,000 characters scanned."
    )
    warning: str | None = Field(None, description="Set when that density is implausible for chat logs.")
    source_redacted: SourceRedacted
    action: Action
    entity_types: list[str]
    score_threshold: dict[str, float]
    roles: list[Role]
    ner_on: list[Role]
    model: str
    models: dict[str, str] | None = Field(
        None, description="The spaCy model NER used for each row language (`en` also reads unknown ones)."
    )
    ner_languages: dict[str, int] | None = Field(
        None, description="Turns searched for names with NER, by row language (`und`: unknown)."
    )
    no_ner_languages: dict[str, int] | None = Field(
        None,
        description="Turns searched for names by the name list and cues only (no model for their row's "
        "language), by row language.",
    )
    hash_key: Literal["environment", "seed"] | None = Field(
        None,
        description="Where the key of the hash action and of pseudonyms came from (when either was used).",
    )

    def merged(self, other: Self) -> Self:
        """Counts add; the density and its warning are worked out again from the added counts."""
        merged = super().merged(
            other.model_copy(
                update={"replacements_per_1k_chars": self.replacements_per_1k_chars, "warning": self.warning}
            )
        )
        found = sum(merged.entities.values())
        if merged.chars_scanned is None:
            return merged
        return merged.model_copy(
            update={
                "replacements_per_1k_chars": density(found, merged.chars_scanned),
                "warning": warning(found, merged.chars_scanned),
            }
        )


@register("pii")
class Pii(FilterStage[PiiOptions, PiiReport]):
    """Scrub personal data from every scanned turn, or drop conversations that hold any."""

    Options = PiiOptions
    Report = PiiReport
    reasons = ("pii", "source_redacted", "too_long")
    loads = "presidio and the spaCy model"

    def __init__(self, options: PiiOptions, context: Any = None) -> None:
        super().__init__(options, context)
        self._analyser: Analyser | None = None
        self._scrubber: Scrubber | None = None
        self._entities: Counter[str] = Counter()
        self._counts: Counter[str] = Counter()
        self._columns: dict[str, ColumnCounts] = {}
        self._languages: Counter[str] = Counter()
        self._key_from_environment = False

    def reset(self) -> None:
        self._entities = Counter()
        self._counts = Counter()
        self._columns = {}
        self._languages = Counter()
        if self._analyser is not None:
            self._analyser.reset()

    def spec(self) -> EngineSpec:
        from curate.pii.engine import EngineSpec

        options = self.options
        thresholds = options.thresholds()
        return EngineSpec(
            entities=tuple(options.entities),
            thresholds=tuple((entity, thresholds[entity]) for entity in options.entities),
            allow=options.allowed(),
            model=options.models.get("en", options.model),
            models=tuple((code, name) for code, name in options.ner_models().items() if code != "en"),
        )

    def setup(self) -> None:
        from curate.pii.lean import without_ml_stacks

        with without_ml_stacks():
            import curate.pii.analysis  # noqa: F401  (presidio and spaCy, imported without torch)
            from curate.pii.actions import Scrubber
            from curate.pii.pool import Analyser

        if self._analyser is None:
            self._analyser = Analyser(self.spec(), workers=self.context.workers)
        self._analyser.start()
        if self._scrubber is None:
            self._scrubber = Scrubber(self.options.action, self._hash_key())

    def teardown(self) -> None:
        if self._analyser is not None:
            self._analyser.close()

    def _hash_key(self) -> bytes:
        secret = os.environ.get(self.options.hash_key_env)
        self._key_from_environment = bool(secret)
        return (secret or f"curate-pii-seed:{self.seed}").encode()

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        analyser, scrubber = self._analyser, self._scrubber
        if analyser is None or scrubber is None:
            raise self.not_set_up()
        options = self.options
        conversations: list[list[dict[str, Any]]] = [list(m or []) for m in frame["messages"].to_list()]
        flagged = self._source_redacted(frame)
        long = [self._too_long(messages) for messages in conversations]
        skip = [
            (flag and options.on_source_redacted != "scan") or too_long is not None
            for flag, too_long in zip(flagged, long, strict=True)
        ]
        languages = frame["language"].to_list() if "language" in frame.columns else [None] * frame.height
        sides = SideColumns(frame)
        batch = batch_requests(
            conversations, sides.texts, skip, languages, frozenset(options.roles), options.ner_roles()
        )
        by_row = batch.by_row(analyser.findings(batch.requests))
        self._languages.update(batch.languages)
        reasons: list[str | None] = [
            "source_redacted" if flagged[row] and options.on_source_redacted == "drop" else None
            for row in range(frame.height)
        ]
        details: list[str | None] = [None] * frame.height
        for row, too_long in enumerate(long):
            if too_long is not None:
                reasons[row], details[row] = too_long
        shared = linked_values(frame, conversations, batch.texts, by_row)
        for row in sorted(set(by_row) | {linked for linked in shared if not skip[linked]}):
            turns, own = by_row.get(row, {}), batch.texts[row]
            first_side = batch.first_side(row, len(sides.texts[row]))
            findings = [turns.get(i, ()) for i in range(len(own))]
            scrubbed = scrubber.scrub(own, findings, shared.get(row), sides.closed(row, first_side))
            if not scrubbed.entities:
                continue
            in_messages = sum(scrubbed.per_text[:first_side], Counter[str]())
            sides.found(row, scrubbed.per_text[first_side:])
            self._entities.update(in_messages)
            self._counts["conversations_with_pii"] += 1
            self._counts["echoes"] += scrubbed.echoes
            if options.action == "drop":
                reasons[row] = "pii:" + next(e for e in options.entities if scrubbed.entities[e])
                details[row] = ",".join(f"{e}={scrubbed.entities[e]}" for e in sorted(scrubbed.entities))
                self._counts["drop"] += 1
                continue
            self._counts[options.action] += in_messages.total()
            if first_side:
                conversations[row] = [
                    {"role": message["role"], "content": text}
                    for message, text in zip(conversations[row], scrubbed.texts[:first_side], strict=True)
                ]
            sides.apply(row, scrubbed.texts[first_side:], scrubbed.per_text[first_side:], scrubber.pseudonym)
        self._count(frame.height - sum(skip), batch, sides, sum(flagged))
        return frame.with_columns(
            messages=pl.Series("messages", conversations, dtype=schema.MESSAGES),
            **sides.columns(),
            reason=pl.Series("reason", reasons, dtype=pl.String),
            detail=pl.Series("detail", details, dtype=pl.String),
        )

    def _too_long(self, messages: list[dict[str, Any]]) -> tuple[str, str] | None:
        """``(reason, detail)`` when a scanned message is longer than ``max_chars``."""
        limit, roles = self.options.max_chars, self.options.roles
        if limit is None:
            return None
        for message in messages:
            size = len(message["content"] or "")
            if size > limit and message["role"] in roles:
                return f"too_long:{message['role']}", f"{size:,} characters > max_chars {limit:,}"
        return None

    def _count(self, scanned: int, batch: Batch, sides: SideColumns, flagged: int) -> None:
        self._counts.update(
            conversations_scanned=scanned,
            messages_scanned=batch.messages_scanned,
            chars_scanned=batch.chars_scanned,
            source_redacted=flagged,
            pseudonyms=sides.pseudonyms,
        )
        for column, counts in sides.counts.items():
            self._columns.setdefault(column, ColumnCounts()).add(counts)

    def _source_redacted(self, frame: pl.DataFrame) -> list[bool]:
        if "meta" not in frame.columns or frame.height == 0:
            return [False] * frame.height
        path = "$." + ".".join(self.options.redacted_field.split(".")[1:])
        flags = frame.select(
            pl.col("meta").str.json_path_match(path).str.to_lowercase().is_in(TRUE_VALUES).fill_null(False)
        )
        return [bool(flag) for flag in flags.to_series().to_list()]

    def report(self) -> PiiReport:
        options, counts = self.options, self._counts
        analyser = self._analyser
        return PiiReport(
            entities=dict(sorted(self._entities.items())),
            actions={options.action: counts[options.action]} if counts[options.action] else {},
            conversations_with_pii=counts["conversations_with_pii"],
            conversations_scanned=counts["conversations_scanned"],
            messages_scanned=counts["messages_scanned"],
            chars_scanned=counts["chars_scanned"],
            texts_analysed=analyser.analysed if analyser else 0,
            texts_reused=analyser.cached if analyser else 0,
            echoes_removed=counts["echoes"],
            replacements_per_1k_chars=density(self._entities.total(), counts["chars_scanned"]),
            warning=warning(self._entities.total(), counts["chars_scanned"]),
            source_redacted=SourceRedacted(seen=counts["source_redacted"], policy=options.on_source_redacted),
            action=options.action,
            entity_types=list(options.entities),
            score_threshold=options.thresholds(),
            roles=list(options.roles),
            ner_on=sorted(options.ner_roles()),
            model=options.models.get("en", options.model),
            models=options.ner_models(),
            ner_languages=self._ner_languages(True),
            no_ner_languages=self._ner_languages(False),
            columns={
                column: ColumnReport(
                    values=counts.values,
                    changed=counts.changed,
                    entities=dict(sorted(counts.entities.items())),
                )
                for column, counts in sorted(self._columns.items())
            },
            hash_key=(
                ("environment" if self._key_from_environment else "seed")
                if options.action == "hash" or counts["pseudonyms"]
                else None
            ),
        )

    def _ner_languages(self, with_ner: bool) -> dict[str, int]:
        models = self.options.ner_models()
        counts = sorted(self._languages.items())
        return {code: turns for code, turns in counts if (code in models or code == "und") == with_ner}

    @classmethod
    def card_section(cls, report: PiiReport) -> str:
        if report.ner_on:
            detection = (
                "Detection used presidio's pattern recognizers on every scanned turn and spaCy named-entity"
                f" recognition on {' and '.join(report.ner_on)} turns."
            )
        else:
            detection = (
                "Detection used presidio's pattern recognizers only (named-entity recognition was off)."
            )
        found = (
            f"{plural(report.conversations_with_pii, 'conversation')} held personal data that was scrubbed."
        )
        return paragraphs(
            f"{found} {detection}",
            describe_languages(
                report.ner_languages or {}, report.no_ner_languages or {}, report.models or {}
            ),
            "Entities found, by type (counts only: no value is ever recorded):\n\n"
            + mapping_table(report.entities, "entity type", "found"),
            "What was done with them:\n\n" + mapping_table(report.actions, "action", "entities"),
            _columns_section(report.columns),
            report_tables(
                report.model_dump(
                    exclude={"entities", "actions", "conversations_with_pii", "ner_on", "columns", *LANGUAGES}
                )
            ),
        )


def _columns_section(columns: dict[str, ColumnReport] | None) -> str | None:
    if not columns:
        return None
    rows = [
        (
            code(name),
            column.values,
            ", ".join(f"{entity} {count:,}" for entity, count in column.entities.items()) or "none",
            column.changed,
        )
        for name, column in columns.items()
    ]
    return (
        "Outside the messages (keys holding personal data were replaced whole by a keyed pseudonym,"
        " `pii-<hash>`; model and meta strings were rewritten in place):\n\n"
        + table(["column", "strings scanned", "found", "rewritten"], rows, align="lrlr")
    )
