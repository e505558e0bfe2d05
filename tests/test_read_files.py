"""File layouts: every way a record can arrive, each record keeping its file and line."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import polars as pl
import pytest
import zstandard

from curate.readers.files import iter_raw_records
from tests.reader_helpers import read_path, rejects, write_json, write_jsonl

RECORDS = [
    {"id": f"c{i}", "messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
    for i in range(3)
]


SMALL = [{"id": f"c{i}"} for i in range(3)]


def lines_of(path: Path) -> list[tuple[int, str | None, str | None]]:
    return [
        (r.line, r.reason, r.value.get("id") if r.ok else None) for r in iter_raw_records(path, "f", 1 << 20)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A pretty-printed array: each element's line is where it starts.
        (json.dumps(SMALL, indent=1), [(2, None, "c0"), (5, None, "c1"), (8, None, "c2")]),
        (
            "[" + ",".join(json.dumps(r) for r in SMALL) + "]",
            [(1, None, "c0"), (1, None, "c1"), (1, None, "c2")],
        ),
        # A single object, pretty-printed.
        ("\n" + json.dumps(RECORDS[0], indent=2), [(2, None, "c0")]),
        # JSON Lines under a .json name.
        (
            "\n".join(json.dumps(r) for r in RECORDS) + "\n",
            [(1, None, "c0"), (2, None, "c1"), (3, None, "c2")],
        ),
        # A byte order mark is not part of the data.
        ("\ufeff" + json.dumps(RECORDS[:1]), [(1, None, "c0")]),
        ("[]", []),
        ("   \n", []),
        ('[1, {"id": "c0"}]', [(1, "wrong_type", None), (1, None, "c0")]),
        # A broken element ends the array: nothing after it can be read reliably.
        ('[{"id": "c0"},\n {"id": ]', [(1, None, "c0"), (2, "invalid_json", None)]),
        ('[{"id": "c0"},\n', [(1, None, "c0"), (2, "invalid_json", None)]),
        (
            '[{"id": "c0"},\n' + "[" * 100_000 + "]" * 100_000 + "]",
            [(1, None, "c0"), (2, "invalid_json", None)],
        ),
    ],
    ids=[
        "array",
        "one-line-array",
        "object",
        "jsonl-as-json",
        "bom",
        "empty-array",
        "blank",
        "non-object",
        "bad",
        "unclosed",
        "too-deep",
    ],
)
def test_json_layouts(tmp_path: Path, text: str, expected: list[tuple[int, str | None, str | None]]) -> None:
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    assert lines_of(path) == expected


def test_invalid_utf8_in_an_array_costs_only_its_element(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b'[{"id": "c0"},\n{"id": "c1", "x": "\xff"},\n{"id": "c2"}]')
    assert lines_of(path) == [(1, None, "c0"), (2, "invalid_utf8", None), (3, None, "c2")]


def test_jsonl_blank_lines_between_records_are_rejects_trailing_ones_are_not(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [RECORDS[0], "", "  ", RECORDS[1], "", ""])
    assert lines_of(path) == [
        (1, None, "c0"),
        (2, "empty_line", None),
        (3, "empty_line", None),
        (4, None, "c1"),
    ]


def write_compressed(path: Path, data: bytes) -> None:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(zstandard.ZstdCompressor().compress(data))


@pytest.mark.parametrize("name", ["x.jsonl.gz", "x.jsonl.zst", "x.json.gz", "x.json.zst"])
def test_compressed_files(tmp_path: Path, name: str) -> None:
    lines = "\n".join(json.dumps(r) for r in RECORDS) + "\n"
    data = lines if ".jsonl" in name else json.dumps(RECORDS, indent=1)
    write_compressed(tmp_path / name, data.encode())
    read = read_path(tmp_path, name, "openai")
    assert read.frame["id"].to_list() == ["c0", "c1", "c2"]
    assert read.rejects.height == 0


def test_truncated_archive_is_one_unreadable_file_reject(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(json.dumps(r) for r in RECORDS * 50)).encode())
    (tmp_path / "x.jsonl.gz").write_bytes(data[: len(data) // 2])
    read = read_path(tmp_path, "x.jsonl.gz", "openai")
    assert read.rejects["reason"].to_list()[-1] == "unreadable_file"
    assert read.rejects["file"].to_list() == ["x.jsonl.gz"] * read.rejects.height


def test_parquet_rows_are_numbered(tmp_path: Path) -> None:
    frame = pl.DataFrame([*RECORDS, {"id": "c3", "messages": []}])
    frame.write_parquet(tmp_path / "x.parquet")
    read = read_path(tmp_path, "x.parquet", "openai")
    assert read.frame["id"].to_list() == ["c0", "c1", "c2"]
    assert rejects(read) == [(4, "no_messages", "messages: the list of messages is empty")]


def test_glob_and_folder_read_files_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "parts" / "deep").mkdir(parents=True)
    write_jsonl(tmp_path / "parts" / "b.jsonl", RECORDS[1:2])
    write_jsonl(tmp_path / "parts" / "a.jsonl", RECORDS[:1])
    write_json(tmp_path / "parts" / "deep" / "c.json", RECORDS[2:])
    (tmp_path / "parts" / "notes.txt").write_text("not data")
    by_glob = read_path(tmp_path, "parts/*.jsonl", "openai")
    assert by_glob.frame["id"].to_list() == ["c0", "c1"]
    assert [f["path"] for f in by_glob.files] == ["parts/a.jsonl", "parts/b.jsonl"]
    by_folder = read_path(tmp_path, "parts", "openai")
    assert by_folder.frame["id"].to_list() == ["c0", "c1", "c2"]
    assert [f["path"] for f in by_folder.files] == ["parts/a.jsonl", "parts/b.jsonl", "parts/deep/c.json"]


def test_saved_dataset_folders(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    one = datasets.Dataset.from_list(RECORDS)
    one.save_to_disk(str(tmp_path / "one"))
    read = read_path(tmp_path, "one", "openai")
    assert read.frame["id"].to_list() == ["c0", "c1", "c2"]
    splits = datasets.DatasetDict({"train": one.select([0, 1]), "test": one.select([2])})
    splits.save_to_disk(str(tmp_path / "two"))
    bad = datasets.Dataset.from_list([{"id": "c9", "messages": [{"role": "robot", "content": "x"}]}])
    datasets.DatasetDict({"train": bad}).save_to_disk(str(tmp_path / "three"))
    read = read_path(tmp_path, "two", "openai")
    assert sorted(read.frame["id"].to_list()) == ["c0", "c1", "c2"]
    read = read_path(tmp_path, "three", "openai")
    assert list(read.rejects.select("file", "line", "reason").iter_rows()) == [
        ("three[train]", 1, "invalid_value")
    ]


def test_records_over_the_limit_are_rejected_and_limit_stops_reading(tmp_path: Path) -> None:
    big = {"messages": [{"role": "user", "content": "x" * 5000}]}
    read = read_path(
        tmp_path, write_jsonl(tmp_path / "x.jsonl", [RECORDS[0], big]).name, "openai", max_record_bytes=1000
    )
    assert [(line, reason) for line, reason, _ in rejects(read)] == [(2, "too_large")]
    limited = read_path(tmp_path, "x.jsonl", "openai", limit=1)
    assert (limited.records, limited.frame.height) == (1, 1)


def test_rows_built_in_chunks_keep_order_and_unique_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curate.readers import rows

    monkeypatch.setattr(rows, "CHUNK_ROWS", 2)
    write_jsonl(tmp_path / "x.jsonl", [RECORDS[0], RECORDS[1], RECORDS[0], RECORDS[2], RECORDS[0]])
    read = read_path(tmp_path, "x.jsonl", "openai")
    assert read.frame["id"].to_list() == ["c0", "c1", "c0#2", "c2", "c0#3"]
    assert read.frame.n_chunks() == 1


def test_reading_twice_gives_identical_frames(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "x.jsonl", [*RECORDS, {"messages": RECORDS[0]["messages"], "extra": {"b": 1, "a": 2}}]
    )
    first, second = (read_path(tmp_path, "x.jsonl", "auto") for _ in range(2))
    assert first.frame.equals(second.frame)
    assert first.frame["meta"].to_list()[-1] == '{"extra":{"b":1,"a":2}}'


def test_read_from_a_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from curate.readers import read

    write_jsonl(tmp_path / "x.jsonl", RECORDS)
    monkeypatch.chdir(tmp_path)
    found = read("x.jsonl", license="MIT", consent="granted", limit=2)
    assert (found.format, found.detected, found.name) == ("openai", True, "input")
    assert found.frame.select("id", "license", "consent").rows() == [
        ("c0", "MIT", "granted"),
        ("c1", "MIT", "granted"),
    ]


@pytest.mark.parametrize("name", ["x.jsonl.gz", "x.jsonl.zst", "x.jsonl.bz2", "x.jsonl.xz", "x.json.zst"])
def test_a_file_that_is_not_the_archive_its_name_says_is_one_unreadable_file_reject(
    tmp_path: Path, name: str
) -> None:
    write_jsonl(tmp_path / name, RECORDS)
    read = read_path(tmp_path, name, "openai")
    assert read.frame.height == 0
    assert read.rejects.select("file", "line", "reason").rows() == [(name, 0, "unreadable_file")]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["dup", "dup", "dup", "dup#2"], ["dup", "dup#2", "dup#3", "dup#2#2"]),
        (["dup#2", "dup", "dup"], ["dup#2", "dup", "dup#3"]),
        (["a", "b", "a", "b", "a"], ["a", "b", "a#2", "b#2", "a#3"]),
    ],
)
def test_a_repeated_id_gets_a_suffix_no_other_row_has(
    tmp_path: Path, ids: list[str], expected: list[str]
) -> None:
    records = [{"id": identifier, "messages": RECORDS[0]["messages"]} for identifier in ids]
    write_jsonl(tmp_path / "x.jsonl", records)
    assert read_path(tmp_path, "x.jsonl", "openai").frame["id"].to_list() == expected


def test_an_id_with_control_characters_is_a_reject(tmp_path: Path) -> None:
    records = [{"id": name, "messages": RECORDS[0]["messages"]} for name in ("ok", "bad\nline", "nul\x00")]
    write_jsonl(tmp_path / "x.jsonl", records)
    read = read_path(tmp_path, "x.jsonl", "openai")
    assert read.frame["id"].to_list() == ["ok"]
    assert [(line, reason) for line, reason, _ in rejects(read)] == [
        (2, "invalid_value"),
        (3, "invalid_value"),
    ]
    assert read.rejects["detail"].to_list() == ["id: holds control characters (NUL, newline, ...)"] * 2


def test_a_cut_zst_file_keeps_the_records_before_the_cut_and_is_named_unreadable(tmp_path: Path) -> None:
    rng = random.Random(0)
    many = [
        {
            "id": f"c{i}",
            "messages": [
                {"role": "user", "content": f"{rng.getrandbits(512):x}"},
                {"role": "assistant", "content": f"{rng.getrandbits(512):x}"},
            ],
        }
        for i in range(3000)
    ]
    data = "".join(json.dumps(record) + "\n" for record in many).encode()
    packed = zstandard.ZstdCompressor().compress(data)
    (tmp_path / "cut.jsonl.zst").write_bytes(packed[: len(packed) // 2])
    read = read_path(tmp_path, "cut.jsonl.zst", "openai")
    assert 0 < read.frame.height < 3000
    assert read.frame["id"].to_list() == [f"c{i}" for i in range(read.frame.height)]
    assert read.rejects.select("reason", "detail").rows()[-1] == (
        "unreadable_file",
        "EOFError: the file ends inside a zstd stream (cut or truncated)",
    )


def test_a_zst_file_of_several_frames_reads_whole(tmp_path: Path) -> None:
    many = [{"id": f"c{i}", "messages": RECORDS[0]["messages"]} for i in range(300)]
    data = "".join(json.dumps(record) + "\n" for record in many).encode()
    compress = zstandard.ZstdCompressor().compress
    (tmp_path / "x.jsonl.zst").write_bytes(compress(data[:1000]) + compress(data[1000:]))
    read = read_path(tmp_path, "x.jsonl.zst", "openai")
    assert (read.frame.height, read.rejects.height) == (300, 0)


def test_text_after_a_json_arrays_closing_bracket_is_a_reject(tmp_path: Path) -> None:
    records = json.dumps([{"id": "c0", "messages": RECORDS[0]["messages"]}], indent=1)
    (tmp_path / "x.json").write_text(records + '\n\n[{"id": "c1"}]\n')
    read = read_path(tmp_path, "x.json", "openai")
    assert read.frame["id"].to_list() == ["c0"]
    line = records.count("\n") + 3
    assert read.rejects.select("line", "reason").rows() == [(line, "invalid_json")]
    assert read.rejects["detail"][0].startswith("text after the closing ] of the JSON array")


@pytest.mark.parametrize(
    ("field", "detail"),
    [
        ('"score": ' + "9" * 401, "number is infinity when parsed as double"),
        ('"note": "half an emoji \\ud83d"', "no low surrogate in string"),
    ],
)
def test_a_json_array_element_json_lines_would_refuse_is_a_reject_not_a_crash(
    tmp_path: Path, field: str, detail: str
) -> None:
    good = json.dumps({"id": "c1", "messages": RECORDS[0]["messages"]})
    bad = '{"id": "c0", ' + field + ', "messages": ' + json.dumps(RECORDS[0]["messages"]) + "}"
    (tmp_path / "x.json").write_text(f"[{bad},\n{good}]")
    read = read_path(tmp_path, "x.json", "openai")
    assert read.frame["id"].to_list() == ["c1"]
    assert read.rejects.select("line", "reason").rows() == [(1, "invalid_json")]
    assert read.rejects["detail"][0].startswith(detail)
