"""Markdown building blocks for the dataset card: tables, fenced blocks, numbers and words.

Table cells are escaped so that a license name or a reason code cannot break the table or
inject HTML; fenced blocks grow their fence past any backtick run in the text they hold.
``report_tables`` renders any stage report (counts and settings) as tables: it is what a
stage's card section shows unless the stage writes prose of its own. Stages import this
module for their ``card_section``; it imports nothing from curate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_BACKTICKS = re.compile(r"`+")


def cell(value: Any) -> str:
    """A value as the text of one table cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value)
    text = " ".join(str(value).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str | None = None) -> str:
    """A pipe table; ``align`` has one letter per column (``l`` or ``r``), numbers right by default."""
    rows = [list(row) for row in rows]
    if align is None:
        align = "".join(
            "r" if rows and all(isinstance(row[i], int | float) for row in rows) else "l"
            for i in range(len(header))
        )
    rule = ["---:" if letter == "r" else "---" for letter in align]
    lines = [
        "| " + " | ".join(cell(name) for name in header) + " |",
        "| " + " | ".join(rule) + " |",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def fenced(text: str, language: str = "") -> str:
    """``text`` in a fenced block whose fence no backtick run inside it can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def code(text: str) -> str:
    """Inline code that survives backticks inside ``text``."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def words(key: str) -> str:
    """A report key as words: ``exact_duplicates`` -> ``exact duplicates``."""
    return key.replace("_", " ")


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def report_tables(report: Mapping[str, Any]) -> str:
    """Scalars (and lists of scalars) in one table; every mapping or list of mappings in its own."""
    scalars = [(words(key), value) for key, value in report.items() if _flat(value)]
    blocks = [table(["figure", "value"], scalars)] if scalars else []
    for key, value in report.items():
        if isinstance(value, Mapping):
            blocks.append(mapping_table(value, words(key)))
        elif isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            columns = list(dict.fromkeys(name for item in value for name in item))
            rows = [[_value(item.get(name)) for name in columns] for item in value]
            blocks.append(f"**{cell(words(key))}**\n\n{table([words(c) for c in columns], rows)}")
    return "\n\n".join(blocks)


def mapping_table(mapping: Mapping[str, Any], key: str = "key", value: str = "value") -> str:
    """A two-column table; counts sort largest first, nested mappings flatten to ``a.b`` keys."""
    flat = _flatten(mapping)
    if flat and all(is_count(v) for _, v in flat):
        flat.sort(key=lambda item: (-item[1], item[0]))
    return table([key, value], flat)


def paragraphs(*blocks: str | None) -> str:
    """The non-empty blocks, a blank line between them."""
    return "\n\n".join(block for block in blocks if block)


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flat(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(item, Mapping | list) for item in value)
    return not isinstance(value, Mapping)


def _value(value: Any) -> Any:
    return value if _flat(value) else str(value)


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            items += _flatten(value, f"{name}.")
        else:
            items.append((name, _value(value)))
    return items
