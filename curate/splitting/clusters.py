"""Prompt clusters across rows, and a seeded assignment of whole clusters to a split.

Rows are linked when they share any key: dedup's prompt cluster, the source's group, or
the exact prompt. Linked rows form one component, and a component goes to one split whole,
so neither a prompt nor a near-duplicate of it can sit on both sides of a train/test split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from curate.dedup.arrays import Int64s
from curate.dedup.hashing import string_code
from curate.dedup.joining import IN_PROCESS, Joiner, parts_by_first_row
from curate.pairing.sides import prompt_key, seeded_order, split_reply, turns_of

CHOICE_CHUNK = 1 << 16
"""Components ``choose_test`` walks as Python numbers at a time (the rest stay in arrays)."""


def components(
    keys_per_row: Sequence[Sequence[str]], joiner: Joiner = IN_PROCESS
) -> tuple[Int64s, list[str]]:
    """``(component of each row, name of each component)`` for rows linked by shared keys,
    numbered in the order of each component's first row.

    A component's name is the smallest key in it, so it does not depend on row order. The
    keys are joined as 64-bit codes (``string_code``, as pairs' links are) by ``joiner``: in
    this process by default, on a cluster when the executor gives one. Two keys with one code
    (about one chance in 10^7 at 10^6 distinct keys) join their components: a larger one,
    still on one side, so no key is ever on both.

    >>> component, names = components([["a"], ["b", "c"], ["c"], ["a"]])
    >>> component.tolist(), names
    ([0, 1, 1, 0], ['a', 'b'])
    """
    counts = np.fromiter((len(keys) for keys in keys_per_row), dtype=np.int64, count=len(keys_per_row))
    if counts.size and not counts.all():
        raise ValueError("every row needs at least one cluster key")
    codes = np.fromiter(
        (string_code(key) for keys in keys_per_row for key in keys), dtype=np.uint64, count=int(counts.sum())
    )
    rows = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    component = parts_by_first_row(counts.size, rows, codes, joiner)
    del rows, codes
    names: list[str | None] = [None] * (int(component.max()) + 1 if component.size else 0)
    for number, keys in zip(component.tolist(), keys_per_row, strict=True):
        smallest = min(keys)
        named = names[number]
        if named is None or smallest < named:
            names[number] = smallest
    return component, cast(list[str], names)


def choose_test(sizes: Sequence[int] | Int64s, names: Sequence[str], target: int, seed: int) -> set[int]:
    """Components for the test split: a seeded order of components, each taken if it brings the
    test rows closer to ``target``.

    The order depends on the seed and the component names only, so adding data moves few
    clusters. The result misses ``target`` by at most the largest component.
    """
    ranks = np.fromiter((seeded_order(seed, name) for name in names), dtype=np.uint64, count=len(names))
    order = np.argsort(ranks, kind="stable")
    ranked = ranks[order]
    if ranked.size > 1 and bool(np.any(ranked[1:] == ranked[:-1])):
        # Two names with one rank go by name, as a sort on (rank, name) orders them.
        order = np.array(sorted(range(len(names)), key=lambda c: (int(ranks[c]), names[c])), dtype=np.int64)
    in_order = np.asarray(sizes, dtype=np.int64)[order]
    chosen: set[int] = set()
    rows = 0
    for start in range(0, order.size, CHOICE_CHUNK):
        stop = start + CHOICE_CHUNK
        for component, size in zip(order[start:stop].tolist(), in_order[start:stop].tolist(), strict=True):
            if abs(rows + size - target) < abs(rows - target):
                chosen.add(component)
                rows += size
    return chosen


def pair_keys(prompt: list[dict[str, str]] | None, cluster: str | None) -> list[str]:
    """The keys that link a pair: its prompt cluster and its exact prompt."""
    keys = [prompt_key(turns_of(prompt))]
    return [cluster, *keys] if cluster else keys


def conversation_keys(
    messages: list[dict[str, str]] | None, cluster: str | None, source: str | None, group: str | None
) -> list[str]:
    """The keys that link a conversation: dedup's cluster, the source's group, the exact prompt."""
    turns = turns_of(messages)
    prompt, _ = split_reply(turns)
    keys = [prompt_key(prompt or turns)]
    if group is not None:
        keys.append(f"group:{source}:{group}")
    return [cluster, *keys] if cluster else keys
