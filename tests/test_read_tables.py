"""CSV and TSV inputs: one record per row, JSON columns parsed, Python literals refused."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from curate.readers.files import iter_raw_records
from tests.reader_helpers import read_path, rejects, roles, rows

KAGGLE_HEADER = ["id", "model_a", "model_b", "prompt", "response_a", "response_b"]
FLAGS = ["winner_model_a", "winner_model_b", "winner_tie"]


def table(rows_: list[list[Any]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows_)
    return out.getvalue()


def kaggle_row(
    identifier: int, prompt: list[str], a: list[str | None], b: list[str | None], flags: str
) -> list[Any]:
    return [
        identifier,
        "gpt-4-0613",
        "llama-2-70b-chat",
        json.dumps(prompt),
        json.dumps(a),
        json.dumps(b),
        *flags,
    ]


def test_an_arena_csv_with_json_columns_reads_as_battles(tmp_path: Path) -> None:
    text = table(
        [
            KAGGLE_HEADER + FLAGS,
            kaggle_row(1, ["2+2?"], ["4"], ["5"], "100"),
            kaggle_row(2, ["Write two lines\nabout the sea"], ["Waves\nand foam"], [None], "001"),
        ]
    )
    (tmp_path / "train.csv").write_text(text, encoding="utf-8")
    read = read_path(tmp_path, "train.csv")
    assert read.format == "arena"
    first_a, first_b, second_a, second_b = rows(read)
    assert (first_a["id"], first_a["signal"]["outcome"], first_b["signal"]["outcome"]) == (
        "1:a",
        "win",
        "loss",
    )
    assert roles(second_a) == [("user", "Write two lines\nabout the sea"), ("assistant", "Waves\nand foam")]
    assert roles(second_b)[-1] == ("assistant", "")
    assert second_a["signal"]["outcome"] == "tie"
    assert read.rejects.height == 0


def test_each_row_keeps_the_line_it_starts_on(tmp_path: Path) -> None:
    text = table([["id", "note"], ["a", "one line"], ["b", "two\nlines"], ["c", "[not json] but text"]])
    (tmp_path / "x.csv").write_text(text, encoding="utf-8")
    found = [(r.line, r.value) for r in iter_raw_records(tmp_path / "x.csv", "f", 1 << 20)]
    assert found == [
        (2, {"id": "a", "note": "one line"}),
        (3, {"id": "b", "note": "two\nlines"}),
        (5, {"id": "c", "note": "[not json] but text"}),
    ]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["", "x"], {"a": None, "b": "x"}),
        (['{"k": [1, 2]}', "3.5"], {"a": {"k": [1, 2]}, "b": "3.5"}),
        (["  [1, null]  ", "[citation needed]"], {"a": [1, None], "b": "[citation needed]"}),
        (["only one"], {"a": "only one", "b": None}),
    ],
)
def test_cells(tmp_path: Path, cells: list[str], expected: dict[str, Any]) -> None:
    (tmp_path / "x.tsv").write_text(table([["a", "b"], cells], "\t"), encoding="utf-8")
    (record,) = iter_raw_records(tmp_path / "x.tsv", "f", 1 << 20)
    assert record.value == expected


@pytest.mark.parametrize(
    ("cells", "reason", "detail"),
    [
        (
            ["['2+2?']", "x"],
            "invalid_json",
            "column 'a' holds a Python literal (single quotes, None, True), not JSON; write nested "
            "columns with json.dumps (or DataFrame.to_json) and read the file again",
        ),
        (["{'role': 'user'}", "x"], "invalid_json", "column 'a' holds a Python literal"),
        (["[1, None]", "x"], "invalid_json", "column 'a' holds a Python literal"),
        (["x", "y", "z"], "invalid_value", "the row has 3 fields, the header 2"),
    ],
)
def test_rows_refused(tmp_path: Path, cells: list[str], reason: str, detail: str) -> None:
    (tmp_path / "x.csv").write_text(table([["a", "b"], ["fine", "row"], cells]), encoding="utf-8")
    found = list(iter_raw_records(tmp_path / "x.csv", "f", 1 << 20))
    assert found[0].ok
    assert (found[1].line, found[1].reason) == (3, reason)
    assert (found[1].detail or "").startswith(detail)


def test_a_python_repr_column_is_a_read_reject_naming_the_column(tmp_path: Path) -> None:
    text = table([KAGGLE_HEADER + FLAGS, [1, "m1", "m2", str(["hi"]), str(["a"]), str(["b"]), 1, 0, 0]])
    (tmp_path / "train.csv").write_text(text, encoding="utf-8")
    read = read_path(tmp_path, "train.csv", "arena")
    assert read.frame.height == 0
    ((line, reason, detail),) = rejects(read)
    assert (line, reason) == (2, "invalid_json")
    assert detail.startswith("column 'prompt' holds a Python literal")


def test_large_rows_bom_and_compression(tmp_path: Path) -> None:
    text = table([["id", "note"], ["a", "x" * 50], ["b", "short"]])
    (tmp_path / "x.csv.gz").write_bytes(gzip.compress(("\ufeff" + text).encode()))
    found = list(iter_raw_records(tmp_path / "x.csv.gz", "f", 40))
    assert [(r.line, r.reason) for r in found] == [(2, "too_large"), (3, None)]
    assert found[1].value == {"id": "b", "note": "short"}


def test_a_folder_input_reads_csv_and_tsv_files(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    header = ["prompt", "chosen", "rejected", "score_chosen", "score_rejected"]
    (tmp_path / "parts" / "a.csv").write_text(
        table([header, ["Q", "good", "bad", "8", "3"]]), encoding="utf-8"
    )
    (tmp_path / "parts" / "b.tsv").write_text(
        table([header, ["Q2", "yes", "no", "", ""]], "\t"), encoding="utf-8"
    )
    read = read_path(tmp_path, "parts", "preference")
    found = rows(read)
    assert [row["signal"]["score"] for row in found] == [8.0, 3.0, None, None]
    assert [f["path"] for f in read.files] == ["parts/a.csv", "parts/b.tsv"]
