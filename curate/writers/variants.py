"""The pairs as the data files hold them: ``output.format_variant``, for the trainer that reads them.

TRL names a dataset's format (conversational: lists of ``{role, content}`` messages; standard:
plain strings) and its type (preference: ``prompt``, ``chosen``, ``rejected``; unpaired
preference: ``prompt``, ``completion``, ``label``). The variants:

``conversational``  conversational preference: the rows as the stages made them (the default).
``standard``        standard preference: ``prompt`` is the text of the prompt's one user turn
                    (the ``pairs`` stage keeps no other prompt under this variant), ``chosen``
                    and ``rejected`` the text of the reply (its turns joined by a blank line
                    when it has several). No chat template is applied: the trainer's
                    tokenizer adds its own, or none for a base model.
``kto``             conversational unpaired preference: one reply a row, ``completion`` the
                    reply's turns and ``label`` true when desirable (the ``pairs`` stage gives
                    one such row per reply under this variant: a row with only ``chosen`` set
                    is desirable, one with only ``rejected`` set is not). ``score`` and
                    ``completion_id`` replace the two sides' columns; the rest stay.

``export`` is the one place a variant is applied: the writer, the manifest's list of files,
the card and ``RunResult.to_datasets`` all take what it gives. Conversations (a pipeline
without ``pairs``) are only ever written as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from curate.errors import OutputError
from curate.schema import FormatVariant

REPLY_SEPARATOR = "\n\n"
"""Between the turns of a reply of several assistant turns, in the ``standard`` variant."""
KTO_COLUMNS = ("prompt", "completion", "label", "score", "strategy", "source", "license", "language")
_SIDES = ("chosen", "rejected", "score_chosen", "score_rejected", "chosen_id", "rejected_id")


def export(frame: pl.DataFrame, variant: FormatVariant) -> pl.DataFrame:
    """``frame`` (published pairs) in ``variant``; ``OutputError`` when its rows cannot be.

    >>> from curate import schema
    >>> turn = lambda role, text: [{"role": role, "content": text}]
    >>> pairs = schema.pairs([{"prompt": turn("user", "Sky?"), "chosen": turn("assistant", "Blue."),
    ...                        "rejected": turn("assistant", "Green."), "id": "p1"}])
    >>> export(pairs, "standard").select("prompt", "chosen", "rejected").row(0)
    ('Sky?', 'Blue.', 'Green.')
    """
    if variant == "conversational":
        return frame
    if variant == "standard":
        return _standard(frame)
    return _kto(frame)


def export_splits(splits: Mapping[str, pl.DataFrame], variant: FormatVariant) -> dict[str, pl.DataFrame]:
    """Every split of ``splits`` in ``variant``."""
    return {name: export(frame, variant) for name, frame in splits.items()}


def _standard(frame: pl.DataFrame) -> pl.DataFrame:
    prompt = pl.col("prompt")
    single = (prompt.list.len() == 1) & (prompt.list.first().struct.field("role") == "user")
    _refuse_unless(frame, single, "standard", "a prompt that is not one user turn")
    return frame.with_columns(
        prompt.list.first().struct.field("content").alias("prompt"),
        *(_text(pl.col(side)).alias(side) for side in ("chosen", "rejected")),
    )


def _kto(frame: pl.DataFrame) -> pl.DataFrame:
    chosen, rejected = pl.col("chosen"), pl.col("rejected")
    _refuse_unless(frame, chosen.is_null() != rejected.is_null(), "kto", "both sides or neither")
    mapped = frame.with_columns(
        pl.coalesce(chosen, rejected).alias("completion"),
        chosen.is_not_null().alias("label"),
        pl.coalesce("score_chosen", "score_rejected").alias("score"),
        pl.coalesce("chosen_id", "rejected_id").alias("completion_id"),
    )
    rest = [name for name in frame.columns if name not in (*KTO_COLUMNS, *_SIDES, "id")]
    return mapped.select(*KTO_COLUMNS, "completion_id", "id", *rest)


def _text(messages: pl.Expr) -> pl.Expr:
    return messages.list.eval(pl.element().struct.field("content")).list.join(REPLY_SEPARATOR)


def _refuse_unless(frame: pl.DataFrame, fits: pl.Expr, variant: str, problem: str) -> None:
    misfits = frame.select((~fits).fill_null(True).sum()).item()
    if misfits:
        raise OutputError(
            f"cannot write format_variant {variant}: {misfits:,} of {frame.height:,} rows have {problem};"
            f" only a `pairs` stage run with output.format_variant: {variant} makes rows that fit it"
        )
