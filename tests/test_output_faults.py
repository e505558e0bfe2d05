"""Disk faults: a read-only or full output location is refused before any work, and a disk
error met during the run is one line naming the path, with the output's usual exit code."""

from __future__ import annotations

import errno
import os
import shutil
import textwrap
from collections import namedtuple
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

import curate.writers.disk
from curate.cli import cli
from curate.executors.workdir import WorkFolder
from curate.readers.load import InputStream

CHATS = "".join(
    f'{{"id": "c{i}", "messages": [{{"role": "user", "content": "question {i}"}},'
    f' {{"role": "assistant", "content": "answer {i}"}}]}}\n'
    for i in range(3)
)
Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "chats.jsonl").write_text(CHATS)
    (tmp_path / "pipeline.yaml").write_text(
        textwrap.dedent(
            """
            name: faults
            inputs: [{name: chats, path: chats.jsonl, format: openai, license: MIT}]
            stages: [{normalize: {}}]
            output: {dir: out/faults, card: false}
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*arguments: str) -> tuple[int, list[str]]:
    """Exit code and stderr lines of ``curate run pipeline.yaml -q ...``."""
    outcome = CliRunner().invoke(cli, ["run", "pipeline.yaml", "-q", *arguments])
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.exception
    return outcome.exit_code, outcome.stderr.splitlines()


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading an input fails the test: the refusal must come before any work."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an input was read")

    monkeypatch.setattr(InputStream, "shards", refuse)


@pytest.mark.usefixtures("no_reading")
@pytest.mark.parametrize(
    ("code", "said"),
    [(errno.EROFS, "the file system is read-only (EROFS)"), (errno.EACCES, "permission denied (EACCES)")],
)
def test_an_output_location_that_takes_no_file_is_refused_before_any_work(
    project: Path, monkeypatch: pytest.MonkeyPatch, code: int, said: str
) -> None:
    write_bytes = Path.write_bytes

    def refusing(self: Path, data: Any) -> int:
        if self.name.startswith(".curate-probe-"):
            raise OSError(code, os.strerror(code), str(self))
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", refusing)
    status, lines = run()
    assert (status, lines) == (
        2,
        [f"error: cannot write into {project / 'out'}: {said}; choose another output folder"],
    )
    assert not (project / "out" / "faults").exists()


@pytest.mark.usefixtures("no_reading")
def test_a_disk_without_room_for_the_inputs_is_refused_before_any_work(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(curate.writers.disk.shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - 100, 100))
    status, lines = run()
    size = len(CHATS.encode())
    assert status == 2
    assert lines == [
        f"error: not enough free space in {project / 'out'}: 100 bytes free, and the run needs about"
        f" {size} bytes (the size of its inputs); free some space or choose another output folder"
    ]


def test_a_sample_run_is_not_held_to_the_size_of_the_inputs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shutil.disk_usage
    monkeypatch.setattr(curate.writers.disk.shutil, "disk_usage", lambda path: real(path)._replace(free=100))
    assert run("--limit", "2")[0] == 0


def test_a_full_disk_while_writing_the_output_is_one_line_and_keeps_the_shards(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_parquet = pl.DataFrame.write_parquet

    def full(self: pl.DataFrame, file: Any, *args: Any, **kwargs: Any) -> None:
        if ".faults.tmp-" not in str(file):  # the work folder has room, the output does not
            return write_parquet(self, file, *args, **kwargs)
        raise pl.exceptions.ComputeError(
            "parquet: File out of specification: underlying IO error: No space left on device (os error 28)"
        )

    parquet_writer = curate.writers.streams._parquet_writer

    def full_stream(path: Path, schema: Any) -> Any:
        if ".faults.tmp-" not in str(path):
            return parquet_writer(path, schema)
        raise OSError(errno.ENOSPC, "No space left on device")  # as pyarrow raises it: no file name

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    # The output's data and rejects are streamed through pyarrow (curate.writers.streams).
    monkeypatch.setattr(curate.writers.streams, "_parquet_writer", full_stream)
    status, lines = run()
    target = project / "out" / "faults"
    hint = "free some space, then run again with --resume"
    assert (status, lines) == (2, [f"error: {target}: no space left on the device (ENOSPC); {hint}"])
    assert not target.exists()
    assert list((project / "out" / "faults.work" / "steps").iterdir())  # what --resume starts from


def test_a_refused_write_during_the_work_names_the_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: WorkFolder, step: str, shard: str, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self.path / "steps" / step / shard))

    monkeypatch.setattr(WorkFolder, "write_shard", refused)
    status, lines = run("--workers", "1")
    assert status == 2
    [line] = lines
    assert line.startswith(f"error: {project / 'out' / 'faults.work' / 'steps'}/")
    assert line.endswith(": permission denied (EACCES)")


def test_other_os_errors_are_not_disguised(project: Path) -> None:
    with pytest.raises(FileNotFoundError), curate.writers.disk.disk_faults(project):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "x")
