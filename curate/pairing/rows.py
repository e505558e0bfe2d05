"""The rows the ``pairs`` stage writes: one per pair, or one per labelled reply (``kto``).

A pair's row carries both sides' ids, the combination of their licenses, and the prompt
cluster (``_prompt_cluster``) that ``split`` and ``decontaminate`` use. A labelled reply's row
has the same columns with one side empty: the reply is ``chosen`` when desirable, else
``rejected``; its license, source and language are its own conversation's.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from curate import schema
from curate.licensing import combine_licenses
from curate.pairing.pairer import Pair
from curate.pairing.sides import as_messages
from curate.pairing.unpaired import FROM_PAIRS, LabelledReply


def pairs_frame(pairs: list[Pair], conversations: pl.DataFrame, judges: dict[str, str]) -> pl.DataFrame:
    rows = [_pair_row(pair) for pair in pairs]
    frame = schema.pairs(rows)
    if judges:
        frame = frame.with_columns(
            judge=pl.Series([judges.get(pair.strategy) for pair in pairs], dtype=pl.String)
        )
    frame = frame.with_columns(_prompt_cluster=pl.Series([pair.cluster for pair in pairs], dtype=pl.String))
    if "_split" in conversations.columns:
        splits = conversations["_split"]
        frame = frame.with_columns(
            _split=pl.Series([splits[pair.candidate.chosen.index] for pair in pairs], dtype=pl.String)
        )
    return frame


def replies_frame(
    replies: list[LabelledReply], conversations: pl.DataFrame, judges: dict[str, str]
) -> pl.DataFrame:
    """A ``kto`` output: one row per reply, on the chosen side when desirable, else the rejected."""
    frame = schema.pairs([_reply_row(reply) for reply in replies])
    if judges:
        frame = frame.with_columns(
            judge=pl.Series(
                [judges.get(reply.strategy) if reply.evidence == FROM_PAIRS else None for reply in replies],
                dtype=pl.String,
            )
        )
    frame = frame.with_columns(
        _prompt_cluster=pl.Series([reply.cluster for reply in replies], dtype=pl.String)
    )
    if "_split" in conversations.columns:
        splits = conversations["_split"]
        frame = frame.with_columns(
            _split=pl.Series([splits[reply.side.index] for reply in replies], dtype=pl.String)
        )
    return frame


def _reply_row(reply: LabelledReply) -> dict[str, Any]:
    side, turns = reply.side, as_messages(reply.reply)
    mine, other = ("chosen", "rejected") if reply.desirable else ("rejected", "chosen")
    return {
        "prompt": as_messages(reply.prompt),
        mine: turns,
        other: None,
        f"score_{mine}": reply.score,
        "strategy": reply.strategy,
        "source": side.source,
        "license": combine_licenses([side.license]),
        "language": side.language,
        f"{mine}_id": side.id,
        "id": reply.id,
    }


def _pair_row(pair: Pair) -> dict[str, Any]:
    chosen, rejected = pair.candidate.chosen, pair.candidate.rejected
    return {
        "prompt": as_messages(pair.prompt),
        "chosen": as_messages(pair.chosen),
        "rejected": as_messages(pair.rejected),
        "score_chosen": pair.candidate.score_chosen,
        "score_rejected": pair.candidate.score_rejected,
        "strategy": pair.strategy,
        "source": "+".join(sorted({chosen.source, rejected.source})),
        "license": combine_licenses([chosen.license, rejected.license]),
        "language": chosen.language or rejected.language,
        "chosen_id": chosen.id,
        "rejected_id": rejected.id,
        "id": pair.id,
    }
