"""Writing a release's dedup index by row groups: what is read back is what was chosen, and the
file's bytes depend on the rows alone, not on how many shards held their sketches."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.dedup import index
from curate.dedup.index import IndexSettings, read_index, write_index
from curate.dedup.sketch import ConversationSketch, Sketcher
from tests.helpers import conversation, frame

SETTINGS = IndexSettings(num_perm=16, seed=1, shingle="word", ngram=2, char_ngram=3)
TEXTS = [f"prompt {n} about topic {n % 3} and more words" for n in range(9)]
DATA = frame(
    *(
        conversation(f"c{n}", ("user", text), ("assistant", f"reply {n} with its own words"))
        for n, text in enumerate(TEXTS)
    )
)
SKETCH = Sketcher(SETTINGS).sketch(DATA)


def sharded(cuts: list[int]) -> ConversationSketch:
    """``SKETCH`` as the concatenation of shards cut at ``cuts``, as a run's decide sees it."""
    bounds = [0, *sorted(set(cuts)), DATA.height]
    parts = [np.arange(start, stop) for start, stop in itertools.pairwise(bounds) if stop > start]
    return ConversationSketch.concat([SKETCH.take(part) for part in parts])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("row_group", [1, 2, 4, 65_536])
def test_rows_read_back_are_the_chosen_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row_group: int
) -> None:
    monkeypatch.setattr(index, "INDEX_ROW_GROUP", row_group)
    chosen = pl.DataFrame({"id": ["c7", "c2", "c5"], "source": ["test"] * 3, "row": [7, 2, 5]})
    target = tmp_path / "index.parquet"
    write_index(target, chosen, SKETCH, SETTINGS, "v1")

    found = read_index(target, SETTINGS)
    assert found.ids == ["c7", "c2", "c5"]
    assert found.release == "v1"
    expected = SKETCH.take(np.array([7, 2, 5]))
    for part in ("prompt", "reply"):
        assert np.array_equal(getattr(found.sketch, part).signatures, getattr(expected, part).signatures)
        assert np.array_equal(getattr(found.sketch, part).keys, getattr(expected, part).keys)
    assert pq.ParquetFile(target).metadata.num_row_groups == -(-3 // row_group)


def test_an_empty_release_is_an_index_of_no_rows(tmp_path: Path) -> None:
    target = tmp_path / "index.parquet"
    write_index(target, DATA.select("id", "source").head(0), SKETCH, SETTINGS, "v1")
    assert read_index(target, SETTINGS).size == 0


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(1, DATA.height - 1), max_size=4),
    chosen=st.lists(st.integers(0, DATA.height - 1), min_size=1, max_size=DATA.height, unique=True),
)
def test_bytes_do_not_depend_on_the_shards(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[int], chosen: list[int]
) -> None:
    rows = DATA.select("id", "source")[sorted(chosen)].with_columns(
        row=pl.Series(sorted(chosen), dtype=pl.Int64)
    )
    folder = tmp_path_factory.mktemp("index")
    whole, pieces = folder / "whole.parquet", folder / "pieces.parquet"
    write_index(whole, rows, SKETCH, SETTINGS, "v1")
    write_index(pieces, rows, sharded(cuts), SETTINGS, "v1")
    assert digest(whole) == digest(pieces)
