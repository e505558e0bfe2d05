"""The release index: signatures of what a run released, for the next release to avoid.

A run with a ``dedup`` stage writes ``dedup/index.parquet`` into its output folder: one row
per released conversation (``id``, ``source``, exact keys and signatures of its prompt and
reply: ~1 KB with 128 permutations), and in the file's metadata the settings that made the
signatures. A later run names that folder (or file) in ``against:``; signatures only
compare when those settings are equal, so a mismatch is an error rather than a silent loss
of recall. Matches against a release are judged on the signatures alone (the index holds
no text), so near the threshold they are estimates.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.dedup.arrays import U64, Bools, Floats, Int64s, sorted_distinct
from curate.dedup.clusters import Sketches, similar
from curate.dedup.sketch import PARTS, ConversationSketch, Sketch, SketchSettings
from curate.dedup.stacked import whole
from curate.errors import CurateError
from curate.writers.atomic import atomic_path

INDEX_PATH: Final = Path("dedup") / "index.parquet"
METADATA_KEY: Final = "curate.dedup"
FORMAT_VERSION: Final = 1
INDEX_ROW_GROUP: Final = 65_536
"""Rows of the index written at once (a row group: ~70 MB with 128 permutations)."""
BUCKET_LIMIT: Final = 64
"""Index rows compared per query row and band; an index bucket is rows that escaped dedup
together (alternatives of one prompt), so it is small unless they are near-identical."""


class DedupIndexError(CurateError, ValueError):
    """A dedup index is missing, is not one curate wrote, or was made with other settings.

    It is also a ``ValueError``, so an options validator that reads an index (``against:``)
    reports it as a configuration error at the option's place in the pipeline file.
    """


@dataclass(frozen=True)
class IndexSettings(SketchSettings):
    """What must be equal for two signatures to be comparable: how they were sketched, and
    the index format."""

    version: int = FORMAT_VERSION

    def differences(self, other: IndexSettings) -> list[str]:
        mine, theirs = asdict(self), asdict(other)
        return [
            f"{key}: {theirs[key]!r} in the index, {mine[key]!r} here"
            for key in mine
            if mine[key] != theirs[key]
        ]

    def require_same(self, stored: IndexSettings, path: Path) -> None:
        """Raise ``DedupIndexError`` unless the index at ``path``, made with ``stored``, was
        made like this."""
        differences = self.differences(stored)
        if differences:
            raise DedupIndexError(
                f"{path} was built with other settings ({'; '.join(differences)}); "
                "use the same ones, or rebuild the index"
            )


@dataclass(frozen=True)
class ReleaseIndex:
    """The rows of an earlier release, ready to be matched."""

    path: Path
    release: str
    settings: IndexSettings
    ids: list[str]
    sources: list[str | None]
    sketch: ConversationSketch

    @property
    def size(self) -> int:
        return len(self.ids)


def locate(path: Path) -> Path:
    """The index file for ``path``: the file itself, or the one inside an output folder."""
    if path.is_file():
        return path
    for candidate in (path / INDEX_PATH, path / INDEX_PATH.name):
        if candidate.is_file():
            return candidate
    raise DedupIndexError(
        f"no dedup index in {path} (expected {INDEX_PATH} written by a run with a dedup stage)"
    )


def read_settings(path: Path, expected: IndexSettings | None = None) -> tuple[IndexSettings, str]:
    """The settings and release name stored in an index file (cheap: metadata only); with
    ``expected``, refuse an index made with other settings."""
    try:
        metadata = pl.read_parquet_metadata(path)
        stored: dict[str, Any] = json.loads(metadata[METADATA_KEY])
    except (OSError, KeyError, ValueError, pl.exceptions.PolarsError) as exc:
        raise DedupIndexError(
            f"{path} is not a dedup index written by curate: expected a parquet file with "
            f"'{METADATA_KEY}' metadata ({type(exc).__name__})"
        ) from exc
    release = str(stored.pop("release", path.parent.parent.name))
    try:
        settings = IndexSettings(**stored)
    except TypeError as exc:
        known = ", ".join(setting.name for setting in fields(IndexSettings))
        raise DedupIndexError(
            f"{path} holds unknown dedup index settings (expected {known}); "
            "rebuild it with this version of curate"
        ) from exc
    if settings.version != FORMAT_VERSION:
        raise DedupIndexError(
            f"{path} is a dedup index in format version {settings.version}, but this version of "
            f"curate reads format version {FORMAT_VERSION}; rebuild the index with it"
        )
    if expected is not None:
        expected.require_same(settings, path)
    return settings, release


def read_index(path: Path, expected: IndexSettings | None = None) -> ReleaseIndex:
    """Load an index file (see ``locate``); with ``expected``, refuse one made otherwise."""
    settings, release = read_settings(path, expected)
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DedupIndexError(f"{path} cannot be read as a dedup index ({exc})") from exc
    _check_columns(path, frame.schema, settings.num_perm)
    parts = {}
    for part in PARTS:
        signatures = frame[f"{part}_signature"].to_numpy().astype(np.uint32, copy=False)
        parts[part] = Sketch(
            keys=frame[f"{part}_key"].to_numpy().astype(np.uint64, copy=False),
            signatures=np.ascontiguousarray(signatures.reshape(frame.height, settings.num_perm)),
            has_shingles=frame[f"{part}_has_shingles"].to_numpy().astype(bool, copy=False),
            char_mode=np.zeros(frame.height, dtype=bool),
        )
    sketch = ConversationSketch(prompt=parts["prompt"], reply=parts["reply"])
    return ReleaseIndex(
        path=path,
        release=release,
        settings=settings,
        ids=frame["id"].to_list(),
        sources=frame["source"].to_list(),
        sketch=sketch,
    )


def _schema(num_perm: int) -> dict[str, pl.DataType]:
    """The columns of an index file whose signatures have ``num_perm`` slots."""
    schema: dict[str, pl.DataType] = {"id": pl.String(), "source": pl.String()}
    for part in PARTS:
        schema[f"{part}_key"] = pl.UInt64()
        schema[f"{part}_signature"] = pl.Array(pl.UInt32, num_perm)
        schema[f"{part}_has_shingles"] = pl.Boolean()
    return schema


def _check_columns(path: Path, schema: pl.Schema, num_perm: int) -> None:
    wrong = [
        f"{name} ({expected}, found {schema.get(name, 'none')})"
        for name, expected in _schema(num_perm).items()
        if schema.get(name) != expected
    ]
    if wrong:
        raise DedupIndexError(
            f"{path} does not hold the columns of a dedup index with num_perm = {num_perm}: "
            f"{', '.join(wrong)}; rebuild it with this version of curate"
        )


def write_index(
    target: Path, rows: pl.DataFrame, sketch: ConversationSketch, settings: IndexSettings, release: str
) -> None:
    """Write ``rows`` (``id`` and ``source``) with their prompt and reply sketches; the
    settings go into the file's metadata.

    Row ``i`` of ``rows`` has the sketch of row ``rows["row"][i]`` of ``sketch`` when ``rows``
    has a ``row`` column, else row ``i``. The file is written ``INDEX_ROW_GROUP`` rows at a
    time, each a row group read from ``sketch`` (mapped signatures stay on disk) and let go,
    so writing holds one row group, not the release (~1 KB a row); the bytes depend on the
    rows alone, never on the shards they came from.
    """
    positions = rows["row"].to_numpy() if "row" in rows.columns else np.arange(rows.height, dtype=np.int64)
    metadata = json.dumps({**asdict(settings), "release": release}, sort_keys=True)
    schema = _arrow_schema(settings.num_perm).with_metadata({METADATA_KEY: metadata})
    with atomic_path(target) as temporary, pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
        for start in range(0, max(rows.height, 1), INDEX_ROW_GROUP):
            stop = min(start + INDEX_ROW_GROUP, rows.height)
            chunk = _index_rows(rows.slice(start, stop - start), sketch.take(positions[start:stop]), settings)
            writer.write_table(chunk.to_arrow().cast(schema), row_group_size=INDEX_ROW_GROUP)


def _index_rows(rows: pl.DataFrame, sketch: ConversationSketch, settings: IndexSettings) -> pl.DataFrame:
    """The index file's columns for ``rows``, whose sketches ``sketch`` holds in row order."""
    columns = {}
    for part in PARTS:
        found: Sketch = getattr(sketch, part)
        columns[f"{part}_key"] = pl.Series(found.keys, dtype=pl.UInt64)
        columns[f"{part}_signature"] = pl.Series(
            whole(found.signatures), dtype=pl.Array(pl.UInt32, settings.num_perm)
        )
        columns[f"{part}_has_shingles"] = pl.Series(found.has_shingles, dtype=pl.Boolean)
    return rows.select("id", "source").with_columns(**columns)


def _arrow_schema(num_perm: int) -> pa.Schema:
    """The index file's columns as Arrow types, fixed, so every row group is written alike."""
    fields = [pa.field("id", pa.large_string()), pa.field("source", pa.large_string())]
    for part in PARTS:
        fields += [
            pa.field(f"{part}_key", pa.uint64()),
            pa.field(f"{part}_signature", pa.list_(pa.uint32(), num_perm)),
            pa.field(f"{part}_has_shingles", pa.bool_()),
        ]
    return pa.schema(fields)


@dataclass(frozen=True)
class ReleaseMatches:
    """Rows found in an earlier release: row, the index row it matches, and how well."""

    rows: Int64s
    matches: Int64s
    similarity: Floats
    exact: Bools


def match_release(stored: Sketches, query: Sketches, rows: Int64s, threshold: float) -> ReleaseMatches:
    """Which of ``rows`` of ``query`` have an exact or near duplicate in ``stored`` (an
    earlier release), each with its best match (highest similarity, then first stored row)."""
    exact_rows, exact_matches = _lookup(stored.keys, query.keys[rows], limit=1)
    found_rows, found_matches = [rows[exact_rows]], [exact_matches]
    with_shingles = rows[query.has_shingles[rows]]
    stored_rows = np.flatnonzero(stored.has_shingles).astype(np.int64)
    for band in range(query.bands.shape[1]):
        hit_rows, hit_matches = _lookup(
            stored.bands[stored_rows, band], query.bands[with_shingles, band], BUCKET_LIMIT
        )
        found_rows.append(with_shingles[hit_rows])
        found_matches.append(stored_rows[hit_matches])
    width = max(stored.keys.size, 1)
    unique = sorted_distinct(np.concatenate(found_rows) * width + np.concatenate(found_matches))
    pair_rows, pair_matches = unique // width, unique % width
    exact = query.keys[pair_rows] == stored.keys[pair_matches]
    verified, estimate, _ = similar(query, pair_rows, stored, pair_matches, threshold)
    good = exact | verified
    pair_rows, pair_matches, exact = pair_rows[good], pair_matches[good], exact[good]
    estimate = np.where(exact, 1.0, estimate[good])
    order = np.lexsort((pair_matches, -estimate, pair_rows))
    first = np.ones(order.size, dtype=bool)
    first[1:] = pair_rows[order][1:] != pair_rows[order][:-1]
    best = order[first]
    return ReleaseMatches(pair_rows[best], pair_matches[best], estimate[best], exact[best])


def _lookup(stored: U64, query: U64, limit: int) -> tuple[Int64s, Int64s]:
    """Pairs (query position, stored position) of equal values, at most ``limit`` per query."""
    if not stored.size or not query.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(stored, kind="stable")
    ordered = stored[order]
    low = np.searchsorted(ordered, query, side="left")
    count = np.minimum(np.searchsorted(ordered, query, side="right") - low, limit)
    positions = np.repeat(np.arange(query.size, dtype=np.int64), count)
    step = np.arange(positions.size, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return positions, order[np.repeat(low, count) + step].astype(np.int64)


def released_ids(released: pl.DataFrame) -> pl.DataFrame | None:
    """``(source, id)`` of the conversations a run published.

    Output of conversations names them in ``id``; output of pairs in ``chosen_id`` and
    ``rejected_id``. ``None`` when the output has neither.
    """
    names = set(released.columns)
    if {"chosen_id", "rejected_id", "source"} <= names:
        sides = [released.select("source", pl.col(side).alias("id")) for side in ("chosen_id", "rejected_id")]
        return pl.concat(sides).drop_nulls("id").unique()  # a kto row has one side
    if {"id", "source"} <= names:
        return released.select("source", "id").unique()
    return None
