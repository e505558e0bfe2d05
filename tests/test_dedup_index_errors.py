"""A missing, foreign or incompatible dedup index is refused with a ``DedupIndexError`` that
names the file and says what was expected."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import polars as pl
import pytest

from curate.dedup import DedupIndexError
from curate.dedup.index import INDEX_PATH, METADATA_KEY, IndexSettings, locate, read_index, write_index
from curate.dedup.sketch import Sketcher
from curate.errors import CurateError
from tests.helpers import conversation, frame

SETTINGS = IndexSettings(num_perm=16, seed=0, shingle="word", ngram=5, char_ngram=3)


def index_file(folder: Path) -> Path:
    data = frame(conversation("a", ("user", "one two three four five six"), ("assistant", "seven")))
    target = folder / INDEX_PATH
    write_index(target, data.select("id", "source"), Sketcher(SETTINGS).sketch(data), SETTINGS, "v1")
    return target


def rewritten(folder: Path, change: Callable[[pl.DataFrame], pl.DataFrame], **metadata: object) -> Path:
    """A curate index with its frame changed and its metadata entries replaced."""
    target = index_file(folder)
    stored = {**asdict(SETTINGS), "release": "v1", **metadata}
    change(pl.read_parquet(target)).write_parquet(target, metadata={METADATA_KEY: json.dumps(stored)})
    return target


def text_file(folder: Path) -> Path:
    path = folder / "index.parquet"
    path.write_text("id,source\n", encoding="utf-8")
    return path


def parquet_without_metadata(folder: Path) -> Path:
    path = folder / "index.parquet"
    pl.DataFrame({"id": ["a"], "source": ["s"]}).write_parquet(path)
    return path


CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    (
        "text file",
        text_file,
        "{path} is not a dedup index written by curate: expected a parquet file with 'curate.dedup' metadata",
    ),
    (
        "parquet of something else",
        parquet_without_metadata,
        "{path} is not a dedup index written by curate: expected a parquet file with "
        "'curate.dedup' metadata (KeyError)",
    ),
    (
        "settings of another version",
        lambda folder: rewritten(folder, lambda data: data, minhash="datasketch"),
        "{path} holds unknown dedup index settings (expected num_perm, seed, shingle, ngram, "
        "char_ngram, version); rebuild it with this version of curate",
    ),
    (
        "another format version",
        lambda folder: rewritten(folder, lambda data: data, version=2),
        "{path} is a dedup index in format version 2, but this version of curate reads format "
        "version 1; rebuild the index with it",
    ),
    (
        "a column missing",
        lambda folder: rewritten(folder, lambda data: data.drop("reply_key")),
        "{path} does not hold the columns of a dedup index with num_perm = 16: "
        "reply_key (UInt64, found none); rebuild it with this version of curate",
    ),
    (
        "signatures of another width",
        lambda folder: rewritten(folder, lambda data: data, num_perm=32),
        "{path} does not hold the columns of a dedup index with num_perm = 32: "
        "prompt_signature (Array(UInt32, shape=(32,)), found Array(UInt32, shape=(16,)))",
    ),
]


@pytest.mark.parametrize(("case", "make", "message"), CASES, ids=[case for case, _, _ in CASES])
def test_a_foreign_file_is_refused_with_what_was_expected(
    tmp_path: Path, case: str, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(DedupIndexError, match=re.escape(message.format(path=path))) as raised:
        read_index(locate(path))
    assert isinstance(raised.value, CurateError)


def test_a_folder_without_an_index_is_refused(tmp_path: Path) -> None:
    expected = (
        f"no dedup index in {tmp_path} (expected dedup/index.parquet written by a run with a dedup stage)"
    )
    with pytest.raises(DedupIndexError, match=re.escape(expected)):
        locate(tmp_path)


@pytest.mark.parametrize(
    ("expected", "message"),
    [
        (replace(SETTINGS, seed=1), "seed: 0 in the index, 1 here"),
        (
            replace(SETTINGS, ngram=3, shingle="auto"),
            "shingle: 'word' in the index, 'auto' here; ngram: 5 in the index, 3 here",
        ),
    ],
)
def test_an_index_made_with_other_settings_is_refused(
    tmp_path: Path, expected: IndexSettings, message: str
) -> None:
    path = index_file(tmp_path)
    full = f"{path} was built with other settings ({message}); use the same ones, or rebuild the index"
    with pytest.raises(DedupIndexError, match=re.escape(full)):
        read_index(path, expected=expected)


def test_an_index_made_alike_is_read_from_its_output_folder(tmp_path: Path) -> None:
    index_file(tmp_path)
    index = read_index(locate(tmp_path), expected=SETTINGS)
    assert (index.ids, index.sources, index.release) == (["a"], ["test"], "v1")
