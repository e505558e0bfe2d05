"""The residual PII scan of ``curate publish``: every string of every data file it would upload.

Parquet and JSON Lines files alike (both are uploaded), every column, at any depth: message
contents, ids, ``meta`` (opened as the ``pii`` stage opens it, ``curate.pii.fields.strings``)
and anything a hand-edited file added. The scanner is the pii stage's own pattern detector
(``curate.pii.scan.scan_structured``). Each distinct string of a column of a file is scanned
once, and findings are counted per file and column, so a refusal can say where they are and
give the advice that fits: the ``pii`` stage scrubs messages and the side columns
(``curate.pii.fields.SIDE_COLUMNS``), but it cannot fix a ``source`` or a ``license`` column.
Nothing here quotes a value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import orjson
import polars as pl

from curate.card.examples import Scanner
from curate.errors import PublishError
from curate.pii.fields import SIDE_COLUMNS, strings
from curate.schema import MESSAGE_COLUMNS

OPENED: Final = ("meta",)
"""Columns whose values are JSON documents, searched string by string as the stage does."""
MESSAGES: Final = frozenset({*(name for names in MESSAGE_COLUMNS.values() for name in names), "completion"})
"""Columns of message text (``completion``: a ``kto`` output's reply)."""
SCRUBBED: Final = frozenset({*SIDE_COLUMNS, "chosen_id", "rejected_id", "completion_id"})
"""Columns the pii stage rewrites (``chosen_id`` / ``rejected_id`` / ``completion_id`` are
conversation ids that ``pairs`` copies: scrubbed when ``pii`` runs before it)."""
NOT_FIXABLE: Final = {
    "source": "it is an input's `name` in the pipeline file: rename the input",
    "judge": "it is the judge's model name in the pipeline file: name it otherwise",
    "license": "it is the license field of the input records: add a `license` stage, which drops rows whose"
    " license the registry does not know, or give the input its license with `license:`",
    "language": "it is the language field of the input records: add a `language` stage with"
    " `trust_source: false`, which sets it from the text",
}
"""Why the pii stage cannot fix a column, and what does; other columns get ``OTHER``."""
OTHER: Final = "it comes from the input records as they are: remove the values from the inputs and run again"

Findings = dict[tuple[str, str], Counter[str]]
"""(data file, column) -> entity counts."""


def column_strings(path: Path) -> Iterator[tuple[str, str]]:
    """``(column, string)`` for every string of the data file ``path``, at any depth.

    Raises ``PublishError`` for a file it cannot parse: the scan cannot vouch for it."""
    if path.suffix == ".parquet":
        try:
            frame = pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise PublishError(f"{path.name} cannot be read as Parquet ({exc})") from None
        for name in frame.columns:
            for text in _series_strings(frame.get_column(name)):
                yield from ((name, inner) for inner in _opened(name, text))
        return
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise PublishError(f"{path.name} line {number} is not valid JSON") from None
            if not isinstance(record, dict):
                raise PublishError(f"{path.name} line {number} is not a JSON object")
            for name, value in record.items():
                for text in _value_strings(value):
                    yield from ((name, inner) for inner in _opened(name, text))


def residual_texts(folder: Path, data: Iterable[str]) -> Iterator[str]:
    """Every string of the data files ``data`` (relative to ``folder``), file by file."""
    for path in data:
        yield from (text for _, text in column_strings(folder / path))


def scan_files(folder: Path, data: Iterable[str], scanner: Scanner) -> Findings:
    """Entity counts per file and column; each distinct string of a column is scanned once."""
    found: Findings = {}
    for path in data:
        by_column: dict[str, dict[str, None]] = {}
        for column, text in column_strings(folder / path):
            by_column.setdefault(column, {})[text] = None
        for column, texts in by_column.items():
            counts = Counter({kind: count for kind, count in scanner(texts).items() if count})
            if counts:
                found[(path, column)] = counts
    return found


def totals(found: Findings) -> Counter[str]:
    """Entity counts of the output: per format (the Parquet and JSON Lines files hold the same
    rows), the larger."""
    by_format: dict[str, Counter[str]] = {}
    for (path, _), counts in found.items():
        by_format.setdefault(Path(path).suffix, Counter()).update(counts)
    return Counter(
        {
            entity: max(counts[entity] for counts in by_format.values())
            for entity in set().union(*by_format.values())
        }
    )


def advice(found: Findings, scrubbed_columns: bool) -> str:
    """Where the findings are and what removes them; ``scrubbed_columns``: the run's pii stage
    searched the side columns (its report has ``columns``)."""
    groups: dict[str, dict[str, set[str]]] = {"messages": {}, "scrubbed": {}, "other": {}}
    for path, column in found:
        group = "messages" if column in MESSAGES else "scrubbed" if column in SCRUBBED else "other"
        groups[group].setdefault(column, set()).add(path)
    parts = []
    if groups["messages"]:
        parts.append(
            f"{_where(groups['messages'])}: scrub them with the `pii` stage (every role in `roles`, these"
            " entity types in `entities`, action replace, redact or hash) and run again"
        )
    if groups["scrubbed"]:
        why = (
            "the run's pii stage searched these columns, so the files were changed after the run: run the"
            " pipeline again to write them afresh"
            if scrubbed_columns
            else "the `pii` stage of this curate searches these columns too (put it before `pairs`): run the"
            " pipeline again"
        )
        parts.append(f"{_where(groups['scrubbed'])}: {why}")
    for column, paths in sorted(groups["other"].items()):
        reason = NOT_FIXABLE.get(column, OTHER)
        parts.append(f"{_where({column: paths})}: the pii stage cannot fix column `{column}`: {reason}")
    return "; ".join(parts)


def _where(columns: Mapping[str, set[str]]) -> str:
    names = ", ".join(f"`{column}`" for column in sorted(columns))
    files = sorted({path for paths in columns.values() for path in paths})
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    return f"in {'column' if len(columns) == 1 else 'columns'} {names} of {shown}"


def _series_strings(series: pl.Series) -> Iterator[str]:
    dtype = series.dtype
    if dtype == pl.String:
        yield from series.drop_nulls().to_list()
    elif isinstance(dtype, pl.List | pl.Array):
        yield from _series_strings(series.explode() if isinstance(dtype, pl.List) else series.arr.explode())
    elif isinstance(dtype, pl.Struct):
        for inner in dtype.fields:
            yield from _series_strings(series.struct.field(inner.name))


def _value_strings(value: Any) -> Iterator[str]:
    """The strings of a JSON value: strings, and the keys and values of objects at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, list):
            stack += reversed(item)
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                stack += [inner, key]


def _opened(column: str, text: str) -> list[str]:
    return [inner for inner, _ in strings(text)] if column in OPENED else [text]
