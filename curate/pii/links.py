"""Rows that may end up on the two sides of one pair share what is removed from them.

``pairs`` groups replies by the source's ``group``, else dedup's ``prompt_cluster``, else
the exact first user turn (``curate.pairing.pairer.group_key``). When one reply repeats the
user's name and gets it removed while its sibling keeps a word the other lost, the pair
differs by a placeholder that DPO learns. ``linked_values`` gives each row of a batch the
values found in every row it is linked to, so both sides lose the same words. Rows in
different batches of one run are not linked (the runner batches rows for memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from curate.pii.actions import Values
    from curate.pii.entities import Finding


def link_keys(frame: pl.DataFrame, conversations: Sequence[Sequence[dict[str, Any]]]) -> list[str]:
    """The key that links each row to the others ``pairs`` may pair it with."""
    columns = frame.columns
    sources = frame["source"].to_list() if "source" in columns else [None] * frame.height
    groups = frame["group"].to_list() if "group" in columns else [None] * frame.height
    clusters = frame["prompt_cluster"].to_list() if "prompt_cluster" in columns else [None] * frame.height
    keys = []
    for row, messages in enumerate(conversations):
        if groups[row] is not None:
            keys.append(f"group\0{sources[row]}\0{groups[row]}")
        elif clusters[row] is not None:
            keys.append(f"cluster\0{clusters[row]}")
        else:
            prompt = next((m["content"] for m in messages if m["role"] == "user" and m["content"]), None)
            keys.append(f"prompt\0{prompt}" if prompt is not None else f"row\0{row}")
    return keys


def linked_values(
    frame: pl.DataFrame,
    conversations: Sequence[Sequence[dict[str, Any]]],
    texts: Sequence[Sequence[str]],
    by_row: dict[int, dict[int, tuple[Finding, ...]]],
) -> dict[int, Values]:
    """For every row linked to a row with findings, the values of all rows it is linked to.

    ``texts[row]`` are the texts ``by_row[row]`` indexes: the row's turns, then its strings
    outside the messages (``curate.pii.fields``), whose values are shared alike."""
    from curate.pii.actions import conversation_values, share_values

    values = {}
    for row, found in by_row.items():
        own = texts[row]
        values[row] = conversation_values(own, [found.get(index, ()) for index in range(len(own))])
    return share_values(link_keys(frame, conversations), values)
