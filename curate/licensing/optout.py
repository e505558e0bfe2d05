"""Opt-out lists: users and records whose owners asked to be left out.

A text file holds one entry a line (blank lines and ``#`` comments are skipped). A bare entry
matches a record whose ``user`` or ``id`` equals it; ``user:<key>`` matches users only and
``record:<id>`` records only. A Parquet file holds a ``key`` column (users or records), or
``user`` and/or ``id`` columns, with an optional ``source`` column that scopes each ``id`` to
one input.

Entries are matched exactly. Errors name the file and line, never an entry: opt-out lists
hold personal data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from curate.errors import StageError
from curate.schema import source_value

SEPARATOR = "\x1f"


@dataclass(frozen=True)
class OptOutList:
    """The entries of one opt-out file."""

    label: str
    users: frozenset[str]
    records: frozenset[str]
    scoped_records: frozenset[tuple[str, str]]
    sha256: str

    @property
    def entries(self) -> int:
        return len(self.users | self.records) + len(self.scoped_records)


def read_optout(path: Path, label: str | None = None) -> OptOutList:
    """Read one opt-out file (Parquet by suffix, text otherwise)."""
    label = label or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StageError(f"cannot read the opt-out list {label}: {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".parquet":
        return _from_parquet(path, label, digest)
    return _from_text(data, label, digest)


def _from_text(data: bytes, label: str, digest: str) -> OptOutList:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StageError(f"opt-out list {label} is not UTF-8 text (byte {exc.start})") from None
    users: set[str] = set()
    records: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        kind, _, rest = entry.partition(":")
        if kind in ("user", "record") and rest:
            (users if kind == "user" else records).add(rest.strip())
        elif kind in ("user", "record"):
            raise StageError(f"{label}:{number}: `{kind}:` must be followed by a {kind} key")
        else:
            users.add(entry)
            records.add(entry)
    return OptOutList(label, frozenset(users), frozenset(records), frozenset(), digest)


def _from_parquet(path: Path, label: str, digest: str) -> OptOutList:
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise StageError(f"cannot read the opt-out list {label} as Parquet ({type(exc).__name__})") from exc
    if not {"key", "user", "id"} & set(frame.columns):
        raise StageError(
            f"opt-out list {label} needs a `key`, `user` or `id` column (has {', '.join(frame.columns)})"
        )
    text = frame.select(pl.all().cast(pl.String))
    keys = _values(text, "key")
    users = keys | _values(text, "user")
    records = set(keys)
    scoped: set[tuple[str, str]] = set()
    if "id" in text.columns and "source" in text.columns:
        pairs = text.select("source", "id").drop_nulls("id")
        for source, identifier in pairs.iter_rows():
            if source is None:
                records.add(identifier)
            else:
                scoped.add((source, identifier))
    else:
        records |= _values(text, "id")
    return OptOutList(label, frozenset(users), frozenset(records), frozenset(scoped), digest)


def _values(frame: pl.DataFrame, column: str) -> set[str]:
    if column not in frame.columns:
        return set()
    return set(frame.get_column(column).drop_nulls().str.strip_chars().to_list()) - {""}


class OptOuts:
    """Several opt-out lists, matched against a frame; the first list naming an entry is cited."""

    def __init__(self, lists: Iterable[OptOutList]) -> None:
        self.lists = tuple(lists)
        self.users: dict[str, str] = {}
        self.records: dict[str, str] = {}
        self.scoped: dict[str, str] = {}
        for listed in self.lists:
            for user in sorted(listed.users):
                self.users.setdefault(user, listed.label)
            for record in sorted(listed.records):
                self.records.setdefault(record, listed.label)
            for source, record in sorted(listed.scoped_records):
                self.scoped.setdefault(f"{source}{SEPARATOR}{record}", listed.label)

    def expressions(self, columns: Iterable[str] = ()) -> tuple[pl.Expr, pl.Expr]:
        """Expressions giving, per row, the list that opts out its record and its user (or null).

        ``columns``: the frame's, so that ids and user keys the pii stage replaced by pseudonyms
        are matched by the values the source gave (``schema.source_value``)."""
        identifier, user_key = source_value("id", columns), source_value("user", columns)
        record = _lookup(identifier, self.records)
        if self.scoped:
            scoped_key = pl.concat_str([pl.col("source"), identifier], separator=SEPARATOR)
            record = pl.coalesce(_lookup(scoped_key, self.scoped), record)
        user = _lookup(user_key, self.users)
        return record, user


def _lookup(column: pl.Expr, table: dict[str, str]) -> pl.Expr:
    if not table:
        return pl.lit(None, dtype=pl.String)
    return column.cast(pl.String).replace_strict(table, default=None, return_dtype=pl.String)
