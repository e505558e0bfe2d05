"""The work folder: shards count only once their marker exists; resume refuses a changed run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from curate.errors import OutputError
from curate.executors.workdir import RunKey, WorkFolder

KEY = RunKey(
    curate_version="0.1.0",
    config_hash="sha256:aa",
    inputs=(("chats", (("chats.jsonl", "ff"),)),),
    shard_rows=100,
    limit=None,
)


def test_a_shard_is_finished_once_its_marker_is_written(tmp_path: Path) -> None:
    work, resumed = WorkFolder.open(tmp_path / "w", KEY, resume=False, restart=False)
    assert not resumed
    frame = pl.DataFrame({"id": ["a", "b"]})
    work.write_shard("01-read", "00-00000", {"kept": frame}, {"rows": 2})
    (work.step("01-read") / "00-00001.kept.parquet").write_bytes(b"half written")
    assert work.finished("01-read") == ["00-00000"]
    assert work.facts("01-read", "00-00000") == {"parts": ["kept"], "rows": 2}
    read_back = work.frame("01-read", "00-00000", "kept")
    assert read_back.equals(frame)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"config_hash": "sha256:bb"}, "the pipeline file changed"),
        ({"curate_version": "0.2.0"}, "curate 0.1.0 -> 0.2.0"),
        ({"inputs": (("chats", (("chats.jsonl", "00"),)),)}, "the files of input 'chats' changed"),
        ({"inputs": ()}, "input 'chats' is gone"),
        ({"shard_rows": 50}, "shard size 100 -> 50 rows"),
        ({"limit": 10}, "--limit None -> 10"),
    ],
)
def test_resume_refuses_a_changed_run_and_names_the_change(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    WorkFolder.open(tmp_path / "w", KEY, resume=False, restart=False)
    with pytest.raises(OutputError, match=message):
        WorkFolder.open(tmp_path / "w", replace(KEY, **change), resume=True, restart=False)  # type: ignore[arg-type]
    _, resumed = WorkFolder.open(tmp_path / "w", replace(KEY, **change), resume=True, restart=True)  # type: ignore[arg-type]
    assert not resumed


def test_an_earlier_run_is_neither_reused_nor_deleted_without_a_flag(tmp_path: Path) -> None:
    work, _ = WorkFolder.open(tmp_path / "w", KEY, resume=False, restart=False)
    work.write_shard("01-read", "00-00000", {"kept": pl.DataFrame({"id": ["a"]})}, {})
    with pytest.raises(OutputError, match="pass --resume to continue it, or --restart"):
        WorkFolder.open(tmp_path / "w", KEY, resume=False, restart=False)
    work, resumed = WorkFolder.open(tmp_path / "w", KEY, resume=True, restart=False)
    assert resumed and work.finished("01-read") == ["00-00000"]


def test_a_folder_curate_did_not_make_is_never_used(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not one a curate run made"):
        WorkFolder.open(tmp_path / "w", KEY, resume=True, restart=True)
    assert (tmp_path / "w" / "notes.txt").read_text() == "mine"
