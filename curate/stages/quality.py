"""``quality``: drop conversations the source flagged, or whose size is out of bounds.

Checks, in this order (a row gets the first reason that applies):

1. ``drop_flagged``: flags the source set in ``meta`` (see ``curate.text.meta``), as
   ``flagged:<flag>``; the detail lists every flag set;
2. ``min_turns`` / ``max_turns``: the number of user and assistant turns (system turns do
   not count), as ``too_few_turns`` / ``too_many_turns``;
3. ``min_chars`` / ``max_chars``: the length in characters of every message of ``roles``,
   as ``too_short:<role>`` / ``too_long:<role>`` for the first message out of bounds.

By default ``redacted`` is not among the flags dropped: WildChat marks with it the records
whose personal data it replaced, which are safer to keep, not worse. ``drop_flagged: true``
drops all five flags, ``false`` none.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

import polars as pl
from pydantic import Field, model_validator

from curate.options import StageOptions
from curate.schema import Role
from curate.stages.base import CountsReport, FilterStage, RunContext, register
from curate.text.meta import FLAGS, KEYS, Flag, UnreadableMetaError, flags_of

DEFAULT_FLAGS: tuple[Flag, ...] = ("toxic", "moderation", "deleted", "review")
DEFAULT_ROLES: tuple[Role, ...] = ("user", "assistant")


class QualityOptions(StageOptions):
    """Options of the ``quality`` stage."""

    min_turns: int = Field(2, ge=0, description="Fewest user + assistant turns a conversation may have.")
    max_turns: int | None = Field(None, ge=1, description="Most user + assistant turns; unset: no limit.")
    min_chars: int = Field(1, ge=0, description="Fewest characters a message of `roles` may have.")
    max_chars: int | None = Field(None, ge=1, description="Most characters a message of `roles` may have.")
    roles: list[Role] = Field(
        default_factory=lambda: list(DEFAULT_ROLES),
        min_length=1,
        description="Whose messages `min_chars` / `max_chars` apply to.",
    )
    drop_flagged: bool | list[Flag] = Field(
        list(DEFAULT_FLAGS),
        description="Source flags that drop a record: toxic, moderation, redacted, deleted, review; "
        "true: all, false: none. Default: all but redacted.",
    )

    @model_validator(mode="after")
    def _bounds(self) -> QualityOptions:
        if self.max_turns is not None and self.max_turns < self.min_turns:
            raise ValueError(f"max_turns ({self.max_turns}) is below min_turns ({self.min_turns})")
        if self.max_chars is not None and self.max_chars < self.min_chars:
            raise ValueError(f"max_chars ({self.max_chars}) is below min_chars ({self.min_chars})")
        return self

    @property
    def flags(self) -> tuple[Flag, ...]:
        if self.drop_flagged is True:
            return FLAGS
        if self.drop_flagged is False:
            return ()
        return tuple(flag for flag in FLAGS if flag in self.drop_flagged)


class QualityReport(CountsReport):
    """Rows the source flagged, by flag, and rows whose flags could not be read (absent when zero)."""

    flag_deleted: int | None = None
    flag_moderation: int | None = None
    flag_redacted: int | None = None
    flag_review: int | None = None
    flag_toxic: int | None = None
    meta_unreadable: int | None = None


@register("quality")
class Quality(FilterStage[QualityOptions, QualityReport]):
    """Drop flagged records and conversations with too few or too many turns or characters."""

    Options = QualityOptions
    Report = QualityReport
    reasons: ClassVar[tuple[str, ...]] = (
        "flagged",
        "too_few_turns",
        "too_many_turns",
        "too_short",
        "too_long",
    )

    def __init__(self, options: QualityOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self.counts: Counter[str] = Counter()

    def reset(self) -> None:
        self.counts = Counter()

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        verdicts = [self._flag_verdict(meta) for meta in self._flag_candidates(frame)]
        size = self._size_verdicts(frame)
        reasons = [flag[0] if flag[0] else row[0] for flag, row in zip(verdicts, size, strict=True)]
        details = [flag[1] if flag[0] else row[1] for flag, row in zip(verdicts, size, strict=True)]
        return frame.with_columns(
            pl.Series("reason", reasons, dtype=pl.String),
            pl.Series("detail", details, dtype=pl.String),
        )

    def _flag_candidates(self, frame: pl.DataFrame) -> list[str | None]:
        """``meta`` of the rows that may carry a wanted flag (a cheap substring test), else None."""
        flags = self.options.flags
        if not flags:
            return [None] * frame.height
        keys = [f'"{KEYS[flag]}"' for flag in flags]
        return (
            frame.select(pl.when(pl.col("meta").str.contains_any(keys)).then(pl.col("meta")).otherwise(None))
            .to_series()
            .to_list()
        )

    def _flag_verdict(self, meta: str | None) -> tuple[str | None, str | None]:
        if meta is None:
            return None, None
        try:
            found = flags_of(meta, self.options.flags)
        except UnreadableMetaError:
            self.counts["meta_unreadable"] += 1
            return None, None
        if not found:
            return None, None
        self.counts.update(f"flag_{flag}" for flag in found)
        return f"flagged:{found[0]}", "source flags: " + ", ".join(found)

    def _size_verdicts(self, frame: pl.DataFrame) -> list[tuple[str | None, str | None]]:
        options = self.options
        turns = frame.select(
            pl.col("messages")
            .list.eval(pl.element().struct.field("role").is_in(["user", "assistant"]).sum())
            .list.first()
            .fill_null(0)
        ).to_series()
        lengths = self._first_out_of_bounds(frame)
        verdicts: list[tuple[str | None, str | None]] = []
        for count, out_of_bounds in zip(turns.to_list(), lengths, strict=True):
            if count < options.min_turns:
                verdicts.append(("too_few_turns", f"{count} turns < {options.min_turns}"))
            elif options.max_turns is not None and count > options.max_turns:
                verdicts.append(("too_many_turns", f"{count} turns > {options.max_turns}"))
            else:
                verdicts.append(out_of_bounds)
        return verdicts

    def _first_out_of_bounds(self, frame: pl.DataFrame) -> list[tuple[str | None, str | None]]:
        """Per row, the first message of ``roles`` whose length is out of bounds, as a verdict."""
        options = self.options
        messages = (
            frame.select(pl.col("messages"))
            .with_row_index("_row")
            .explode("messages")
            .with_columns(_position=pl.int_range(pl.len()).over("_row"))
            .select(
                "_row",
                "_position",
                role=pl.col("messages").struct.field("role"),
                length=pl.col("messages").struct.field("content").str.len_chars().fill_null(0),
            )
            .filter(pl.col("role").is_in(list(options.roles)))
        )
        too_long = pl.col("length") > options.max_chars if options.max_chars is not None else pl.lit(False)
        offending = (
            messages.filter((pl.col("length") < options.min_chars) | too_long)
            .group_by("_row", maintain_order=True)
            .first()
        )
        verdicts: list[tuple[str | None, str | None]] = [(None, None)] * frame.height
        for row, position, role, length in offending.iter_rows():
            if length < options.min_chars:
                verdicts[row] = (
                    f"too_short:{role}",
                    f"message {position} ({role}) has {length} chars < {options.min_chars}",
                )
            else:
                verdicts[row] = (
                    f"too_long:{role}",
                    f"message {position} ({role}) has {length} chars > {options.max_chars}",
                )
        return verdicts

    def report(self) -> QualityReport:
        return QualityReport.model_validate(self.counts)
