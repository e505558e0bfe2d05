"""What the ``pii`` stage reports (counts only: never a value) and how the card tells it."""

from __future__ import annotations

from typing import Final, Literal, Self

from pydantic import Field

from curate.markdown import code, mapping_table, paragraphs, plural, report_tables, table
from curate.pii.density import density, warning
from curate.pii.entities import Action
from curate.pii.modes import describe_languages
from curate.schema import Role
from curate.stages.base import StageReport
from curate.stages.pii.options import SourceRedactedPolicy

LANGUAGES: Final = ("ner_languages", "no_ner_languages")
"""Report fields counting turns by language, told in the card's sentence (``describe_languages``)."""


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


def card_section(report: PiiReport) -> str:
    """The card's section on the stage: what was found, how, and what was done with it."""
    if report.ner_on:
        detection = (
            "Detection used presidio's pattern recognizers on every scanned turn and spaCy named-entity"
            f" recognition on {' and '.join(report.ner_on)} turns."
        )
    else:
        detection = "Detection used presidio's pattern recognizers only (named-entity recognition was off)."
    found = f"{plural(report.conversations_with_pii, 'conversation')} held personal data that was scrubbed."
    return paragraphs(
        f"{found} {detection}",
        describe_languages(report.ner_languages or {}, report.no_ner_languages or {}, report.models or {}),
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
