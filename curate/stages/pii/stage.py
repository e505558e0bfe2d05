"""The ``pii`` stage itself: options mapped to ``curate.pii``'s analyser and scrubber, counted."""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from curate import schema
from curate.pii.batch import Batch, batch_requests
from curate.pii.density import density, warning
from curate.pii.fields import ColumnCounts, SideColumns
from curate.pii.links import linked_values
from curate.stages.base import FilterStage, register
from curate.stages.pii.options import PiiOptions
from curate.stages.pii.report import ColumnReport, PiiReport, SourceRedacted, card_section

if TYPE_CHECKING:
    from curate.pii.actions import Scrubber
    from curate.pii.engine import EngineSpec
    from curate.pii.pool import Analyser

TRUE_VALUES: Final = ("true", "1", "yes")


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
        return card_section(report)
