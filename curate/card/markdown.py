"""Markdown building blocks for the card: tables, fenced blocks, numbers and words.

Table cells are escaped so that a license name or a reason code cannot break the table or
inject HTML; fenced blocks grow their fence past any backtick run in the text they hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
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
