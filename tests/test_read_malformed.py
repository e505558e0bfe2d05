"""A file of bad lines and an empty file: the run finishes and every bad line is a reject."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import polars as pl
import pytest

import curate
from curate.progress import QuietReporter
from tests.helpers import run_pipeline
from tests.reader_helpers import write_jsonl

GOOD = {"id": "g1", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
TEN_MB = orjson.dumps({"id": "big", "messages": [{"role": "user", "content": "x" * 10_000_000}]})

LINES: list[object] = [
    GOOD,
    '{"id": "t1", "messages": [{"role": "user", "con',
    {"id": "w1", "messages": "hello"},
    [1, 2],
    {"id": "w2", "messages": [{"role": 5, "content": "hi"}]},
    b'{"id": "u1", "messages": [{"role": "user", "content": "caf\xe9"}]}',
    TEN_MB,
    "",
    {**GOOD, "id": "g2"},
]
EXPECTED = [
    ("inputs/bad.jsonl", 2, "invalid_json"),
    ("inputs/bad.jsonl", 3, "wrong_type"),
    ("inputs/bad.jsonl", 4, "wrong_type"),
    ("inputs/bad.jsonl", 5, "wrong_type"),
    ("inputs/bad.jsonl", 6, "invalid_utf8"),
    ("inputs/bad.jsonl", 7, "too_large"),
    ("inputs/bad.jsonl", 8, "empty_line"),
]

PIPELINE = """
name: malformed
inputs:
  - name: logs
    path: inputs
    format: openai
stages: []
output:
  dir: out
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "inputs").mkdir()
    write_jsonl(tmp_path / "inputs" / "bad.jsonl", LINES)
    (tmp_path / "inputs" / "empty.jsonl").write_bytes(b"")
    return tmp_path


def test_every_bad_line_is_a_reject_with_its_line_and_reason(folder: Path) -> None:
    result = run_pipeline(folder, PIPELINE)
    assert result.output["id"].to_list() == ["g1", "g2"]
    written = pl.read_parquet(folder / "out" / "rejects" / "read.parquet")
    assert list(written.select("file", "line", "reason").iter_rows()) == EXPECTED
    assert set(written["stage"]) == {"read"}
    details = dict(zip(written["line"], written["detail"], strict=True))
    assert details[3] == "messages: expected a list, got str"
    assert details[4] == "expected a JSON object, got list"
    assert details[5] == "messages[0].role: expected a role name, got int"
    assert details[7] == f"{len(TEN_MB)} bytes > max_record_bytes 8388608"
    manifest = json.loads((folder / "out" / "manifest.json").read_text())
    read = manifest["inputs"][0]
    assert (read["records"], read["rows"], read["rejected"]) == (9, 2, 7)
    assert [f["path"] for f in read["files"]] == ["inputs/bad.jsonl", "inputs/empty.jsonl"]


def test_rejects_keep_the_raw_line_but_never_the_whole_huge_one(folder: Path) -> None:
    result = run_pipeline(folder, PIPELINE, write=False)
    raw = dict(
        zip(result.rejects_by_stage["read"]["line"], result.rejects_by_stage["read"]["raw"], strict=True)
    )
    assert raw[2] == '{"id": "t1", "messages": [{"role": "user", "con'
    assert len(raw[7]) < 2000
    assert raw[6] == '{"id": "u1", "messages": [{"role": "user", "content": "caf\ufffd"}]}'


def test_strict_raises_naming_file_and_line(folder: Path) -> None:
    with pytest.raises(curate.InputError, match=r"^inputs/bad\.jsonl:2: invalid_json: "):
        run_pipeline(folder, PIPELINE, strict=True)


class Recorder(QuietReporter):
    def __init__(self) -> None:
        self.messages: list[str] = []

    def message(self, text: str) -> None:
        self.messages.append(text)


def test_an_input_that_gives_no_row_is_named_in_the_summary(folder: Path) -> None:
    (folder / "more").mkdir()
    write_jsonl(folder / "more" / "bad.jsonl", ["{", [1], "{"])
    (folder / "none").mkdir()
    (folder / "none" / "empty.jsonl").write_bytes(b"")
    more = "  - {name: broken, path: more, format: openai}\n  - {name: blank, path: none, format: openai}\n"
    pipeline = PIPELINE.replace("stages: []", more + "stages: []")
    reporter = Recorder()
    run_pipeline(folder, pipeline, reporter=reporter)
    assert reporter.messages == [
        "input broken gave no rows: all 3 records were rejected"
        " (invalid_json 2, wrong_type 1; see rejects/read.parquet)",
        "input blank gave no rows: its 1 file(s) hold no record",
    ]
