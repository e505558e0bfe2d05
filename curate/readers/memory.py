"""Records held in memory, read as the same records in a file are.

``Pipeline.run(data=...)``, an input given as ``{"name": ..., "data": ...}`` and
``curate.read(data)`` hand the loader an ``InMemory`` instead of files. Its records come out
as ``RawRecord``s parsed by the file readers' own code: the rows of a table (polars, pandas,
Arrow, ``datasets``) as a Parquet file's or a saved dataset's rows are, the dicts of a list as
a JSON Lines file's records are. Everything after that (``format: auto``, the format's reader,
read rejects and their reasons, ids) is the loader's, for files and memory alike.

A record's ``file`` is the kind of data in angle brackets (``<datasets.Dataset>``, with the
split for a ``DatasetDict``: ``<datasets.DatasetDict>[train]``) and its ``line`` the row
number from 1, so a read reject names where it was without pretending to be a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from curate.errors import InputError
from curate.readers.raw import RawRecord, parse_line, record_from_row

BATCH_ROWS = 4096
TABLES = ("polars.DataFrame", "pandas.DataFrame", "pyarrow.Table")
DATASETS = ("datasets.Dataset", "datasets.IterableDataset")
SPLITS = ("datasets.DatasetDict", "datasets.IterableDatasetDict")
KINDS = (*TABLES, *DATASETS, *SPLITS, "list")
"""What ``data`` may be, by the name ``InMemory.kind`` gives it."""
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def kind_of(data: object) -> str:
    """The name of what holds the records (one of ``KINDS``), or ``InputError`` listing them."""
    if isinstance(data, list | tuple):
        return "list"
    cls = type(data)
    package = cls.__module__.split(".", 1)[0]
    for klass in cls.__mro__:
        name = f"{klass.__module__.split('.', 1)[0]}.{klass.__name__}"
        if name in KINDS:
            return name
    if package == "polars" and cls.__name__ == "LazyFrame":
        raise InputError("data: a polars LazyFrame is not read as it is; give frame.collect()")
    raise InputError(
        f"data: cannot read records from a {cls.__module__}.{cls.__name__}; give one of"
        f" {', '.join(KINDS[:-1])} or a list of dicts"
    )


class InMemory:
    """Records held in memory (``kind_of`` says which kinds), read as a file's records are.

    ``sha256`` fingerprints the records read last: the SHA-256 of each record's JSON text
    followed by a newline, so the same records give the same fingerprint in any container.
    """

    def __init__(self, data: object) -> None:
        self.kind = kind_of(data)
        self.data = data
        self._digest = hashlib.sha256()

    def __repr__(self) -> str:
        return f"<InMemory {self.kind}>"

    @property
    def label(self) -> str:
        """What read rejects name as their ``file``: the kind in angle brackets."""
        return f"<{self.kind}>"

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def records(self, max_bytes: int) -> Iterator[RawRecord]:
        """Every record, in order, as ``RawRecord``s; reading again starts the fingerprint afresh."""
        self._digest = hashlib.sha256()
        if self.kind == "list":
            yield from self._dicts(self.data, self.label, max_bytes)  # type: ignore[arg-type]
            return
        parts = self.data.items() if self.kind in SPLITS else [(None, self.data)]  # type: ignore[attr-defined]
        for split, part in parts:
            label = f"{self.label}[{split}]" if split is not None else self.label
            yield from self._rows(_batches(part, self.kind), label, max_bytes)

    def _rows(
        self, batches: Iterable[list[dict[str, Any]]], label: str, max_bytes: int
    ) -> Iterator[RawRecord]:
        """Table rows, as Parquet rows are read."""
        row = 0
        for batch in batches:
            for value in batch:
                row += 1
                record = record_from_row(value, label, row, max_bytes)
                whole = record.raw if record.reason != "too_large" else _json(value, 0).decode()
                self._digest.update((whole or "").encode() + b"\n")
                yield record

    def _dicts(self, values: Iterable[Any], label: str, max_bytes: int) -> Iterator[RawRecord]:
        """The items of a list, as JSON Lines records are read."""
        for line, value in enumerate(values, start=1):
            try:
                text = _json_line(value)
            except (TypeError, ValueError, RecursionError) as exc:
                detail = f"cannot be written as JSON ({type(exc).__name__})"
                yield RawRecord(label, line, None, reason="invalid_json", detail=detail)
                continue
            self._digest.update(text + b"\n")
            yield parse_line(text, label, line, max_bytes)


def _json_line(value: Any) -> bytes:
    """``value`` as one line of JSON: orjson's, else (a number beyond 64 bits) the standard library's."""
    try:
        return _json(value, JSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, default=str, ensure_ascii=False).encode()


def _json(value: Any, options: int) -> bytes:
    return orjson.dumps(value, default=str, option=options)


def _batches(part: Any, kind: str) -> Iterator[list[dict[str, Any]]]:
    """Rows of one table or dataset, a batch at a time, as Python values."""
    if kind in ("datasets.Dataset", "datasets.IterableDataset", *SPLITS):
        for table in part.with_format("arrow").iter(batch_size=BATCH_ROWS):
            yield table.to_pylist()
        return
    for batch in _arrow(part, kind).to_batches(max_chunksize=BATCH_ROWS):
        yield batch.to_pylist()


def _arrow(table: Any, kind: str) -> Any:
    """A polars or pandas frame as an Arrow table (a ``pyarrow.Table`` as it is)."""
    import pyarrow as pa

    try:
        if kind == "polars.DataFrame":
            return table.to_arrow()
        if kind == "pandas.DataFrame":
            # As DataFrame.to_parquet(index=False) writes it: the index is not a field of the records.
            return pa.Table.from_pandas(table, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        # Arrow's message may quote a value; name only the kind of failure.
        raise InputError(
            f"data: this {kind} cannot be read as Arrow rows ({type(exc).__name__}); give its records"
            " as a list of dicts instead"
        ) from None
    return table
