"""Damaged files: a compressed file that is cut, or has bytes after its last stream, is an
``unreadable_file`` reject, after the records read before the damage."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import random
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import zstandard

from tests.reader_helpers import read_path, rejects

RNG = random.Random(7)
RECORDS = [
    {
        "id": f"c{i}",
        "messages": [
            {"role": "user", "content": f"{RNG.getrandbits(1024):x}"},
            {"role": "assistant", "content": f"{RNG.getrandbits(1024):x}"},
        ],
    }
    for i in range(600)
]
IDS = [record["id"] for record in RECORDS]

COMPRESSIONS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.compress,
    "bz2": lambda data: bz2.compress(data, compresslevel=1),  # 100 kB blocks: a cut keeps some
    "xz": lzma.compress,
    "zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


def layout_bytes(layout: str) -> bytes:
    if layout == "jsonl":
        return "".join(json.dumps(record) + "\n" for record in RECORDS).encode()
    if layout == "json":
        return json.dumps(RECORDS, indent=1).encode()
    buffer = io.BytesIO()
    if layout == "csv":
        messages = [json.dumps(record["messages"]) for record in RECORDS]
        pl.DataFrame({"id": IDS, "messages": messages}).write_csv(buffer)
    else:
        pl.DataFrame(RECORDS).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
@pytest.mark.parametrize("layout", ["jsonl", "json", "csv", "parquet"])
def test_bytes_after_the_last_stream_keep_every_record_and_name_the_file(
    tmp_path: Path, layout: str, compression: str
) -> None:
    name = f"x.{layout}.{compression}"
    (tmp_path / name).write_bytes(COMPRESSIONS[compression](layout_bytes(layout)) + b"\x00garbage\xff")
    read = read_path(tmp_path, name, "openai")
    assert read.frame["id"].to_list() == IDS
    [(line, reason, detail)] = rejects(read)
    assert (line, reason) == (0, "unreadable_file")
    assert detail.startswith("DamagedFileError: the bytes after 1 complete ")


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
@pytest.mark.parametrize("layout", ["jsonl", "json", "csv"])
def test_a_cut_file_keeps_the_records_before_the_cut(tmp_path: Path, layout: str, compression: str) -> None:
    packed = COMPRESSIONS[compression](layout_bytes(layout))
    name = f"x.{layout}.{compression}"
    (tmp_path / name).write_bytes(packed[: len(packed) // 2])
    read = read_path(tmp_path, name, "openai")
    kept = read.frame["id"].to_list()
    assert 0 < len(kept) < len(IDS)
    assert kept == IDS[: len(kept)]
    [(line, reason, detail)] = rejects(read)  # the record the cut went through is not reported twice
    assert (line, reason) == (0, "unreadable_file")
    assert "ends inside a" in detail


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
def test_a_cut_parquet_file_is_unreadable(tmp_path: Path, compression: str) -> None:
    packed = COMPRESSIONS[compression](layout_bytes("parquet"))
    (tmp_path / f"x.parquet.{compression}").write_bytes(packed[: len(packed) // 2])
    read = read_path(tmp_path, f"x.parquet.{compression}", "openai")
    assert read.frame.height == 0
    assert [reason for _, reason, _ in rejects(read)] == ["unreadable_file"]


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
def test_zero_padding_after_a_stream_is_not_damage(tmp_path: Path, compression: str) -> None:
    (tmp_path / f"x.jsonl.{compression}").write_bytes(
        COMPRESSIONS[compression](layout_bytes("jsonl")) + b"\0" * 8
    )
    read = read_path(tmp_path, f"x.jsonl.{compression}", "openai")
    assert (read.frame.height, read.rejects.height) == (len(IDS), 0)


@pytest.mark.parametrize("suffix", ["jsonl", "json.gz", "csv.bz2", "parquet", "tsv.xz", "jsonl.zst"])
def test_an_empty_file_holds_no_record_whatever_its_suffix(tmp_path: Path, suffix: str) -> None:
    (tmp_path / f"x.{suffix}").write_bytes(b"")
    read = read_path(tmp_path, f"x.{suffix}", "openai")
    assert (read.records, read.frame.height, read.rejects.height) == (0, 0, 0)


def test_bytes_after_a_json_array_that_are_not_utf8_are_shown_replaced(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_bytes(json.dumps(RECORDS[:2]).encode() + b"\n\xff\xfe tail")
    read = read_path(tmp_path, "x.json", "openai")
    assert read.frame["id"].to_list() == IDS[:2]
    assert read.rejects.select("line", "reason", "raw").rows() == [(2, "invalid_json", "\ufffd\ufffd tail")]
