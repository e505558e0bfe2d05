"""Fifty-odd malformed inputs, each made here and run through ``curate run``: every run ends
without a traceback, either with balanced counts (each stage's rows in are its rows out, or
consumed, plus its rejects, and the rejects are on disk) or refused with one line."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import zstandard
from click.testing import CliRunner

from curate.cli import cli
from tests.reader_helpers import oasst

TURNS = [{"role": "user", "content": "hello there"}, {"role": "assistant", "content": "hi, how can I help?"}]


def chat(identifier: str, **fields: Any) -> dict[str, Any]:
    return {"id": identifier, "messages": TURNS, **fields}


GOOD = [chat(f"c{i}") for i in range(40)]


def jsonl(records: list[Any]) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def array(*elements: str) -> bytes:
    return ("[" + ",\n".join(elements) + "]").encode()


def table(separator: str) -> bytes:
    frame = pl.DataFrame(
        {"id": [r["id"] for r in GOOD], "messages": [json.dumps(r["messages"]) for r in GOOD]}
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer, separator=separator)
    return buffer.getvalue()


def parquet(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame(rows).write_parquet(buffer)
    return buffer.getvalue()


def cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


def deep_tree(depth: int) -> str:
    text = "{}"
    for level in reversed(range(depth)):
        role = "prompter" if level % 2 == 0 else "assistant"
        text = f'{{"message_id": "m{level}", "role": "{role}", "text": "t", "replies": [{text}]}}'
    return '{"message_tree_id": "t", "prompt": ' + text.replace(', "replies": [{}]', "") + "}"


ZSTD = zstandard.ZstdCompressor().compress
PLAIN = jsonl(GOOD)
GOOD_ARRAY = json.dumps(GOOD).encode()
ONE = json.dumps(GOOD[0])
P = oasst("P", None, "prompter")
NAN_RANK = parquet([P | {"rank": None}, oasst("A", "P", "assistant", rank=float("nan"))])
INF_RANK = parquet([P | {"rank": None}, oasst("A", "P", "assistant", rank=float("inf"))])
NAN_TEXT = b'{"message_id": "A", "parent_id": "P", "role": "assistant", "text": "t", "rank": NaN}'
ODD_EMOJIS = oasst("A", "P", "assistant", emojis={"name": [["+1"]], "count": [1]})
CHAIN = [oasst(f"m{i}", f"m{i - 1}" if i else None, ["prompter", "assistant"][i % 2]) for i in range(4000)]
LOOP = [oasst("A", "B", "assistant"), oasst("B", "A", "prompter")]
DEEP_HTML = "<div>" * 3000 + "x" + "</div>" * 3000
SHAREGPT = {
    "id": "s",
    "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": DEEP_HTML}],
}
CALL = {"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]}
TOOLS = {"id": "t", "messages": [TURNS[0], CALL, {"role": "tool", "content": "42"}, TURNS[1]]}
DEEP_META = (
    b'{"id": "d", "messages": ' + json.dumps(TURNS).encode() + b', "x": ' + b"[" * 300 + b"]" * 300 + b"}"
)
HUGE_TURNS = [{"role": "user", "content": "word " * 600_000}, TURNS[1]]


@dataclass
class Case:
    name: str
    files: dict[str, bytes]
    format: str = "openai"
    reasons: set[str] = field(default_factory=set)
    """Read reasons the run must report (when it finishes)."""
    settings: dict[str, Any] = field(default_factory=dict)
    stages: str = "[{normalize: {}}]"
    output: str = "out"
    rows: int | None = None
    """Conversations the read must give (when it says)."""


def bad(name: str, files: dict[str, bytes], *reasons: str, **fields: Any) -> Case:
    return Case(name, files, reasons=set(reasons), **fields)


CASES = [
    # Records a JSON array holds.
    bad(
        "array-401-digits", {"x.json": array('{"id": "a", "score": ' + "9" * 401 + "}", ONE)}, "invalid_json"
    ),
    bad(
        "array-5000-digits",
        {"x.json": array('{"id": "a", "score": ' + "9" * 5000 + "}", ONE)},
        "invalid_json",
    ),
    bad("array-lone-surrogate", {"x.json": array('{"id": "\\ud83d"}', ONE)}, "invalid_json"),
    bad("array-5000-deep", {"x.json": array('{"a": ' + "[" * 5000 + "]" * 5000 + "}", ONE)}, "invalid_json"),
    bad("array-text-after", {"x.json": array(ONE) + b'\n[{"id": "again"}]'}, "invalid_json"),
    bad("array-bytes-after", {"x.json": array(ONE) + b"\n\xff\xfe\x00"}, "invalid_json"),
    bad("array-unclosed", {"x.json": array(ONE)[:-1]}, "invalid_json"),
    bad("array-of-scalars", {"x.json": b"[1, 2, null]"}, "wrong_type"),
    # oasst trees.
    bad("oasst-rank-nan", {"x.parquet": NAN_RANK}, "invalid_value", format="oasst"),
    bad("oasst-rank-infinity", {"x.parquet": INF_RANK}, "invalid_value", format="oasst"),
    bad("oasst-rank-nan-json", {"x.jsonl": jsonl([P, NAN_TEXT])}, "invalid_json", format="oasst"),
    bad("oasst-emojis-list-of-lists", {"x.jsonl": jsonl([P, ODD_EMOJIS])}, format="oasst", rows=1),
    bad("oasst-chain-4000", {"x.jsonl": jsonl(CHAIN)}, "too_deep", format="oasst", rows=50),
    bad(
        "oasst-nested-too-deep", {"x.json": ("[" + deep_tree(300) + "]").encode()}, "too_deep", format="oasst"
    ),
    bad("oasst-parent-loop", {"x.jsonl": jsonl(LOOP)}, "orphan", format="oasst"),
    # HTML, tools, ids, sizes, tables.
    bad("sharegpt-3000-divs", {"x.jsonl": jsonl([SHAREGPT])}, "too_deep", format="sharegpt"),
    bad("openai-tool-calls", {"x.jsonl": jsonl([TOOLS])}, rows=1),
    bad(
        "openai-tools-reject",
        {"x.jsonl": jsonl([TOOLS, GOOD[0]])},
        "invalid_value",
        settings={"options": {"tools": "reject"}},
    ),
    bad(
        "ids-that-collide", {"x.jsonl": jsonl([chat("dup"), chat("dup"), chat("dup"), chat("dup#2")])}, rows=4
    ),
    bad(
        "ids-with-control-characters",
        {"x.jsonl": jsonl([chat("a\x00b"), chat("a\nb"), GOOD[0]])},
        "invalid_value",
    ),
    bad("record-of-10-MB", {"x.jsonl": jsonl([chat("big", note="x" * 10_000_000), GOOD[0]])}, "too_large"),
    bad("line-not-utf8", {"x.jsonl": jsonl([b'{"id": "caf\xe9"}', GOOD[0]])}, "invalid_utf8"),
    bad(
        "line-5000-deep",
        {"x.jsonl": jsonl([b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", GOOD[0]])},
        "invalid_json",
    ),
    bad("meta-300-deep", {"x.jsonl": jsonl([DEEP_META, GOOD[0]])}, "invalid_value"),
    bad("blank-lines-between", {"x.jsonl": jsonl([GOOD[0], b"", b"  ", GOOD[1]])}, "empty_line"),
    bad(
        "message-of-3-MB",
        {"x.jsonl": jsonl([chat("huge", messages=HUGE_TURNS), GOOD[0]])},
        stages="[{pii: {}}]",
    ),
    bad("csv-python-literal", {"x.csv": b"id,messages\na,\"[{'role': 'user'}]\"\n"}, "invalid_json"),
    bad("csv-ragged-row", {"x.csv": b"id,messages\na,[],extra,more\n"}, "invalid_value"),
    bad("tsv-not-utf8", {"x.tsv": b"id\tmessages\ncaf\xe9\t[]\n"}, "invalid_utf8"),
    # Files cut short.
    bad("cut-jsonl", {"x.jsonl": cut(PLAIN)}, "invalid_json"),
    bad("cut-json", {"x.json": cut(GOOD_ARRAY)}, "invalid_json"),
    bad("cut-parquet", {"x.parquet": cut(parquet(GOOD))}, "unreadable_file"),
    bad("cut-csv", {"x.csv": cut(table(","))}),
    bad("cut-tsv", {"x.tsv": cut(table("\t"))}),
    bad("cut-jsonl-gz", {"x.jsonl.gz": cut(gzip.compress(PLAIN))}, "unreadable_file"),
    bad("cut-json-bz2", {"x.json.bz2": cut(bz2.compress(GOOD_ARRAY))}, "unreadable_file"),
    bad("cut-csv-xz", {"x.csv.xz": cut(lzma.compress(table(",")))}, "unreadable_file"),
    bad("cut-jsonl-zst", {"x.jsonl.zst": cut(ZSTD(PLAIN))}, "unreadable_file"),
    bad("cut-parquet-zst", {"x.parquet.zst": cut(ZSTD(parquet(GOOD)))}, "unreadable_file"),
    # Bytes after the last compressed stream.
    bad("garbage-after-gz", {"x.jsonl.gz": gzip.compress(PLAIN) + b"junk"}, "unreadable_file", rows=40),
    bad("garbage-after-bz2", {"x.json.bz2": bz2.compress(GOOD_ARRAY) + b"junk"}, "unreadable_file", rows=40),
    bad(
        "garbage-after-xz",
        {"x.parquet.xz": lzma.compress(parquet(GOOD)) + b"junk"},
        "unreadable_file",
        rows=40,
    ),
    bad("garbage-after-zst", {"x.tsv.zst": ZSTD(table("\t")) + b"junk"}, "unreadable_file", rows=40),
    # Files that are not what their names say.
    bad("parquet-named-jsonl", {"x.jsonl": parquet(GOOD)}),
    bad("jsonl-named-parquet", {"x.parquet": PLAIN}, "unreadable_file"),
    bad("gzip-named-zst", {"x.jsonl.zst": gzip.compress(PLAIN)}, "unreadable_file"),
    bad("zstd-named-gz", {"x.jsonl.gz": ZSTD(PLAIN)}, "unreadable_file"),
    bad("plain-named-bz2", {"x.jsonl.bz2": PLAIN}, "unreadable_file"),
    bad("plain-named-xz", {"x.csv.xz": table(",")}, "unreadable_file"),
    bad("csv-named-json", {"x.json": table(",")}, "invalid_json"),
    bad("json-named-csv", {"x.csv": GOOD_ARRAY}),
    bad("jsonl-named-tsv", {"x.tsv": PLAIN}),
    # Inputs with nothing to give, and an output where it must not go.
    bad("empty-files", {"x.jsonl": b"", "y.parquet": b"", "z.json.gz": b""}),
    bad("only-bad-files", {"x.jsonl": b"{\n[1]\n", "y.parquet": b"PAR1", "z.csv.gz": b"\x1f\x8b junk"}),
    bad("output-inside-the-input", {"x.jsonl": PLAIN}, output="in/out"),
]


def balanced(out: Path) -> dict[str, int]:
    """Check the counts of a finished run's folder; return its read reasons."""
    manifest = json.loads((out / "manifest.json").read_text())
    stages = manifest["stages"]
    assert stages[0]["rows_in"] == sum(read["records"] for read in manifest["inputs"])
    for before, stage in zip([None, *stages], stages, strict=False):
        if before is not None:
            assert stage["rows_in"] == before["rows_out"], stage["name"]
        used = stage["rows_consumed"] if stage.get("rows_consumed") is not None else stage["rows_out"]
        assert stage["rows_in"] == used + stage["rows_rejected"], stage["name"]
        rejects = out / "rejects" / f"{stage['name']}.parquet"
        on_disk = pl.read_parquet(rejects).height if rejects.exists() else 0
        assert on_disk == stage["rows_rejected"], stage["name"]
    reasons: dict[str, int] = stages[0]["reasons"]
    return reasons


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_malformed_input_ends_in_balanced_counts_or_one_line(tmp_path: Path, case: Case) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in case.files.items():
        (folder / name).write_bytes(data)
    spec = {"name": "case", "path": "in", "format": case.format, "license": "MIT", **case.settings}
    (tmp_path / "pipeline.yaml").write_text(
        textwrap.dedent(
            f"""
            name: case
            inputs: [{json.dumps(spec)}]
            stages: {case.stages}
            output: {{dir: {case.output}, card: false}}
            """
        )
    )
    outcome = CliRunner().invoke(cli, ["run", str(tmp_path / "pipeline.yaml"), "-q", "--workers", "1"])
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        raise AssertionError(
            f"{case.name}: {type(outcome.exception).__name__} escaped"
        ) from outcome.exception
    lines = outcome.stderr.splitlines()
    if outcome.exit_code:
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
    else:
        assert lines == []
    out = tmp_path / case.output
    if (out / "manifest.json").exists():
        assert case.reasons <= set(balanced(out)), balanced(out)
        if case.rows is not None:
            assert json.loads((out / "manifest.json").read_text())["stages"][0]["rows_out"] == case.rows
    else:
        assert outcome.exit_code == 2 and not case.reasons


def test_the_cases_cover_every_format_and_compression() -> None:
    names = {name for case in CASES for name in case.files}
    for suffix in (".jsonl", ".json", ".parquet", ".csv", ".tsv", ".gz", ".bz2", ".xz", ".zst"):
        assert any(suffix in name for name in names), suffix
    assert len(CASES) >= 50
