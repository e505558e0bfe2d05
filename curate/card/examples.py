"""Example rows for the card, taken only from the published (scrubbed) output.

Rows are shown only when the run had a ``pii`` stage, and a row is skipped when the residual
scan of structured PII (``curate.pii.scan.scan_structured``) finds anything in its messages
or in the values its heading shows (id, model...), or when a message holds a long run of
digits. The stage and the scan find phone numbers of an unmistakable shape
(``(415) 555-0132``, ``+44 20 7946 0958``) anywhere, but a bare digit group (``415 555 0132``,
``4155550132``) only next to a context word such as "call": treating every such run as PII
would mangle code, ids and figures in the data, while a card showing three rows out of fifty
can pass over them at no cost. Rejects are never read. Each message is cut short; the rows
are the first of the first split, one per strategy first, so the choice is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from curate.markdown import code, fenced
from curate.schema import MESSAGE_COLUMNS

Scanner = Callable[[Iterable[str]], dict[str, int]]
EXAMPLES = 3
CANDIDATES = 50
MAX_CHARS = 400
LABELS = ("id", "strategy", "source", "license", "language", "model", "label")
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    **MESSAGE_COLUMNS,
    "standard": ("prompt", "chosen", "rejected"),
    "kto": ("prompt", "completion"),
}
"""The columns shown of a row, by what a row is (``CardSource.layout``): lists of messages, or
strings in the ``standard`` variant."""
NUMBER_LIKE = re.compile(r"(?:\d[\s().+/-]*){7,}")
"""Seven or more digits with only phone or card punctuation between them."""


def default_scanner() -> Scanner | None:
    """The pii module's residual scanner, or None when this install has none."""
    try:
        from curate.pii.scan import scan_structured
    except ImportError:
        return None
    return scan_structured


def pick_examples(
    head: pl.DataFrame, kind: str, scanner: Scanner, count: int = EXAMPLES
) -> tuple[list[dict[str, Any]], int]:
    """Up to ``count`` rows of ``head`` that pass both checks; also how many failed them.

    ``kind`` is what a row is: ``pairs``, ``conversations``, ``standard`` or ``kto``.
    """
    clean = []
    for row in head.to_dicts():
        texts = [text for column in TEXT_COLUMNS[kind] for _, text in _turns(row.get(column))]
        labels = [str(row[name]) for name in LABELS if row.get(name) is not None]
        if not any(NUMBER_LIKE.search(text) for text in texts) and not any(scanner(texts + labels).values()):
            clean.append(row)
    flagged = head.height - len(clean)
    if "strategy" in head.columns:
        seen: set[Any] = set()
        first: list[dict[str, Any]] = []
        rest: list[dict[str, Any]] = []
        for row in clean:
            (rest if row["strategy"] in seen else first).append(row)
            seen.add(row["strategy"])
        clean = first + rest
    return clean[:count], flagged


def examples_section(head: pl.DataFrame, kind: str, scrubbed: bool, scanner: Scanner | None) -> str:
    """The body of the Examples section."""
    if not scrubbed:
        return (
            "No example rows are shown: the run had no `pii` stage, so the rows were not scrubbed of"
            " personal data."
        )
    if scanner is None:
        return "No example rows are shown: this install has no residual PII scanner to check them with."
    if head.is_empty():
        return "The output is empty."
    rows, flagged = pick_examples(head, kind, scanner)
    blocks = [
        f"The first rows of the first split{', one per strategy' if 'strategy' in head.columns else ''};"
        f" each message is cut at {MAX_CHARS} characters."
    ]
    if flagged:
        blocks.append(
            f"{flagged} candidate rows were passed over: the residual PII scan flagged them, or they hold"
            " long digit sequences (possible phone, card or account numbers)."
        )
    for number, row in enumerate(rows, start=1):
        blocks.append(_render(number, row, kind))
    return "\n\n".join(blocks)


def _render(number: int, row: dict[str, Any], kind: str) -> str:
    labels = ", ".join(f"{name} {code(str(row[name]))}" for name in LABELS if row.get(name) is not None)
    parts = [f"**Example {number}** ({labels})"]
    for column in TEXT_COLUMNS[kind]:
        value = row.get(column)
        if isinstance(value, str):
            text = _cut(value)
        else:
            text = "\n\n".join(f"[{role}] {_cut(content)}" for role, content in _turns(value))
        parts.append(f"{column}:\n\n{fenced(text, 'text')}")
    return "\n\n".join(parts)


def _turns(value: Any) -> list[tuple[str, str]]:
    """A column's text as ``(role, content)``: a list of messages, or a string (no role)."""
    if isinstance(value, str):
        return [("", value)]
    return [(m["role"], m["content"] or "") for m in value or []]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS].rstrip() + " [...]"
