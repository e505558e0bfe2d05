"""Data files in the Hugging Face layout: ``data/<split>-00000-of-00001.parquet`` (+ .jsonl).

The names are made and read back here, in one place: the runner lists them in the manifest
before anything is written, the writer writes exactly those, and the card and ``publish``
find a folder's data files with ``DataFile.parse``.

A split is cut into files of at most ``shard_rows`` rows and about ``MAX_SHARD_BYTES`` bytes,
as ``datasets`` cuts its own (``push_to_hub``: 500 MB as Arrow holds the rows). Parquet files
are written as ``datasets`` writes them: ``string`` and ``list`` columns (not polars'
``large_string`` / ``large_list``), the ``huggingface`` features in the schema's metadata, and
row groups of at most ``MAX_ROW_GROUP_BYTES``; so the output concatenates with a dataset
loaded from the Hub without a cast. Sizes are estimated from the rows' content alone (never
from buffers, which depend on how the rows were computed), so the files are the same on
every run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.writers.atomic import atomic_path

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

DATA_DIR: Final = "data"
MAX_SHARD_BYTES = 500_000_000
"""The most bytes (as Arrow holds the rows) of one data file: ``datasets``' ``max_shard_size``."""
MAX_ROW_GROUP_BYTES = 100_000_000
"""The most bytes of one Parquet row group: ``datasets``' ``MAX_ROW_GROUP_SIZE`` (the Hub viewer's)."""
_WIDTHS: dict[type[pl.DataType], int] = {
    pl.Boolean: 1,
    pl.Int8: 1,
    pl.UInt8: 1,
    pl.Int16: 2,
    pl.UInt16: 2,
    pl.Int32: 4,
    pl.UInt32: 4,
    pl.Float32: 4,
    pl.Date: 4,
}
_NAME = re.compile(r"^(?P<split>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.(?P<format>parquet|jsonl)$")


@dataclass(frozen=True)
class DataFile:
    """One shard of one split in one format.

    >>> DataFile("train", 0, 1, "parquet").path
    'data/train-00000-of-00001.parquet'
    >>> DataFile.parse("test-00001-of-00002.jsonl")
    DataFile(split='test', index=1, count=2, format='jsonl')
    """

    split: str
    index: int
    count: int
    format: str

    @property
    def name(self) -> str:
        return f"{self.split}-{self.index:05d}-of-{self.count:05d}.{self.format}"

    @property
    def path(self) -> str:
        """Relative to the output folder."""
        return f"{DATA_DIR}/{self.name}"

    @classmethod
    def parse(cls, name: str) -> DataFile | None:
        """The data file a file name denotes, or None when it is not one."""
        match = _NAME.match(name)
        if match is None:
            return None
        return cls(match["split"], int(match["index"]), int(match["count"]), match["format"])


def estimated_bytes(frame: pl.DataFrame) -> int:
    """The bytes ``frame``'s rows take as Arrow holds them: text and offsets, fixed-width values.

    >>> estimated_bytes(pl.DataFrame({"text": ["abc", None], "n": [1, 2]}))
    27
    """
    return int(row_bytes(frame).sum())


def row_bytes(frame: pl.DataFrame) -> npt.NDArray[np.int64]:
    """``estimated_bytes`` of each row of ``frame``."""
    if frame.is_empty() or not frame.columns:
        return np.zeros(frame.height, dtype=np.int64)
    sizes = [_bytes_of(pl.col(name), dtype) for name, dtype in frame.schema.items()]
    return frame.select(pl.sum_horizontal(sizes)).to_series().to_numpy().astype(np.int64)


def _bytes_of(expr: pl.Expr, dtype: PolarsDataType) -> pl.Expr:
    if isinstance(dtype, type):
        dtype = dtype()
    if isinstance(dtype, pl.String | pl.Categorical | pl.Enum):
        return expr.cast(pl.String).str.len_bytes().fill_null(0).cast(pl.Int64) + 4
    if isinstance(dtype, pl.Binary):
        return expr.bin.size().fill_null(0).cast(pl.Int64) + 4
    if isinstance(dtype, pl.List | pl.Array):
        inner = _bytes_of(pl.element(), dtype.inner)
        return expr.cast(pl.List(dtype.inner)).list.eval(inner).list.sum().fill_null(0).cast(pl.Int64) + 4
    if isinstance(dtype, pl.Struct):
        fields = [_bytes_of(expr.struct.field(field.name), field.dtype) for field in dtype.fields]
        return pl.sum_horizontal(fields) if fields else pl.lit(0, pl.Int64)
    if isinstance(dtype, pl.Null):
        return pl.lit(0, pl.Int64)
    width = next((width for kind, width in _WIDTHS.items() if isinstance(dtype, kind)), 8)
    return pl.lit(width, pl.Int64)


def rows_per_file(frame: pl.DataFrame, shard_rows: int) -> int:
    """How many rows each data file of ``frame`` holds: at most ``shard_rows``, and few enough
    that a file stays near ``MAX_SHARD_BYTES`` (the files a split needs, counted as
    ``datasets`` counts its shards, share the rows evenly)."""
    return file_rows(frame.height, estimated_bytes(frame), shard_rows)


def file_rows(rows: int, nbytes: int, shard_rows: int) -> int:
    """``rows_per_file`` of a split of ``rows`` rows weighing ``nbytes``."""
    files = nbytes // MAX_SHARD_BYTES + 1
    return max(1, min(shard_rows, math.ceil(rows / files)))


def row_group_rows(rows: int, nbytes: int) -> int | None:
    """Rows per Parquet row group of a file of ``rows`` rows weighing ``nbytes`` (None: one group)."""
    return max(1, rows * MAX_ROW_GROUP_BYTES // nbytes) if nbytes else None


def data_files(splits: Mapping[str, pl.DataFrame], formats: Iterable[str], shard_rows: int) -> list[DataFile]:
    """The files that hold ``splits``, in writing order."""
    formats = list(formats)
    files = []
    for split, frame in splits.items():
        count = max(1, math.ceil(frame.height / rows_per_file(frame, shard_rows)))
        files += [DataFile(split, index, count, fmt) for index in range(count) for fmt in formats]
    return files


def hub_table(frame: pl.DataFrame) -> pa.Table:
    """``frame`` as Arrow with the types ``datasets`` gives text, and its features in the metadata."""
    from datasets import Features

    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    schema = pa.schema([pa.field(f.name, _hub_type(f.type), f.nullable) for f in table.schema])
    features = {"info": {"features": Features.from_arrow_schema(schema).to_dict()}}
    return table.cast(schema).replace_schema_metadata({"huggingface": json.dumps(features)})


def _hub_type(kind: pa.DataType) -> pa.DataType:
    """``large_string`` -> ``string``, ``large_list`` -> ``list``, through lists and structs."""
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        return pa.binary()
    if pa.types.is_dictionary(kind):
        return _hub_type(kind.value_type)
    if pa.types.is_large_list(kind) or pa.types.is_list(kind) or pa.types.is_list_view(kind):
        return pa.list_(_hub_type(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _hub_type(f.type), f.nullable) for f in kind.fields])
    return kind


def write_hub_parquet(frame: pl.DataFrame, target: Path) -> None:
    """A data file as ``datasets`` writes one (see the module's docstring)."""
    table = hub_table(frame)
    group = row_group_rows(frame.height, estimated_bytes(frame))
    with atomic_path(target) as temporary:
        pq.write_table(table, temporary, compression="zstd", write_statistics=True, row_group_size=group)


def write_parquet(frame: pl.DataFrame, target: Path) -> None:
    with atomic_path(target) as temporary:
        frame.write_parquet(temporary, compression="zstd", statistics=True)


def write_jsonl(frame: pl.DataFrame, target: Path) -> None:
    with atomic_path(target) as temporary:
        frame.write_ndjson(temporary)


WRITERS = {"parquet": write_hub_parquet, "jsonl": write_jsonl}


def write_splits(
    splits: Mapping[str, pl.DataFrame], folder: Path, formats: Iterable[str], shard_rows: int
) -> list[str]:
    """Write every split in every format under ``folder``; return the files' paths (``data/...``)."""
    per_file = {split: rows_per_file(frame, shard_rows) for split, frame in splits.items()}
    written = []
    for file in data_files(splits, formats, shard_rows):
        shard = splits[file.split].slice(file.index * per_file[file.split], per_file[file.split])
        WRITERS[file.format](shard, folder / DATA_DIR / file.name)
        written.append(file.path)
    return written
