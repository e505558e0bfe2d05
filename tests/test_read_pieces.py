"""An input read in pieces (files, line ranges) gives the shards its one pass gives, exactly.

No Ray here: the pieces are read and assembled in this process, as the Ray executor's tasks
and driver do, and compared with ``InputStream.shards``: rows (ids made unique across files),
rejects (file, line, reason, raw) and each shard's figures.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.config import InputConfig
from curate.executors.ray.assemble import assemble
from curate.executors.ray.pieces import Piece, defers, line_ranges, plan_pieces, read_piece, row_group_ranges
from curate.executors.workdir import WorkFolder
from curate.readers.load import InputStream
from curate.readers.locate import locate
from curate.registry import readers


def chat(identifier: str, text: str = "hello") -> str:
    record = {
        "id": identifier,
        "messages": [
            {"role": "user", "content": f"{text} {identifier}"},
            {"role": "assistant", "content": "hi"},
        ],
    }
    return json.dumps(record)


def write_folder(folder: Path) -> None:
    """Files whose order and content exercise what the one pass decides: ids taken by earlier
    files, blank lines between records and at the end, broken lines, a BOM, compression,
    a JSON array, a last line without its newline."""
    folder.mkdir()
    first = ["\ufeff" + chat("a"), chat("b"), "", chat("c"), "{broken", chat("a"), "", ""]
    (folder / "01.jsonl").write_text("\n".join(first) + "\n", encoding="utf-8")
    lines = [chat(f"r{number}") for number in range(30)]
    lines[7] = ""
    lines[12] = '["not an object"]'
    lines[20] = chat("a")
    (folder / "02.jsonl").write_text("\n".join(lines), encoding="utf-8")  # no final newline
    with gzip.open(folder / "03.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join([chat("b"), chat("z"), "oops"]) + "\n")
    array = [json.loads(chat("a")), json.loads(chat("y")), {"id": "x", "messages": "not a list"}]
    (folder / "04.json").write_text(json.dumps(array, indent=1), encoding="utf-8")
    (folder / "05.jsonl").write_text("\n\n\n", encoding="utf-8")  # only blank lines


def spec_of(path: str) -> InputConfig:
    return InputConfig.model_validate(
        {"name": "chats", "path": path, "format": "openai", "license": "MIT"},
        context={"base_dir": Path("/")},
    )


def one_pass(spec: InputConfig, base: Path, shard_rows: int) -> list[dict[str, Any]]:
    stream = InputStream(spec, base)
    return [
        {"rows": shard.frame, "rejects": shard.rejects, "records": shard.records}
        for shard in stream.shards(shard_rows)
    ]


def in_pieces(
    spec: InputConfig, base: Path, work: Path, shard_rows: int, piece_bytes: int
) -> list[dict[str, Any]]:
    folder = WorkFolder(work)
    located = locate(spec, base)
    pieces = plan_pieces(0, located, piece_bytes)
    assert pieces, "the input makes several pieces"
    reader = readers.get(spec.format)
    for piece in pieces:
        read_piece(piece, spec, reader, folder, "01-read")
    found = []
    for shard in assemble(folder, "01-read", pieces, shard_rows, strict=False):
        facts = shard.facts["read"]
        rows, rejects = shard.rows(folder), shard.parts_of(folder)["rejects-read"]
        assert (facts["rows"], facts["rejected"]) == (rows.height, rejects.height)
        found.append({"rows": rows, "rejects": rejects, "records": facts["records"]})
    return found


def assert_same(expected: list[dict[str, Any]], found: list[dict[str, Any]]) -> None:
    assert len(found) == len(expected)
    for mine, theirs in zip(found, expected, strict=True):
        assert mine["records"] == theirs["records"]
        assert mine["rows"].equals(theirs["rows"])
        assert mine["rejects"].equals(theirs["rejects"])


@pytest.mark.parametrize("path", ["chats", "chats/*.json*"], ids=["folder", "glob"])
@pytest.mark.parametrize(("shard_rows", "piece_bytes"), [(4, 10**9), (7, 300), (1000, 200)])
def test_a_folder_or_glob_read_in_pieces_gives_the_shards_of_one_pass(
    tmp_path: Path, path: str, shard_rows: int, piece_bytes: int
) -> None:
    write_folder(tmp_path / "chats")
    spec = spec_of(str(tmp_path / path))
    expected = one_pass(spec, tmp_path, shard_rows)
    assert any(frame["rejects"].height for frame in expected) and sum(f["rows"].height for f in expected) > 30
    assert "a#2" in pl.concat([shard["rows"] for shard in expected])["id"].to_list()
    assert_same(expected, in_pieces(spec, tmp_path, tmp_path / "work", shard_rows, piece_bytes))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(["a", "b", "c", "d"]).map(chat),
            st.just(""),
            st.just("{broken"),
            st.just("[1]"),
        ),
        min_size=1,
        max_size=40,
    ),
    shard_rows=st.integers(min_value=1, max_value=9),
    piece_bytes=st.integers(min_value=1, max_value=400),
    newline=st.booleans(),
)
def test_line_ranges_of_one_file_give_the_shards_of_one_pass(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[str],
    shard_rows: int,
    piece_bytes: int,
    newline: bool,
) -> None:
    """A JSON Lines file cut at line starts anywhere: ids, line numbers, blank lines (rejects
    only before a later record) and shard cuts are the one pass's."""
    folder = tmp_path_factory.mktemp("ranges")
    file = folder / "chats.jsonl"
    file.write_text("\n".join(lines) + ("\n" if newline else ""), encoding="utf-8")
    spec = spec_of(str(file))
    located = locate(spec, folder)
    if len(plan_pieces(0, located, piece_bytes)) < 2:
        return
    expected = one_pass(spec, folder, shard_rows)
    assert_same(expected, in_pieces(spec, folder, folder / "work", shard_rows, piece_bytes))


@pytest.mark.parametrize(
    ("text", "piece_bytes", "starts"),
    [
        ("aa\nbb\ncc\n", 3, [0, 3, 6]),
        ("aa\nbb\ncc\n", 4, [0, 6]),
        ("aaaaaaaa\nb\n", 2, [0, 9]),
        ("a\nb", 100, [0]),
    ],
)
def test_line_ranges_start_at_line_starts(
    tmp_path: Path, text: str, piece_bytes: int, starts: list[int]
) -> None:
    file = tmp_path / "x.jsonl"
    file.write_bytes(text.encode())
    ranges = line_ranges(file, len(text), piece_bytes)
    assert [start for start, _ in ranges] == starts
    assert ranges[-1][1] == len(text)


def test_an_input_is_read_in_one_pass_when_pieces_cannot_give_its_shards(tmp_path: Path) -> None:
    (tmp_path / "one.jsonl").write_text(chat("a") + "\n")
    assert plan_pieces(0, locate(spec_of(str(tmp_path / "one.jsonl")), tmp_path), 10) == []
    assert defers(readers.get("oasst")) and not defers(readers.get("openai"))
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not a footer")
    assert (
        row_group_ranges(tmp_path / "broken.parquet", 17, 1) == []
    )  # read whole: its reject as one pass gives
    piece = Piece(0, 3, tmp_path / "one.jsonl", "one.jsonl", 5, 9)
    assert (piece.key, piece.ranged) == ("00-00003", True)


def test_under_strict_the_first_reject_in_file_order_stops_the_read_with_the_one_pass_message(
    tmp_path: Path,
) -> None:
    from curate.errors import InputError

    write_folder(tmp_path / "chats")
    spec = spec_of(str(tmp_path / "chats"))
    with pytest.raises(InputError) as expected:
        list(InputStream(spec, tmp_path, strict=True).shards(5))
    folder = WorkFolder(tmp_path / "work")
    pieces = plan_pieces(0, locate(spec, tmp_path), 150)
    for piece in pieces:
        read_piece(piece, spec, readers.get(spec.format), folder, "01-read")
    with pytest.raises(InputError) as found:
        list(assemble(folder, "01-read", pieces, 5, strict=True))
    assert str(found.value) == str(expected.value)
    assert "01.jsonl:3: empty_line" in str(found.value)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=30),
    group_rows=st.integers(min_value=1, max_value=6),
    shard_rows=st.integers(min_value=1, max_value=9),
    bad=st.integers(min_value=0, max_value=29),
)
def test_row_groups_of_a_parquet_file_give_the_shards_of_one_pass(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str], group_rows: int, shard_rows: int, bad: int
) -> None:
    """Runs of row groups, their rows numbered on from the groups before them."""
    folder = tmp_path_factory.mktemp("groups")
    file = folder / "chats.parquet"
    records = [json.loads(chat(identifier)) for identifier in ids]
    records[bad % len(records)]["messages"][0]["role"] = "robot"  # a reject naming its row
    pl.DataFrame(records).write_parquet(file, row_group_size=group_rows)
    spec = spec_of(str(file))
    pieces = plan_pieces(0, locate(spec, folder), 1)
    if len(pieces) < 2:
        return
    assert all(piece.groups is not None and not piece.ranged for piece in pieces)
    expected = one_pass(spec, folder, shard_rows)
    assert_same(expected, in_pieces(spec, folder, folder / "work", shard_rows, 1))


def test_remote_files_of_a_hub_input_are_pieces_whole_and_give_the_shards_of_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Hub dataset's files, offline from the cache: each is a piece (never cut, whatever its
    size), which travels to its task pickled as Ray sends it, and the shards are the one pass's."""
    from ray import cloudpickle

    from curate.readers.remote import RemoteFile
    from tests.hub_cache import HubCache

    write_folder(tmp_path / "chats")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    files = {f"data/{path.name}": path.read_bytes() for path in sorted((tmp_path / "chats").iterdir())}
    HubCache(tmp_path / "hub").add("curate-test/chats", files, sha="3" * 40)
    spec = spec_of("hf://datasets/curate-test/chats/data/*")
    pieces = plan_pieces(0, locate(spec, tmp_path), piece_bytes=1)
    assert len(pieces) == len(files) and all(isinstance(piece.file, RemoteFile) for piece in pieces)
    assert all(piece.end is None and piece.groups is None for piece in pieces)
    travelled = cloudpickle.loads(cloudpickle.dumps(pieces))
    assert [piece.label for piece in travelled] == [
        f"hf://datasets/curate-test/chats/{path}" for path in files
    ]

    folder = WorkFolder(tmp_path / "work")
    reader = readers.get(spec.format)
    for piece in travelled:
        read_piece(piece, spec, reader, folder, "01-read")
    found = []
    for shard in assemble(folder, "01-read", travelled, 7, strict=False):
        rows, rejects = shard.rows(folder), shard.parts_of(folder)["rejects-read"]
        found.append({"rows": rows, "rejects": rejects, "records": shard.facts["read"]["records"]})
    expected = one_pass(spec, tmp_path, 7)
    assert any(shard["rejects"].height for shard in expected)
    assert_same(expected, found)


def test_one_remote_file_is_a_piece_its_task_opens_where_the_driver_listed_it(tmp_path: Path) -> None:
    """A single URL is a piece too (a local file alone is not): its task reads the bytes the
    driver listed, over a pickled opener, with the driver's settings rather than its own."""
    from ray import cloudpickle

    from tests.file_server import FileServer

    write_folder(tmp_path / "chats")
    data = (tmp_path / "chats" / "02.jsonl").read_bytes()
    assert plan_pieces(0, locate(spec_of(str(tmp_path / "chats" / "02.jsonl")), tmp_path), 10**9) == []
    with FileServer({"/02.jsonl": data}) as server:
        spec = spec_of(f"{server.url}/02.jsonl")
        [piece] = cloudpickle.loads(cloudpickle.dumps(plan_pieces(0, locate(spec, tmp_path), 10**9)))
        folder = WorkFolder(tmp_path / "work")
        read_piece(piece, spec, readers.get(spec.format), folder, "01-read")
        [shard] = assemble(folder, "01-read", [piece], 1000, strict=False)
        rows, rejects = shard.rows(folder), shard.parts_of(folder)["rejects-read"]
        [expected] = one_pass(spec, tmp_path, 1000)
    assert rows.equals(expected["rows"]) and rejects.equals(expected["rejects"]) and rows.height == 28
