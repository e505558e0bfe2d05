"""Personal data outside the messages: the columns besides ``messages`` that a conversation keeps.

A conversation output publishes ``id``, ``group``, ``prompt_cluster``, ``user``, ``model`` and
``meta`` beside the messages, and any of them can carry what a person typed or was known by:
an e-mail used as a record id or user key, a name in ``model``, contact fields kept in
``meta``. Each column is searched in the way its values call for:

================  ================================================  =======================
column            searched with                                     rewritten
================  ================================================  =======================
id, group,        ``key``: the pattern recognizers (e-mail, phone,  whole, into a pseudonym
prompt_cluster    card, SSN, IP, IBAN) and name cues, no names:     (``Scrubber.pseudonym``)
                  the name list finds "Dea" in ``dea6297a...``
user              ``field``: patterns and full names                whole, into a pseudonym
model             ``field``                                         in place, by the action
meta: keys and    ``field``; a value of ``PROSE_WORDS`` words or    in place, by the action
string values at  more is ``prose``, searched as a user turn is
any depth         (with NER where it reads as English)
================  ================================================  =======================

``field`` runs the name list without NER and keeps a PERSON finding only when it spans two
words or more: a short field has no context to tell "Samantha-7b" (a model) or "Virginia" (a
state) from a person, while "Emily Carter" in a model or user column is a full name. NER is
not run on short fields at all: on such values it finds as many places as people.

``strings(meta)`` lists the strings of a ``meta`` JSON document in a fixed order (each key,
then its value; string values that hold JSON are opened and listed inside), and
``rewrite(meta, texts)`` puts texts back in that order. Only what changed is re-serialised,
so a document with nothing found stays byte for byte as it was. Numbers, booleans and nulls
are left alone. A document nested deeper than ``MAX_DEPTH`` levels is searched as one text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import orjson
import polars as pl

from curate.pii.entities import Finding
from curate.pii.modes import NAMES_NO_NER, PATTERNS, name_mode
from curate.schema import RAW_KEYS

Search = Literal["key", "field", "prose"]
KEY_COLUMNS: Final = ("id", "group", "prompt_cluster", "user")
"""Columns whose values are keys: one that holds personal data is replaced whole by a pseudonym."""
TEXT_COLUMNS: Final = ("model", "meta")
"""Columns rewritten in place by the stage's action."""
SIDE_COLUMNS: Final = tuple(sorted(KEY_COLUMNS + TEXT_COLUMNS))
SEARCH: Final[dict[str, Search]] = {
    "id": "key",
    "group": "key",
    "prompt_cluster": "key",
    "user": "field",
    "model": "field",
}
CLOSED_COLUMNS: Final = ("model",)
"""Columns that lose only what is found in them, never an echo of a value found elsewhere: a
model name is a product's ("Samantha-7b"), whatever name a turn revealed."""
PROSE_WORDS: Final = 4
MAX_DEPTH: Final = 100


@dataclass(frozen=True)
class SideText:
    """One string of a row outside its messages, and how to search it."""

    column: str
    text: str
    search: Search


def search_mode(search: Search, names: bool, language: str | None) -> int:
    """The analyser's mode (``curate.pii.modes``) for a side string; ``names`` is False when
    the stage searches no names (``ner_on: []``)."""
    if search == "key" or not names:
        return PATTERNS
    return NAMES_NO_NER if search == "field" else name_mode(True, language)


@dataclass
class ColumnCounts:
    """What was scanned, found and rewritten in one side column."""

    values: int = 0
    changed: int = 0
    entities: Counter[str] = field(default_factory=Counter)

    def add(self, other: ColumnCounts) -> None:
        self.values += other.values
        self.changed += other.changed
        self.entities.update(other.entities)


class SideColumns:
    """The side strings of a batch of rows, and their columns rewritten from the scrubbed texts."""

    def __init__(self, frame: pl.DataFrame) -> None:
        present = [column for column in SIDE_COLUMNS if column in frame.columns]
        self.values = {column: frame[column].to_list() for column in present}
        self.raw = {
            column: frame[raw].to_list() if raw in frame.columns else [None] * frame.height
            for column, raw in RAW_KEYS.items()
            if column in present
        }
        self.texts = [side_texts({c: self.values[c][row] for c in present}) for row in range(frame.height)]
        self.counts = {column: ColumnCounts() for column in present}
        self.pseudonyms = 0
        for row_texts in self.texts:
            for side in row_texts:
                self.counts[side.column].values += 1

    def closed(self, row: int, first: int) -> set[int]:
        """Positions of the row's strings in ``CLOSED_COLUMNS``, its side strings starting at ``first``."""
        return {first + k for k, side in enumerate(self.texts[row]) if side.column in CLOSED_COLUMNS}

    def found(self, row: int, per_text: Sequence[Counter[str]]) -> None:
        """Count the entities found in the row's side strings (``per_text`` aligned with them)."""
        for side, entities in zip(self.texts[row], per_text, strict=True):
            self.counts[side.column].entities.update(entities)

    def apply(
        self,
        row: int,
        texts: Sequence[str],
        per_text: Sequence[Counter[str]],
        pseudonym: Callable[[str], str],
    ) -> None:
        """Rewrite the row's side columns from its scrubbed strings ``texts``."""
        sides = self.texts[row]
        for side, entities in zip(sides, per_text, strict=True):
            if side.column in KEY_COLUMNS and entities:
                values = self.values[side.column]
                if side.column in self.raw:
                    self.raw[side.column][row] = self.raw[side.column][row] or values[row]
                values[row] = pseudonym(side.text)
                self.counts[side.column].changed += 1
                self.pseudonyms += 1
        current: dict[str, Any] = {c: self.values[c][row] for c in TEXT_COLUMNS if c in self.values}
        for column, value in rewritten(current, sides, texts).items():
            self.values[column][row] = value
            self.counts[column].changed += 1

    def columns(self) -> dict[str, pl.Series]:
        """The side columns and the raw-value working columns, for ``with_columns``."""
        series = {
            column: pl.Series(column, values, dtype=pl.String) for column, values in self.values.items()
        }
        for column, raw in self.raw.items():
            series[RAW_KEYS[column]] = pl.Series(RAW_KEYS[column], raw, dtype=pl.String)
        return series


def side_texts(values: dict[str, Any]) -> list[SideText]:
    """The strings of one row's side columns (``values``: column -> value), in column order."""
    found = []
    for column in SIDE_COLUMNS:
        value = values.get(column)
        if not isinstance(value, str) or not value:
            continue
        if column == "meta":
            found += [
                SideText("meta", text, "field" if key or len(text.split()) < PROSE_WORDS else "prose")
                for text, key in strings(value)
                if text.strip()
            ]
        else:
            found.append(SideText(column, value, SEARCH[column]))
    return found


def believable(side: SideText, findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The findings kept for ``side``: in a ``FIELD``, a PERSON only when it spans two words."""
    if side.search != "field":
        return tuple(findings)
    return tuple(
        finding
        for finding in findings
        if finding.entity != "PERSON" or len(side.text[finding.start : finding.end].split()) > 1
    )


def rewritten(values: dict[str, Any], sides: Sequence[SideText], texts: Sequence[str]) -> dict[str, str]:
    """New values of the text columns whose strings changed (``texts`` aligned with ``sides``)."""
    changed: dict[str, str] = {}
    model = [new for side, new in zip(sides, texts, strict=True) if side.column == "model"]
    if model and model[0] != values.get("model"):
        changed["model"] = model[0]
    meta = [(side.text, new) for side, new in zip(sides, texts, strict=True) if side.column == "meta"]
    if any(old != new for old, new in meta):
        changed["meta"] = rewrite(values["meta"], [new for _, new in meta])
    return changed


def strings(meta: str) -> list[tuple[str, bool]]:
    """Every non-empty string of ``meta`` as ``(text, is_key)``, in the order ``rewrite`` uses."""
    found: list[tuple[str, bool]] = []

    def collect(text: str, key: bool) -> str:
        if text.strip():
            found.append((text, key))
        return text

    _document(meta, collect)
    return found


def rewrite(meta: str, texts: Sequence[str]) -> str:
    """``meta`` with its strings (those ``strings`` lists, in order) replaced by ``texts``."""
    replacements: Iterator[str] = iter(texts)

    def replace(text: str, key: bool) -> str:
        return next(replacements) if text.strip() else text

    return _document(meta, replace)


Visit = Callable[[str, bool], str]


def _document(meta: str, visit: Visit) -> str:
    parsed = _json(meta, containers_only=False, depth=0)
    if parsed is _NOT_JSON:
        return visit(meta, False)
    result = _walk(parsed, visit, 0)
    return meta if result == parsed else orjson.dumps(result).decode()


def _walk(value: Any, visit: Visit, depth: int) -> Any:
    if isinstance(value, str):
        inner = _json(value, containers_only=True, depth=depth)
        if inner is _NOT_JSON:
            return visit(value, False)
        result = _walk(inner, visit, depth + 1)
        return value if result == inner else orjson.dumps(result).decode()
    if isinstance(value, list):
        return [_walk(item, visit, depth + 1) for item in value]
    if isinstance(value, dict):
        rebuilt: dict[str, Any] = {}
        for key, item in value.items():
            new_key = _unused(visit(key, True), rebuilt)
            rebuilt[new_key] = _walk(item, visit, depth + 1)
        return rebuilt
    return value


def _unused(key: str, taken: dict[str, Any]) -> str:
    """``key``, or ``key#N`` when two keys scrubbed to the same text."""
    number = 2
    candidate = key
    while candidate in taken:
        candidate = f"{key}#{number}"
        number += 1
    return candidate


_NOT_JSON: Final = object()


def _json(text: str, containers_only: bool, depth: int) -> Any:
    """``text`` parsed, or ``_NOT_JSON``; with ``containers_only``, only an object or array.

    A document that would take the walk below ``MAX_DEPTH`` levels is not opened: it is
    searched as text, which the replacements (no quotes, no backslashes) keep valid JSON."""
    stripped = text.strip()
    if containers_only and not (stripped.startswith(("{", "[")) and stripped.endswith(("}", "]"))):
        return _NOT_JSON
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NOT_JSON
    if containers_only and not isinstance(parsed, dict | list):
        return _NOT_JSON
    return _NOT_JSON if _deeper(parsed, MAX_DEPTH - depth) else parsed


def _deeper(value: Any, levels: int) -> bool:
    """True when ``value`` nests containers more than ``levels`` deep (no recursion)."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > levels:
            return True
        if isinstance(node, dict):
            stack += [(item, depth + 1) for item in node.values()]
        elif isinstance(node, list):
            stack += [(item, depth + 1) for item in node]
    return False
