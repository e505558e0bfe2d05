"""A run never destroys what is not its own: refused targets, --overwrite, the lock, Ctrl-C.

Every refusal is checked twice: the message says why, and the files that were there are
all still there, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import curate
from curate.cli import cli
from curate.errors import OutputError
from curate.writers.atomic import remove_stale_staging

CHATS = "".join(
    f'{{"id": "c{i}", "messages": [{{"role": "user", "content": "question {i}"}},'
    f' {{"role": "assistant", "content": "answer {i}"}}]}}\n'
    for i in range(3)
)


@pytest.fixture
def project(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A user's project: a pipeline file, an input folder, notes; a fake home beside it."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "chats.jsonl").write_text(CHATS)
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("keep me\n")
    (root / "pipeline.yaml").write_text(
        textwrap.dedent(
            """
            name: safe
            inputs: [{name: chats, path: data, format: openai, license: MIT}]
            stages: [{normalize: {}}]
            output: {dir: out/safe, card: false}
            """
        )
    )
    home = tmp_path_factory.mktemp("home")
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("secret\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(root)
    return root


def snapshot(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def pipeline(project: Path) -> curate.Pipeline:
    return curate.Pipeline.from_yaml(project / "pipeline.yaml")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (".", "it holds the pipeline file"),
        ("..", "it holds the pipeline file"),
        ("data", "it is input 'chats'"),
        ("data/out", "it is inside input 'chats'"),
        ("notes", "it is not a curate output folder"),
        ("notes/todo.txt", "it is a file, not a folder"),
        ("/", "it is the root folder"),
        ("~", "it would replace the home folder"),
        ("~/..", "it would replace the home folder and everything in it"),
    ],
)
def test_a_folder_that_is_not_ours_is_refused_and_nothing_is_deleted(
    project: Path, target: str, message: str
) -> None:
    before = snapshot(project.parent)
    with pytest.raises(OutputError, match=message):
        pipeline(project).run(output_dir=Path(target).expanduser(), quiet=True)
    assert snapshot(project.parent) == before


@pytest.mark.parametrize("target", [".", "data", "/", "~"])
def test_overwrite_never_lifts_the_refusals_that_protect_the_run_and_the_machine(
    project: Path, target: str
) -> None:
    before = snapshot(project.parent)
    with pytest.raises(OutputError):
        pipeline(project).run(output_dir=Path(target).expanduser(), overwrite=True)
    assert snapshot(project.parent) == before


def test_a_symbolic_link_is_refused_and_never_followed(project: Path) -> None:
    (project / "link").symlink_to(project / "notes", target_is_directory=True)
    with pytest.raises(OutputError, match="symbolic link"):
        pipeline(project).run(output_dir="link", overwrite=True)
    assert (project / "notes" / "todo.txt").read_text() == "keep me\n"
    assert (project / "link").is_symlink()


def test_a_link_in_the_pipeline_file_is_not_resolved_away(project: Path) -> None:
    (project / "link").symlink_to(project / "notes", target_is_directory=True)
    text = (project / "pipeline.yaml").read_text().replace("dir: out/safe", "dir: link")
    (project / "pipeline.yaml").write_text(text)
    with pytest.raises(OutputError, match="symbolic link"):
        pipeline(project).run(overwrite=True)


def test_overwrite_replaces_a_folder_that_is_not_a_curate_output(project: Path) -> None:
    result = pipeline(project).run(output_dir="notes", overwrite=True)
    assert result.output.height == 3
    assert not (project / "notes" / "todo.txt").exists()
    assert (project / "notes" / "manifest.json").is_file()


def test_an_earlier_output_and_an_empty_folder_are_replaced_without_a_flag(project: Path) -> None:
    (project / "empty").mkdir()
    pipeline(project).run(output_dir="empty")
    pipeline(project).run(output_dir="empty")
    assert (project / "empty" / "manifest.json").is_file()


def test_validate_names_a_refused_output_folder(project: Path) -> None:
    text = (project / "pipeline.yaml").read_text().replace("dir: out/safe", "dir: ..")
    (project / "pipeline.yaml").write_text(text)
    outcome = CliRunner().invoke(cli, ["validate", "pipeline.yaml"])
    assert outcome.exit_code == 2
    assert "holds the pipeline file" in outcome.output


def test_the_cli_refuses_out_dot_with_one_line_and_exit_2(project: Path) -> None:
    before = snapshot(project)
    outcome = CliRunner().invoke(cli, ["run", "pipeline.yaml", "--out", ".", "-q"])
    assert outcome.exit_code == 2
    assert "refusing to write the output to" in outcome.output
    assert "Traceback" not in outcome.output
    assert snapshot(project) == before


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not this one; ended by its id whatever happens."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_second_run_on_a_locked_output_is_refused_with_the_first_runs_pid(project: Path) -> None:
    target = project / "out" / "safe"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from curate.writers.lock import OutputLock;"
            " OutputLock(Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)",
            str(target),
        ],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(curate.__file__).parents[1])},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        with pytest.raises(OutputError, match=f"another curate run \\(pid {holder.pid}, started"):
            pipeline(project).run()
        assert not target.exists()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    # Killed without releasing it, the first run left a stale lock: the next run takes it over.
    pipeline(project).run()
    assert (target / "manifest.json").is_file()
    assert not (target.parent / ".safe.lock").exists()


def test_ctrl_c_exits_130_leaves_the_previous_output_whole_and_resume_finishes(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline(project).run()
    before = snapshot(project / "out" / "safe")
    text = (
        (project / "pipeline.yaml")
        .read_text()
        .replace("normalize: {}", "normalize: {merge_consecutive: false}")
    )
    (project / "pipeline.yaml").write_text(text)

    with monkeypatch.context() as patched:

        def interrupted(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt

        patched.setattr("curate.writers.output.write_manifest", interrupted)
        outcome = CliRunner().invoke(cli, ["run", "pipeline.yaml", "-q"])
    assert outcome.exit_code == 130
    assert "interrupted" in outcome.output
    assert snapshot(project / "out" / "safe") == before
    assert sorted(p.name for p in (project / "out").iterdir()) == ["safe", "safe.work"]

    refused = CliRunner().invoke(cli, ["run", "pipeline.yaml", "-q"])
    assert refused.exit_code == 2
    assert "pass --resume to continue it, or --restart" in refused.output
    resumed = CliRunner().invoke(cli, ["run", "pipeline.yaml", "-q", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert sorted(p.name for p in (project / "out").iterdir()) == ["safe"]
    assert json.loads((project / "out" / "safe" / "manifest.json").read_text())["config"]["stages"] == [
        {"normalize": {"merge_consecutive": False}}
    ]


def test_staging_folders_of_dead_runs_are_removed_and_live_ones_kept(
    project: Path, other_process: subprocess.Popen[bytes]
) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = int(finished.stdout)
    target = project / "out" / "safe"
    for pid in (dead, other_process.pid):
        (target.parent / f".safe.tmp-{pid}" / "rejects").mkdir(parents=True)
    assert remove_stale_staging(target) == [target.parent / f".safe.tmp-{dead}"]
    assert (target.parent / f".safe.tmp-{other_process.pid}").is_dir()
