"""A run killed with SIGKILL anywhere resumes to the output an uninterrupted run writes.

Each case runs ``curate run`` in a child process that kills itself (SIGKILL: no cleanup, no
``finally``) at one point of the run: while reading, inside a record stage (in process, and
with worker processes busy), inside dedup, inside pairs, while writing the output. Then
``curate run --resume`` finishes the run, and the output folder is compared byte for byte
with one from an uninterrupted run (the manifest apart from its timings).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import curate
from tests.output_folders import folder_digest

ROOT = Path(curate.__file__).resolve().parents[1]
DEMO = ROOT / "pipelines" / "demo.yaml"
SHARD_ROWS = "9"

# Runs the command line, after patching ``target`` to SIGKILL this process on its n-th call.
KILLER = """
import importlib, os, signal, sys
target, nth = sys.argv[1], int(sys.argv[2])
module_name, owner_name, attribute = target.rsplit(".", 2)
try:  # a module's function, or a class's method
    owner = importlib.import_module(f"{module_name}.{owner_name}")
except ImportError:
    owner = getattr(importlib.import_module(module_name), owner_name)
original = getattr(owner, attribute)
calls = [0]
def killing(*args, **kwargs):
    calls[0] += 1
    if calls[0] >= nth:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(owner, attribute, killing)
import curate.executors.partitioned
curate.executors.partitioned.BATCH_ROWS = 5  # pairs in several batches, to be killed between them
from curate.cli import main
sys.argv = ["curate", *sys.argv[3:]]
main()
"""


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo pipeline, and the same without its pii stage (no spaCy model to load: faster)."""
    folder = tmp_path_factory.mktemp("pipelines")
    text = DEMO.read_text().replace("../data/", f"{ROOT}/data/")
    (folder / "demo.yaml").write_text(text)
    (folder / "no-pii.yaml").write_text("\n".join(line for line in text.splitlines() if "- pii:" not in line))
    return {"demo": folder / "demo.yaml", "no-pii": folder / "no-pii.yaml"}


def curate_run(
    pipeline: Path, out: Path, *extra: str, kill: tuple[str, int] | None = None
) -> subprocess.CompletedProcess[str]:
    command = ["run", str(pipeline), "--out", str(out), "-q", "--shard-rows", SHARD_ROWS, *extra]
    if kill is None:
        arguments = [sys.executable, "-m", "curate.cli", *command]
    else:
        arguments = [sys.executable, "-c", KILLER, kill[0], str(kill[1]), *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(arguments, capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, pipelines: dict[str, Path]) -> dict[str, Any]:
    digests = {}
    for name, pipeline in pipelines.items():
        out = tmp_path_factory.mktemp(name) / "demo-dpo"
        finished = curate_run(pipeline, out, "--workers", "1")
        assert finished.returncode == 0, finished.stderr
        assert not out.with_name("demo-dpo.work").exists()
        digests[name] = folder_digest(out)
    return digests


KILLS = [
    pytest.param("no-pii", ("curate.readers.rows.RowBuilder.take", 3), "1", id="while-reading"),
    pytest.param("no-pii", ("curate.stages.normalize.Normalize.judge", 4), "1", id="in-a-record-stage"),
    pytest.param(
        "demo", ("curate.executors.workdir.WorkFolder.write_shard", 6), "2", id="pii-with-workers-busy"
    ),
    pytest.param("no-pii", ("curate.stages.dedup.Dedup.summarize", 3), "1", id="dedup-summarizing"),
    pytest.param("no-pii", ("curate.stages.dedup.Dedup.decide", 1), "1", id="inside-dedup"),
    pytest.param("no-pii", ("curate.stages.dedup.Dedup.apply", 3), "1", id="dedup-applying"),
    pytest.param("no-pii", ("curate.stages.pairs.Pairs.process", 1), "1", id="inside-pairs"),
    pytest.param("no-pii", ("curate.stages.pairs.Pairs.process", 4), "1", id="pairs-between-batches"),
    pytest.param("no-pii", ("curate.executors.partitioned._Merged.rows", 3), "1", id="merging-pairs"),
    pytest.param("no-pii", ("curate.writers.jobs.write_rejects", 3), "1", id="while-writing"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("pipeline", "kill", "workers"), KILLS)
def test_a_killed_run_resumes_to_the_same_output(
    tmp_path: Path,
    pipelines: dict[str, Path],
    uninterrupted: dict[str, Any],
    pipeline: str,
    kill: tuple[str, int],
    workers: str,
) -> None:
    out = tmp_path / "demo-dpo"
    killed = curate_run(pipelines[pipeline], out, "--workers", workers, kill=kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert out.with_name("demo-dpo.work").is_dir()
    assert not (out / "manifest.json").exists()

    resumed = curate_run(pipelines[pipeline], out, "--workers", workers, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert folder_digest(out) == uninterrupted[pipeline]
    assert not out.with_name("demo-dpo.work").exists()


@pytest.mark.slow
def test_resume_refuses_without_the_flag_and_after_a_change(
    tmp_path: Path, pipelines: dict[str, Path]
) -> None:
    pipeline = tmp_path / "no-pii.yaml"
    pipeline.write_text(pipelines["no-pii"].read_text())
    out = tmp_path / "out"
    killed = curate_run(pipeline, out, "--workers", "1", kill=("curate.stages.dedup.Dedup.decide", 1))
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    again = curate_run(pipeline, out, "--workers", "1")
    assert again.returncode == 2
    assert "an interrupted run left its work in" in again.stderr
    assert "pass --resume to continue it" in again.stderr

    pipeline.write_text(pipeline.read_text().replace("threshold: 0.8", "threshold: 0.85"))
    resumed = curate_run(pipeline, out, "--workers", "1", "--resume")
    assert resumed.returncode == 2
    assert "cannot resume the run" in resumed.stderr
    assert "the pipeline file changed" in resumed.stderr
    assert "--restart" in resumed.stderr
    assert out.with_name("out.work").is_dir()
