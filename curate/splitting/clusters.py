"""Prompt clusters across rows, and a seeded assignment of whole clusters to a split.

Rows are linked when they share any key: dedup's prompt cluster, the source's group, or
the exact prompt. Linked rows form one component, and a component goes to one split whole,
so neither a prompt nor a near-duplicate of it can sit on both sides of a train/test split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from curate.pairing.sides import prompt_key, seeded_order, split_reply, turns_of


def components(keys_per_row: Sequence[Iterable[str]]) -> tuple[list[int], list[str]]:
    """``(component of each row, name of each component)`` for rows linked by shared keys.

    A component's name is the smallest key in it, so it does not depend on row order.

    >>> components([["a"], ["b", "c"], ["c"], ["a"]])
    ([0, 1, 1, 0], ['a', 'b'])
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:
            parent[key], key = root, parent[key]
        return root

    firsts = []
    for keys in keys_per_row:
        row_keys = list(keys)
        if not row_keys:
            raise ValueError("every row needs at least one cluster key")
        for key in row_keys:
            parent.setdefault(key, key)
        root = find(row_keys[0])
        for key in row_keys[1:]:
            other = find(key)
            if other != root:
                # The smaller key becomes the root, so a component is named by its smallest key.
                root, other = min(root, other), max(root, other)
                parent[other] = root
        firsts.append(row_keys[0])
    numbers: dict[str, int] = {}
    names: list[str] = []
    result = []
    for first in firsts:
        root = find(first)
        if root not in numbers:
            numbers[root] = len(names)
            names.append(root)
        result.append(numbers[root])
    return result, names


def choose_test(sizes: Sequence[int], names: Sequence[str], target: int, seed: int) -> set[int]:
    """Components for the test split: a seeded order of components, each taken if it brings the
    test rows closer to ``target``.

    The order depends on the seed and the component names only, so adding data moves few
    clusters. The result misses ``target`` by at most the largest component.
    """
    order = sorted(range(len(sizes)), key=lambda c: (seeded_order(seed, names[c]), names[c]))
    chosen: set[int] = set()
    rows = 0
    for component in order:
        if abs(rows + sizes[component] - target) < abs(rows - target):
            chosen.add(component)
            rows += sizes[component]
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
