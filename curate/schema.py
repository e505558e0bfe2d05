"""The canonical columns and their polars dtypes, in one place.

Readers produce **conversations**; the ``pairs`` stage produces **pairs**. Columns whose
name starts with an underscore are working columns shared between stages (for example
``_split``); writers drop them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, get_args

import polars as pl

Role = Literal["system", "user", "assistant"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
ConsentValue = Literal["granted", "withheld", "unknown"]
"""A record's ``consent``: what its owner agreed to, as its source or its input says."""
Outcome = Literal["win", "loss", "tie", "both_bad"]
"""``signal.outcome``: an arena vote, from the side's point of view."""
Thumb = Literal["up", "down"]
"""``signal.thumbs``: a user's thumb up or down on the reply."""
Label = Literal["chosen", "rejected"]
"""``signal.label``: the side a preference record put the reply on."""

MESSAGE: Final = pl.Struct({"role": pl.String, "content": pl.String})
MESSAGES: Final = pl.List(MESSAGE)
SIGNAL: Final = pl.Struct(
    {
        "outcome": pl.String,
        "rank": pl.Int64,
        "score": pl.Float64,
        "thumbs": pl.String,
        "label": pl.String,
    }
)
TIMESTAMP: Final = pl.Datetime("us", "UTC")

CONVERSATION: Final[dict[str, pl.DataType]] = {
    "id": pl.String(),
    "source": pl.String(),
    "messages": MESSAGES,
    "model": pl.String(),
    "language": pl.String(),
    "license": pl.String(),
    "consent": pl.String(),
    "user": pl.String(),
    "created_at": TIMESTAMP,
    "group": pl.String(),
    "prompt_cluster": pl.String(),
    "signal": SIGNAL,
    "meta": pl.String(),
}

PAIR: Final[dict[str, pl.DataType]] = {
    "prompt": MESSAGES,
    "chosen": MESSAGES,
    "rejected": MESSAGES,
    "score_chosen": pl.Float64(),
    "score_rejected": pl.Float64(),
    "strategy": pl.String(),
    "source": pl.String(),
    "license": pl.String(),
    "language": pl.String(),
    "chosen_id": pl.String(),
    "rejected_id": pl.String(),
    "id": pl.String(),
}

REJECT_COLUMNS: Final[dict[str, pl.DataType]] = {
    "stage": pl.String(),
    "reason": pl.String(),
    "detail": pl.String(),
}

READ_REJECT: Final[dict[str, pl.DataType]] = {
    "source": pl.String(),
    "file": pl.String(),
    "line": pl.Int64(),
    "stage": pl.String(),
    "reason": pl.String(),
    "detail": pl.String(),
    "raw": pl.String(),
}

RAW_KEYS: Final = {"id": "_raw_id", "user": "_raw_user"}
"""Working columns the ``pii`` stage fills with an ``id`` or ``user`` it replaced by a pseudonym
(null where it replaced nothing), so that opt-out lists, which name the source's values,
still match after it (``source_value``)."""

Kind = Literal["conversations", "pairs"]
FormatVariant = Literal["conversational", "standard", "kto"]
"""``output.format_variant``: how the data files hold the pairs (``curate.writers.variants``).

``conversational``: TRL's conversational preference format (the pairs as the stages made them);
``standard``: TRL's standard preference format, ``prompt`` / ``chosen`` / ``rejected`` as strings;
``kto``: TRL's unpaired preference format, one reply a row with ``completion`` and ``label``."""

MESSAGE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "pairs": ("prompt", "chosen", "rejected"),
    "conversations": ("messages",),
}
"""The columns of each kind that hold message lists (what a PII scan or a preview reads)."""


def source_value(column: str, columns: Iterable[str]) -> pl.Expr:
    """``column`` as the source had it: the ``RAW_KEYS`` working column where one is set.

    >>> frame = pl.DataFrame({"id": ["pii-1", "b"], "_raw_id": ["a@example.org", None]})
    >>> frame.select(source_value("id", frame.columns)).to_series().to_list()
    ['a@example.org', 'b']
    """
    raw = RAW_KEYS.get(column)
    return pl.coalesce(raw, column).alias(column) if raw in set(columns) else pl.col(column)


def kind_of(frame: pl.DataFrame) -> Kind:
    """Tell whether ``frame`` holds conversations or pairs, by its columns."""
    return "pairs" if "chosen" in frame.columns and "rejected" in frame.columns else "conversations"


def columns_for(kind: Kind) -> dict[str, pl.DataType]:
    return dict(CONVERSATION if kind == "conversations" else PAIR)


def empty(kind: Kind = "conversations") -> pl.DataFrame:
    """An empty frame with the canonical columns of ``kind``."""
    return pl.DataFrame(schema=columns_for(kind))


def conversations(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Build a conversations frame from row dicts; missing keys become null.

    >>> conversations([{"id": "a", "source": "s", "messages": [{"role": "user", "content": "hi"}]}]).shape
    (1, 13)
    """
    return pl.DataFrame(list(rows), schema=CONVERSATION, strict=False)


def pairs(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Build a pairs frame from row dicts; missing keys become null."""
    return pl.DataFrame(list(rows), schema=PAIR, strict=False)


def conform(frame: pl.DataFrame, kind: Kind | None = None) -> pl.DataFrame:
    """Cast ``frame`` to the canonical columns of its kind, in canonical order.

    Missing canonical columns are added as nulls; working columns (``_name``) and any
    other extra columns are kept after the canonical ones.
    """
    columns = columns_for(kind or kind_of(frame))
    missing = [
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in columns.items() if name not in frame.columns
    ]
    if missing:
        frame = frame.with_columns(missing)
    casts = [pl.col(name).cast(dtype) for name, dtype in columns.items() if frame.schema[name] != dtype]
    if casts:
        frame = frame.with_columns(casts)
    extra = [name for name in frame.columns if name not in columns]
    return frame.select([*columns, *extra])


def public_columns(frame: pl.DataFrame) -> list[str]:
    """The columns a writer publishes: everything but the ``_working`` ones."""
    return [name for name in frame.columns if not name.startswith("_")]


def split_order(name: str) -> tuple[int, str]:
    """``train`` first, then ``validation``, then ``test``, then anything else by name.

    >>> sorted(["test", "extra", "train"], key=split_order)
    ['train', 'test', 'extra']
    """
    order = {"train": 0, "validation": 1, "test": 2}
    return (order.get(name, 3), name)


def by_split(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The published columns of ``frame`` by its ``_split`` column (all ``train`` without one)."""
    columns = public_columns(frame)
    if "_split" not in frame.columns:
        return {"train": frame.select(columns)}
    names = sorted(frame["_split"].unique().to_list(), key=split_order)
    return {name: frame.filter(pl.col("_split") == name).select(columns) for name in names}
