"""Choosing the executor: the pipeline file's ``executor`` block, the run's choice over it, a
missing Ray, and the pieces of the Ray executor that need no cluster (slices, failures)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from curate.cli import cli
from curate.config import ExecutorConfig, load_pipeline, parse_pipeline
from curate.config_public import public_config
from curate.errors import ConfigError, CurateError, ExecutorError, InputError, OutputError, StageError
from curate.executors.choice import executor_settings
from curate.executors.ray.shards import Failure, slices

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "pipelines" / "demo.yaml"
CHATS = ROOT / "tests" / "conf" / "valid" / "chats.jsonl"


def test_a_file_without_an_executor_block_runs_locally_and_hashes_as_before() -> None:
    config = load_pipeline(DEMO)
    assert config.executor == ExecutorConfig()
    assert config.executor.kind == "local"
    assert "executor" not in config.raw


def test_the_executor_block_is_read_and_published_without_local_paths(tmp_path: Path) -> None:
    (tmp_path / "chats.jsonl").write_text(CHATS.read_text())
    config = parse_pipeline(
        {
            "name": "x",
            "inputs": [{"name": "a", "path": "chats.jsonl"}],
            "executor": {
                "kind": "ray",
                "address": "auto",
                "object_store_memory": "4GiB",
                "spill_dir": str(tmp_path / "spill"),
                "actor_cpus": 0.5,
            },
        },
        tmp_path,
    )
    assert config.executor.object_store_memory == 4 * 2**30
    assert config.executor.spill_dir == tmp_path / "spill"
    assert public_config(config)["executor"]["spill_dir"] == "spill"


@pytest.mark.parametrize(
    ("declared", "kind", "address", "expected"),
    [
        ({}, None, None, ("local", None)),
        ({}, "ray", None, ("ray", None)),
        ({}, "ray", "auto", ("ray", "auto")),
        ({"kind": "ray", "address": "10.0.0.1:6379"}, None, None, ("ray", "10.0.0.1:6379")),
        ({"kind": "ray", "address": "10.0.0.1:6379"}, None, "auto", ("ray", "auto")),
        ({"kind": "ray", "num_cpus": 4}, "local", None, ("local", None)),
    ],
)
def test_the_run_chooses_over_the_file(
    declared: dict[str, object], kind: str | None, address: str | None, expected: tuple[str, str | None]
) -> None:
    chosen = executor_settings(ExecutorConfig.model_validate(declared), kind, address)  # type: ignore[arg-type]
    assert (chosen.kind, chosen.address) == expected


def test_a_ray_address_for_the_local_executor_is_refused() -> None:
    with pytest.raises(ExecutorError, match="a Ray address was given but the run uses the local executor"):
        executor_settings(ExecutorConfig(), None, "auto")


@pytest.mark.parametrize(
    ("arguments", "file_block"),
    [(["--executor", "ray"], ""), ([], "executor: {kind: ray}\n")],
    ids=["flag", "file"],
)
def test_without_ray_the_ray_executor_exits_2_and_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], file_block: str
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    (tmp_path / "chats.jsonl").write_text(CHATS.read_text())
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(f"name: p\ninputs:\n  - {{name: a, path: chats.jsonl}}\n{file_block}")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(pipeline), "--out", str(out), *arguments])
    assert result.exit_code == 2
    assert "pip install 'curate[ray]'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not out.with_name("out.work").exists()


@given(
    heights=st.lists(st.integers(min_value=0, max_value=30), max_size=6),
    shard_rows=st.integers(min_value=1, max_value=25),
)
def test_slices_cut_the_rows_again_in_order_as_the_local_executor_does(
    heights: list[int], shard_rows: int
) -> None:
    shards = [f"{number:05d}" for number in range(len(heights))]
    found = slices(shards, heights, shard_rows)
    rows = [(shard, start + at) for piece in found for shard, start, length in piece for at in range(length)]
    assert rows == [
        (shard, row) for shard, height in zip(shards, heights, strict=True) for row in range(height)
    ]
    sizes = [sum(length for _, _, length in piece) for piece in found]
    assert len(found) >= 1
    assert all(size == shard_rows for size in sizes[:-1])
    assert 0 < sizes[-1] <= shard_rows or sum(heights) == 0


@pytest.mark.parametrize(
    "error",
    [
        InputError("chats.jsonl:3: invalid_json: line 3 (run without --strict to skip it)"),
        StageError("stage 'pii' lost rows: 3 in, 1 kept, 1 rejected"),
        OutputError("cannot write /out: [Errno 28] No space left on device"),
        ConfigError([], None),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_failure_in_ray_comes_back_as_the_same_error(error: CurateError) -> None:
    again = Failure.loads(Failure.of(error).dumps()).error()  # as it travels back from a task
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.exit_code == error.exit_code


def test_an_unreachable_cluster_is_one_line_and_leaves_no_work_folder(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out"
    arguments = ["run", str(DEMO), "--out", str(out), "-q", "--executor", "ray"]
    finished = subprocess.run(  # in a process of its own: this one may have joined a Ray instance
        [sys.executable, "-m", "curate.cli", *arguments, "--ray-address", f"127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert finished.returncode == 2
    assert finished.stderr.startswith(f"error: cannot reach the Ray cluster at 127.0.0.1:{port}: ")
    assert len(finished.stderr.splitlines()) == 1
    assert not out.exists() and not out.with_name("out.work").exists()


@pytest.mark.parametrize(
    ("declared", "environment", "expected"),
    [
        (None, None, "local"),
        (None, "10.0.0.5:6379", "10.0.0.5:6379"),
        ("auto", "10.0.0.5:6379", "auto"),  # Ray reads RAY_ADDRESS itself for `auto`
        ("ray://head:10001", "10.0.0.5:6379", "ray://head:10001"),
        ("local", "10.0.0.5:6379", "local"),
    ],
)
def test_the_cluster_address_comes_from_the_run_then_ray_address_then_a_local_instance(
    monkeypatch: pytest.MonkeyPatch, declared: str | None, environment: str | None, expected: str
) -> None:
    from curate.executors.ray.cluster import address_of

    if environment is None:
        monkeypatch.delenv("RAY_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("RAY_ADDRESS", environment)
    assert address_of(ExecutorConfig(kind="ray", address=declared)) == expected


@pytest.mark.parametrize(
    ("declared", "options", "expected"),
    [
        ({"kind": "ray"}, {}, (None, None, None, 3)),
        ({"kind": "ray", "num_cpus": 4}, {"num_cpus": None}, (4, None, None, 3)),
        ({"kind": "ray", "num_cpus": 4}, {"num_cpus": 8}, (8, None, None, 3)),
        ({"kind": "ray", "object_store_memory": "4GiB"}, {"object_store_memory": "8GiB"}, (None, 8, None, 3)),
        ({"kind": "ray"}, {"spill_dir": "spill", "max_retries": 0}, (None, None, "spill", 0)),
        ({"kind": "ray", "spill_dir": "/scratch/ray"}, {}, (None, None, "/scratch/ray", 3)),
    ],
)
def test_ray_settings_of_the_run_go_over_the_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    declared: dict[str, object],
    options: dict[str, object],
    expected: tuple[int | None, int | None, str | None, int],
) -> None:
    monkeypatch.chdir(tmp_path)
    chosen = executor_settings(ExecutorConfig.model_validate(declared), None, None, options)
    cpus, gib, spill, retries = expected
    assert chosen.num_cpus == cpus
    assert chosen.object_store_memory == (None if gib is None else gib * 2**30)
    assert chosen.spill_dir == (None if spill is None else tmp_path / spill)  # relative: from here
    assert chosen.max_retries == retries


@pytest.mark.parametrize(
    ("kind", "options", "error", "message"),
    [
        (
            None,
            {"object_store_memory": "8GiB"},
            ExecutorError,
            "Ray settings (object_store_memory) were given",
        ),
        (
            "ray",
            {"object_store_memory": "8 parsecs"},
            ConfigError,
            "object_store_memory: could not interpret",
        ),
        ("ray", {"num_cpus": 0}, ConfigError, "num_cpus: "),
        ("ray", {"cpus": 2}, ExecutorError, "unknown executor options: cpus"),
    ],
)
def test_ray_settings_that_cannot_apply_are_refused_in_one_line(
    kind: str | None, options: dict[str, object], error: type[CurateError], message: str
) -> None:
    with pytest.raises(error) as raised:
        executor_settings(ExecutorConfig(), kind, None, options)  # type: ignore[arg-type]
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_curate_run_sizes_a_ray_instance_from_its_options_and_refuses_them_for_a_local_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def settings(*arguments: object) -> ExecutorConfig:
        seen["options"] = arguments[3]
        raise ExecutorError("stop here")

    monkeypatch.setattr("curate.runner.executor_settings", settings)
    arguments = ["run", str(DEMO), "--out", str(tmp_path / "out"), "--ray-cpus", "3"]
    options = ["--object-store-memory", "8GiB", "--spill-dir", "spill", "--clusters", "cluster"]
    result = CliRunner().invoke(cli, [*arguments, *options, "--executor", "ray"])
    assert result.exit_code == 2 and "stop here" in result.output
    given = {"num_cpus": 3, "object_store_memory": "8GiB", "spill_dir": "spill", "clusters": "cluster"}
    assert seen["options"] == given
    monkeypatch.undo()
    refused = CliRunner().invoke(cli, [*arguments, *options])
    assert refused.exit_code == 2
    assert "Ray settings (num_cpus, object_store_memory, spill_dir, clusters) were given" in refused.output
    assert "Traceback" not in refused.output


def test_the_summary_table_shows_what_ray_says_each_step_took() -> None:
    """Record steps on their first stage; a whole-data step's tasks split by pass, with its
    time on the driver."""
    from curate.progress import ray_column
    from curate.record import StageStats
    from curate.record_executor import ExecutorRecord, RayPassRecord, RayStepRecord

    names = ["read", "normalize", "quality", "dedup", "pii", "pairs"]
    stats = [StageStats(name=name, rows_in=1, rows_out=1, rows_rejected=0, seconds=0.0) for name in names]
    steps = [
        RayStepRecord(
            step="01-read+normalize+quality",
            stages=["read", "normalize", "quality"],
            pool="tasks",
            tasks=6,
            blocks=6,
            nodes=2,
            task_seconds=3.0,
            cpu_seconds=2.5,
        ),
        RayStepRecord(
            step="02-dedup",
            stages=["dedup"],
            pool="actors",
            tasks=8,
            blocks=8,
            nodes=2,
            task_seconds=4.0,
            cpu_seconds=3.5,
            passes=[
                RayPassRecord(name=name, tasks=4, blocks=4, nodes=2, task_seconds=2.0, cpu_seconds=1.75)
                for name in ("summarize", "apply")
            ],
            driver_seconds=0.25,
        ),
        RayStepRecord(
            step="03-pii",
            stages=["pii"],
            pool="actors",
            tasks=1,
            blocks=1,
            nodes=1,
            task_seconds=9.0,
            cpu_seconds=8.0,
        ),
    ]
    record = ExecutorRecord(kind="ray", ray_version="2.60.0", cpus=2, nodes=2, steps=steps)
    assert ray_column(stats, record) == [
        "6 tasks, 2 nodes, 2.5 CPU s",
        "  (same tasks)",
        "  (same tasks)",
        "8 actor tasks (summarize 4, apply 4), 2 nodes, 3.5 CPU s; driver 0.2 s",
        "1 actor task, 1 node, 8.0 CPU s",
        "",
    ]
