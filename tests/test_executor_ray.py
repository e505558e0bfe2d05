"""The Ray executor writes the local executor's output folder, byte for byte.

The data files, rejects and card are compared as bytes, the manifest apart from its
``seconds`` and the ``executor`` block a Ray run adds. Runs in this process use one local
Ray instance of 2 CPUs for the session; the cases about starting, stopping, two nodes and a
killed driver run ``curate`` in child processes, as a user would.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import curate
from tests.generated_chats import write_generated
from tests.output_folders import folder_digest

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.ray

ROOT = Path(curate.__file__).resolve().parents[1]
DEMO = ROOT / "pipelines" / "demo.yaml"
OBJECT_STORE = 200 * 2**20
CHATS = 3_000
"""Conversations of the generated fixture (with near copies, personal data and battles)."""
RANGE_BYTES = 256 * 2**10
"""Pieces of this size cut the generated fixture's chats.jsonl (2.6 MB) into line ranges."""


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    """The demo pipeline (its paths made absolute) and the generated one, each with the shard
    size its runs use: small, so that every step has several shards."""
    folder = tmp_path_factory.mktemp("pipelines")
    demo = folder / "demo.yaml"
    demo.write_text(DEMO.read_text().replace("../data/", f"{ROOT}/data/"))
    generated = write_generated(tmp_path_factory.mktemp("generated"), chats=CHATS)
    folder = write_generated(tmp_path_factory.mktemp("folder"), chats=CHATS, files=4)
    glob = write_generated(tmp_path_factory.mktemp("glob"), chats=CHATS, files=4, glob=True)
    return {"demo": (demo, 9), "generated": (generated, 250), "folder": (folder, 250), "glob": (glob, 250)}


@pytest.fixture(scope="module")
def local_outputs(
    tmp_path_factory: pytest.TempPathFactory, pipelines: dict[str, tuple[Path, int]]
) -> dict[str, dict[str, Any]]:
    """What the local executor writes for each pipeline."""
    digests = {}
    for name, (pipeline, shard_rows) in pipelines.items():
        out = tmp_path_factory.mktemp(f"local-{name}") / "out"
        pipeline_run = curate.Pipeline.from_yaml(pipeline).run
        pipeline_run(output_dir=out, shard_rows=shard_rows, workers=1, collect=False)
        digests[name] = folder_digest(out, ignore=("executor",))
    return digests


def alone(command: list[str], environment: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in a session of its own and, once it ends (or times out), kill what is
    left in it: Ray's processes (the instances and nodes a child starts) stay in their
    starter's process group, so none outlives the test whatever happens."""
    child = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


def events(work: Path) -> list[dict[str, Any]]:
    return list(map(json.loads, (work / "ledger.jsonl").read_text().splitlines()))


def shards_done(work: Path) -> list[dict[str, Any]]:
    """The ledger's ``shard_done`` events (those of Ray steps name the node the shard ran on)."""
    return [event for event in events(work) if event["event"] == "shard_done"]


def test_the_generated_fixture_holds_near_copies_personal_data_and_battles(
    local_outputs: dict[str, dict[str, Any]],
) -> None:
    stages = {stage["name"]: stage for stage in local_outputs["generated"]["manifest.json"]["stages"]}
    assert stages["read"]["rows_in"] > CHATS
    assert stages["dedup"]["report"]["near_duplicates"] > 100
    assert stages["pii"]["report"]["entities"]["EMAIL_ADDRESS"] > 100
    assert stages["pairs"]["report"]["pairs_by_strategy"]["battle"] > 100
    folder = {stage["name"]: stage for stage in local_outputs["folder"]["manifest.json"]["stages"]}
    assert folder["read"]["reasons"] == {"empty_line": 1, "invalid_json": 1}


@pytest.mark.parametrize(
    ("name", "clusters"),
    [("demo", "driver"), ("generated", "driver"), ("folder", "driver"), ("glob", "cluster")],
)
def test_ray_writes_the_local_executors_output(
    tmp_path: Path,
    ray_address: str,
    pipelines: dict[str, tuple[Path, int]],
    local_outputs: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    clusters: str,
) -> None:
    """The demo's inputs are read by one task each; the generated chats.jsonl in line ranges
    and the folder's and the glob's files (JSON Lines, compressed, Parquet) by a task each.
    Dedup's clusters, pairs' parts and split's components are joined on the driver, or
    (``executor.clusters: cluster``) grouped and joined on the cluster: the same output
    either way."""
    from curate.executors.ray import pieces

    monkeypatch.setattr(pieces, "PIECE_BYTES", RANGE_BYTES)
    pipeline, shard_rows = pipelines[name]
    out = tmp_path / "out"
    result = curate.Pipeline.from_yaml(pipeline).run(
        output_dir=out,
        shard_rows=shard_rows,
        executor="ray",
        keep_work=True,
        collect=False,
        executor_options={"clusters": clusters},
    )
    assert folder_digest(out, ignore=("executor",)) == local_outputs[name]
    joined = [event for event in events(out.with_name("out.work")) if event["event"] == "clusters_joined"]
    assert {event["step"].split("-", 1)[1]: event["on"] for event in joined} == {
        "dedup": clusters,
        "pairs": clusters,
        "split": clusters,
    }
    assert result.manifest.executor is not None
    executor = result.manifest.executor.model_dump()
    steps = executor.pop("steps")
    assert executor == {
        "kind": "ray",
        "ray_version": ray.__version__,
        "cpus": 2,
        "nodes": 1,
        "max_retries": 3,
    }
    assert steps[0]["step"].startswith("01-read+") and steps[0]["stages"][0] == "read"
    assert all(step["tasks"] >= step["blocks"] > 0 and step["nodes"] == 1 for step in steps)
    # whole-data steps: their passes' figures added up, each kept, and their time on the driver
    whole = {step["stages"][0]: step for step in steps if "passes" in step}
    assert sorted(whole) == ["dedup", "pairs", "split"]
    assert [[found["name"] for found in whole[name]["passes"]] for name in ("dedup", "split", "pairs")] == [
        ["summarize", "apply"],
        ["summarize", "apply"],
        ["link", "scatter", "batch"],
    ]
    for step in whole.values():
        assert step["tasks"] == sum(found["tasks"] for found in step["passes"])
        assert all(found["tasks"] >= found["blocks"] > 0 for found in step["passes"])
        assert step["driver_seconds"] >= 0.0
    assert not any("driver_seconds" in step for step in steps if "passes" not in step)
    assert ray.is_initialized(), "a Ray instance the process had joined is left as it was"
    first = [event for event in shards_done(out.with_name("out.work")) if event["step"].startswith("01-")]
    assert first and all(event["node"] for event in first), "each shard of a Ray step names its node"
    read = [event for event in events(out.with_name("out.work")) if event["event"] == "piece_done"]
    assert name == "demo" or len(read) > 4, "the chats were read in pieces, a Ray task each"
    written = [event for event in events(out.with_name("out.work")) if event["event"] == "file_written"]
    data_and_rejects = [path for path in out.rglob("*.*") if path.parent.name in ("data", "rejects")]
    assert sum(event["files"] for event in written) == len(data_and_rejects) > 1
    assert all(event["node"] for event in written), "the output's files were written by Ray tasks"


def test_a_hub_inputs_files_are_read_by_a_task_each_as_the_local_executor_reads_them(
    tmp_path: Path, ray_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``hf://datasets/...`` from the Hub's cache layout (offline): each of the dataset's files is
    a piece read by its own task, opened where the driver found it, and the output is the local one."""
    from tests.hub_cache import HubCache

    (tmp_path / "generated").mkdir()
    pipeline = write_generated(tmp_path / "generated", chats=300, files=3)
    parts = sorted((tmp_path / "generated" / "chats").iterdir())
    HubCache(tmp_path / "hub").add(
        "curate-test/chats", {f"data/{part.name}": part.read_bytes() for part in parts}
    )
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    text = pipeline.read_text().replace("path: 'chats/'", "path: 'hf://datasets/curate-test/chats/data/*'")
    assert "hf://" in text
    pipeline.write_text(text)
    outputs = {}
    for executor in ("local", "ray"):
        out = tmp_path / executor / "out"
        curate.Pipeline.from_yaml(pipeline).run(
            output_dir=out, shard_rows=50, executor=executor, keep_work=True, collect=False, workers=1
        )
        outputs[executor] = folder_digest(out, ignore=("executor",))
    assert outputs["ray"] == outputs["local"]
    read = [event for event in events(tmp_path / "ray" / "out.work") if event["event"] == "piece_done"]
    assert len(read) == len(parts) == 3, "each file of the Hub input was read by a Ray task"


def test_records_held_in_memory_are_read_in_ray_as_in_this_process(ray_address: str) -> None:
    from curate.stages import Dedup, Normalize, Quality

    pipeline = curate.Pipeline(stages=[Normalize(), Quality(min_chars=3), Dedup(threshold=0.8)])
    records = [
        {
            "id": f"r{number}",
            "messages": [
                {"role": "user", "content": f"question {number % 7} about lists"},
                {"role": "assistant", "content": f"an answer of {number % 5} lines"},
            ],
        }
        for number in range(40)
    ] + [{"id": "broken", "messages": "not a list"}]
    here = pipeline.run(data=records, license="MIT", write=False, shard_rows=8, workers=1)
    there = pipeline.run(data=records, license="MIT", write=False, shard_rows=8, executor="ray")
    assert there.manifest.inputs == here.manifest.inputs  # the records' fingerprint came back
    assert there.manifest.inputs[0].data is not None and there.manifest.inputs[0].rejected == 1
    assert there.output.equals(here.output)
    assert there.rejects_by_stage.keys() == here.rejects_by_stage.keys()
    assert all(there.rejects_by_stage[key].equals(frame) for key, frame in here.rejects_by_stage.items())


@pytest.mark.parametrize("retries", [3, 0])
def test_a_task_whose_worker_dies_is_run_again_up_to_max_retries(
    tmp_path: Path, ray_address: str, monkeypatch: pytest.MonkeyPatch, retries: int
) -> None:
    """The first shard's worker process dies (``os._exit``) once: Ray runs the task again and
    the output is the one an undisturbed run gives; with ``max_retries: 0`` the run stops
    with a one-line ``StageError`` that says to ``--resume``."""
    from curate.errors import StageError
    from curate.executors.ray import executor, tasks
    from curate.stages import Normalize, Quality

    crashed = tmp_path / "crashed"
    shard = tasks.run_shard

    def dies_once(batch: Any, **arguments: Any) -> Any:
        if not crashed.exists():  # pickled by value: the marker's path travels with it
            crashed.touch()
            os._exit(1)
        return shard(batch, **arguments)

    pipeline = curate.Pipeline(stages=[Normalize(), Quality(min_chars=3)])
    records = [
        {"id": f"r{number}", "messages": [{"role": "user", "content": f"question {number} about lists"}]}
        for number in range(24)
    ]
    here = pipeline.run(data=records, license="MIT", write=False, shard_rows=8, workers=1)
    monkeypatch.setattr(executor, "run_shard", dies_once)
    options = {"max_retries": retries}
    if retries:
        there = pipeline.run(
            data=records, license="MIT", write=False, shard_rows=8, executor="ray", executor_options=options
        )
        assert there.output.equals(here.output)
        assert there.manifest.executor is not None and there.manifest.executor.max_retries == retries
    else:
        with pytest.raises(
            StageError, match=r"a Ray task of step 01-read\+normalize\+quality failed \("
        ) as raised:
            pipeline.run(
                data=records,
                license="MIT",
                write=False,
                shard_rows=8,
                executor="ray",
                executor_options=options,
            )
        assert "up to 0 times, executor.max_retries" in str(raised.value)
    assert crashed.exists()


def test_a_full_disk_in_a_task_comes_back_as_the_output_error_a_local_run_gives(
    tmp_path: Path, ray_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a ``map_batches`` call returns when the work folder's disk is full: no traceback
    from Ray, but the ``OutputError`` line the local executor prints."""
    from curate.errors import OutputError
    from curate.executors.ray import tasks
    from curate.executors.ray.shards import PAYLOAD, Failure, ShardInput
    from curate.executors.workdir import WorkFolder
    from tests.helpers import conversation, frame

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(WorkFolder, "write_shard", full)
    rows = frame(conversation(id="a"), conversation(id="b"))
    batch = ShardInput("00-00000", rows).row()
    done = tasks._finish(WorkFolder(tmp_path / "work"), "01-read", [], batch).to_pylist()
    assert [(row["shard"], row["rows"]) for row in done] == [("00-00000", 0)]
    error = Failure.loads(done[0]["error"]).error()
    assert isinstance(error, OutputError)
    assert str(error).startswith(f"{tmp_path / 'work'}: no space left on the device (ENOSPC)")
    assert batch.column_names == ["shard", PAYLOAD]


def test_a_curate_error_inside_ray_is_raised_as_it_is_and_ray_started_for_the_run_stops(
    tmp_path: Path,
) -> None:
    """A run that starts its own Ray instance (no address, no RAY_ADDRESS) stops it when the
    run fails; a reader's error under --strict comes back from the task as the same error."""
    (tmp_path / "chats.jsonl").write_text(
        (ROOT / "tests" / "conf" / "valid" / "chats.jsonl").read_text() + "{not json\n"
    )
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "name: p\ninputs:\n  - {name: chats, path: chats.jsonl, format: sharegpt}\n"
        f"executor: {{kind: ray, num_cpus: 2, object_store_memory: {OBJECT_STORE}}}\n"
    )
    script = (
        "import sys, ray\n"
        "from curate import Pipeline\n"
        "from curate.errors import InputError\n"
        "try:\n"
        "    Pipeline.from_yaml(sys.argv[1]).run(output_dir=sys.argv[2], strict=True)\n"
        "except InputError as error:\n"
        "    print('InputError:', error)\n"
        "print('still joined:', ray.is_initialized())\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    environment["PYTHONPATH"] = str(ROOT)
    finished = alone(
        [sys.executable, "-c", script, str(pipeline), str(tmp_path / "out")],
        environment,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0].startswith("InputError: ") and "chats.jsonl:" in lines[0] and "--strict" in lines[0]
    assert lines[-1] == "still joined: False"


# Makes a cluster of two nodes of 1 CPU on this machine, runs the pipeline on it, stops both.
TWO_NODES = """
import json, sys
import ray
from ray.cluster_utils import Cluster
from curate import Pipeline
from curate.executors.ray.cluster import quiet_ray
nodes = {"num_cpus": 1, "object_store_memory": int(sys.argv[4])}
with quiet_ray():
    cluster = Cluster(initialize_head=True, head_node_args={**nodes, "include_dashboard": False})
try:
    with quiet_ray():
        cluster.add_node(**nodes)
        cluster.wait_for_nodes()
    result = Pipeline.from_yaml(sys.argv[1]).run(
        output_dir=sys.argv[2], shard_rows=int(sys.argv[3]), executor="ray", ray_address=cluster.address,
        keep_work=True, collect=False,
    )
    print(json.dumps(result.manifest.executor.model_dump()))
finally:
    ray.shutdown()
    cluster.shutdown()
"""


@pytest.mark.slow
def test_two_nodes_share_the_work_and_write_the_same_output(
    tmp_path: Path, pipelines: dict[str, tuple[Path, int]], local_outputs: dict[str, dict[str, Any]]
) -> None:
    """A head and one added node of 1 CPU each (``ray.cluster_utils.Cluster``): shards run on
    both, and the output is the local executor's."""
    pipeline, shard_rows = pipelines["folder"]
    out = tmp_path / "out"
    environment = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    environment["PYTHONPATH"] = str(ROOT)
    finished = alone(
        [sys.executable, "-c", TWO_NODES, str(pipeline), str(out), str(shard_rows), str(OBJECT_STORE)],
        environment,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr
    executor = json.loads(finished.stdout.splitlines()[-1])
    assert (executor["cpus"], executor["nodes"]) == (2, 2)
    assert folder_digest(out, ignore=("executor",)) == local_outputs["folder"]
    nodes = {event.get("node") for event in shards_done(out.with_name("out.work"))}
    assert len(nodes - {None}) == 2, "shards of record steps ran on both nodes"


# Runs the command line after patching the driver's ledger to SIGKILL the driver at its n-th event.
KILLER = """
import os, signal, sys
from curate.executors.workdir import WorkFolder
nth, calls, original = int(sys.argv[1]), [0], WorkFolder.log
def log(self, event, **fields):
    original(self, event, **fields)
    calls[0] += event == "shard_done"
    if calls[0] >= nth:
        os.kill(os.getpid(), signal.SIGKILL)
WorkFolder.log = log
from curate.cli import main
sys.argv = ["curate", *sys.argv[2:]]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("resume_on", ["ray", "local"])
def test_a_driver_killed_in_a_ray_step_resumes_to_the_same_output(
    tmp_path: Path,
    ray_address: str,
    pipelines: dict[str, tuple[Path, int]],
    local_outputs: dict[str, dict[str, Any]],
    resume_on: str,
) -> None:
    """The driver dies (SIGKILL) after a few shards of the first step (its inputs read in
    pieces); the cluster stays up, and ``--resume`` finishes the run from the work folder, on
    the cluster or on this machine."""
    pipeline, shard_rows = pipelines["folder"]
    out = tmp_path / "out"
    command = [
        "run",
        str(pipeline),
        "--out",
        str(out),
        "-q",
        "--shard-rows",
        str(shard_rows),
        "--workers",
        "1",
    ]
    on_ray = ["--executor", "ray", "--ray-address", ray_address]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = alone(
        [sys.executable, "-c", KILLER, "3", *command, *on_ray],
        environment,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    work = out.with_name("out.work")
    assert work.is_dir() and not (out / "manifest.json").exists()

    resumed = alone(
        [sys.executable, "-m", "curate.cli", *command, *(on_ray if resume_on == "ray" else []), "--resume"],
        environment,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert folder_digest(out, ignore=("executor",)) == local_outputs["folder"]
    assert not work.exists()
