"""Part of one uncompressed file read on its own: a byte range of JSON Lines, row groups of Parquet.

What ``curate.readers.files.iter_raw_records`` reads there, numbered as it numbers them, so that
the pieces of a file (read by the Ray executor's tasks) give the records of the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from curate.readers.raw import BOM, RawRecord, parse_line, record_from_row


def jsonl_range(path: Path, label: str, start: int, end: int, max_bytes: int) -> Iterator[RawRecord]:
    """The lines of bytes ``start`` to ``end`` of an uncompressed JSON Lines file (both at line
    starts), numbered from 1 at ``start``: what ``iter_raw_records`` reads there, except that
    every blank line is an ``empty_line`` reject where it stands (whether a record follows it
    in the file is for the caller, who sees the ranges after this one, to decide)."""
    with path.open("rb") as handle:
        handle.seek(start)
        position = start
        for number, line in enumerate(iter(handle.readline, b""), start=1):
            if position >= end:
                return
            position += len(line)
            if start == 0 and number == 1:
                line = line.removeprefix(BOM)
            if not line.strip():
                yield RawRecord(label, number, "", reason="empty_line", detail="blank line between records")
            else:
                yield parse_line(line, label, number, max_bytes)


def parquet_row_groups(
    path: Path, label: str, groups: range, first_row: int, max_bytes: int
) -> Iterator[RawRecord]:
    """The records of row groups ``groups`` of an uncompressed Parquet file, numbered on from
    ``first_row`` (the rows of the groups before them): what ``iter_raw_records`` reads there."""
    import pyarrow.parquet as pq

    row = first_row
    with path.open("rb") as handle:
        parquet = pq.ParquetFile(handle)
        for batch in parquet.iter_batches(batch_size=4096, row_groups=list(groups)):
            for value in batch.to_pylist():
                row += 1
                yield record_from_row(value, label, row, max_bytes)
