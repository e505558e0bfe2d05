"""Whole-data steps on Ray: their passes run as Ray calls and write the local executor's output.

Dedup's and split's summaries and applied shards, and pairs' links, scattered rows and
batches, are written by calls on the cluster; only the decisions (and pairs' plan and merge)
are made on the driver. The runs here use more shards and batches than the cluster has
CPUs, so calls finish out of order; and one run makes the passes finish in reverse order on
purpose. The output folder must be the local executor's byte for byte either way. Last, the
joiner on the cluster (``curate.executors.ray.components.OnRay``) against the in-process one
on random keys and graphs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import curate
from curate.executors import partitioned
from curate.executors.ray.cluster import quiet_ray
from tests.generated_chats import write_generated
from tests.output_folders import folder_digest

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.ray

SHARD_ROWS = 15
BATCH_ROWS = 40


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated fixture's pipeline without pii (spaCy is not what these tests are about)."""
    pipeline = write_generated(tmp_path_factory.mktemp("generated"), chats=200)
    text = pipeline.read_text()
    pipeline.write_text("\n".join(line for line in text.splitlines() if "- pii:" not in line) + "\n")
    return pipeline


@pytest.fixture(scope="module")
def local_digest(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("local") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(partitioned, "BATCH_ROWS", BATCH_ROWS)
        curate.Pipeline.from_yaml(generated).run(
            output_dir=out, shard_rows=SHARD_ROWS, workers=1, collect=False
        )
    return folder_digest(out, ignore=("executor",))


def events(work: Path, kind: str) -> list[dict[str, Any]]:
    lines = map(json.loads, (work / "ledger.jsonl").read_text().splitlines())
    return [event for event in lines if event["event"] == kind]


def test_whole_data_passes_run_as_ray_calls_and_write_the_local_output(
    tmp_path: Path,
    ray_address: str,
    generated: Path,
    local_digest: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(partitioned, "BATCH_ROWS", BATCH_ROWS)
    out = tmp_path / "out"
    curate.Pipeline.from_yaml(generated).run(
        output_dir=out, shard_rows=SHARD_ROWS, executor="ray", keep_work=True, collect=False
    )
    assert folder_digest(out, ignore=("executor",)) == local_digest
    work = out.with_name("out.work")
    steps = {path.name for path in (work / "steps").iterdir()}
    dedup, pairs, split = (
        next(s for s in steps if s.endswith(f"-{name}")) for name in ("dedup", "pairs", "split")
    )
    applied = [event for event in events(work, "shard_done") if event["step"] in (dedup, split)]
    batches = events(work, "batch_done")
    # every shard applied and every batch processed by a Ray call, which names its node
    assert {event["step"] for event in applied} == {dedup, split}
    assert all(event.get("node") for event in applied + batches)
    assert (
        len({e["batch"] for e in batches}) > 2
        and len({e["shard"] for e in applied if e["step"] == dedup}) > 2
    ), "more calls than the 2 CPUs, so they can finish out of order"
    for passes in (f"{dedup}.summaries", f"{pairs}.links", f"{pairs}.scatter"):
        assert len(list((work / "steps" / passes).glob("*.done.json"))) > 2


def test_passes_finishing_in_reverse_order_write_the_same_output(
    tmp_path: Path,
    ray_address: str,
    generated: Path,
    local_digest: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The calls of every pass run last first (in this process): nothing the driver reads
    back may depend on the order they finish in."""
    from curate.executors.ray import whole

    runs: list[tuple[str, int]] = []

    def last_first(self: whole.WholeOnRay, calls: list[whole.PassCall], *args: Any, **kwargs: Any) -> None:
        stage = whole._built([(self.step.stages[0], self.stage.name, self.stage.options)], self.context)
        stage.setup()
        try:
            for call in reversed(calls):
                whole._one(self.work, self.step, stage, call)
            runs.extend({(call.kind, len(calls)) for call in calls})
        finally:
            stage.teardown()

    monkeypatch.setattr(whole.WholeOnRay, "_run", last_first)
    monkeypatch.setattr(partitioned, "BATCH_ROWS", BATCH_ROWS)
    out = tmp_path / "out"
    curate.Pipeline.from_yaml(generated).run(
        output_dir=out, shard_rows=SHARD_ROWS, executor="ray", collect=False
    )
    assert folder_digest(out, ignore=("executor",)) == local_digest
    assert {kind for kind, calls in runs if calls > 2} == {"summarize", "apply", "link", "scatter", "batch"}


DECONTAMINATE = """\
name: decontaminated
inputs:
  - {name: chats, path: chats.jsonl, format: wildchat, license: CC-BY-4.0}
stages:
  - normalize: {}
  - decontaminate: {against: [evals.jsonl]}
  - dedup: {threshold: 0.8}
"""


def test_the_evaluation_index_is_built_once_on_the_driver_and_shared_with_the_actors(
    tmp_path: Path, ray_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver builds decontamination's index once and puts it in the object store; the
    evaluation file is moved away as soon as it is built, so an actor that built its own
    index would fail to read it. The output is the local executor's."""
    from curate.executors.ray.executor import RayExecutor
    from curate.stages.decontaminate import Decontaminate

    write_generated(tmp_path, chats=60)
    chats = [json.loads(line) for line in (tmp_path / "chats.jsonl").read_text().splitlines()]
    prompts = [chat["conversation"][0]["content"] for chat in chats[:40:8]]
    evals = tmp_path / "evals.jsonl"
    evals.write_text("".join(json.dumps({"id": f"e{n}", "prompt": p}) + "\n" for n, p in enumerate(prompts)))
    pipeline = tmp_path / "decontaminated.yaml"
    pipeline.write_text(DECONTAMINATE)
    local = tmp_path / "local" / "out"
    curate.Pipeline.from_yaml(pipeline).run(output_dir=local, shard_rows=6, workers=1, collect=False)

    hidden = evals.with_name("hidden.jsonl")
    built: list[int] = []
    original_shared, original_step = Decontaminate.shared, RayExecutor._run_step

    def shared_once(self: Decontaminate) -> Any:
        value = original_shared(self)
        built.append(len(value[0]))
        evals.rename(hidden)
        return value

    def run_step(self: RayExecutor, *args: Any, **kwargs: Any) -> None:
        try:
            original_step(self, *args, **kwargs)
        finally:
            if hidden.exists():
                hidden.rename(evals)

    monkeypatch.setattr(Decontaminate, "shared", shared_once)
    monkeypatch.setattr(RayExecutor, "_run_step", run_step)
    out = tmp_path / "ray" / "out"
    result = curate.Pipeline.from_yaml(pipeline).run(
        output_dir=out, shard_rows=6, executor="ray", keep_work=True, collect=False
    )
    assert built == [len(prompts)], "built once, on the driver"
    stats = {stage.name: stage for stage in result.manifest.stages}
    assert stats["decontaminate"].rows_rejected >= len(prompts)
    assert folder_digest(out, ignore=("executor",)) == folder_digest(local, ignore=("executor",))
    step = next(e for e in events(out.with_name("out.work"), "shared_built"))
    assert step["stages"] == [1]


def test_a_step_that_would_not_fit_the_driver_stops_before_it_starts(
    tmp_path: Path, ray_address: str, generated: Path
) -> None:
    """``executor.driver_memory`` below what dedup's decision takes even with its clusters
    joined on the cluster (``executor.clusters: auto``): the run stops before the step's first
    pass, with one line saying what to do, and keeps the steps it finished."""
    from curate.errors import ExecutorError

    pipeline = tmp_path / "small-driver.yaml"
    text = generated.read_text().replace("path: ", f"path: {generated.parent}/")
    pipeline.write_text(text + "executor: {driver_memory: 64KiB}\n")
    out = tmp_path / "out"
    with pytest.raises(ExecutorError) as raised:
        curate.Pipeline.from_yaml(pipeline).run(output_dir=out, shard_rows=SHARD_ROWS, executor="ray")
    message = str(raised.value)
    assert message.startswith("dedup: deciding over ") and "\n" not in message
    assert "on the driver with its clusters on Ray, more than" in message
    assert "executor.driver_memory" in message
    steps = out.with_name("out.work") / "steps"
    assert any(path.name.startswith("01-read") for path in steps.iterdir())
    assert not [path for path in steps.iterdir() if "dedup" in path.name]


@st.composite
def entries(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    """Rows with 1..3 keys each in up to 3 columns, the keys drawn from a few (heavy repeats)."""
    import numpy as np

    rows, keys, columns = [], [], []
    for row in draw(st.lists(st.integers(0, 40), max_size=50)):
        for _ in range(draw(st.integers(1, 3))):
            rows.append(row)
            keys.append(draw(st.sampled_from([0, 1, 2, 2**64 - 1])))
            columns.append(draw(st.integers(0, 2)))
    return np.array(rows, np.int64), np.array(keys, np.uint64), np.array(columns, np.int64)


def pairs(blocks: Any) -> set[tuple[int, int]]:
    from curate.dedup.joining import Edges

    found = Edges.join(list(blocks))
    assert (found.left < found.right).all()
    return set(zip(found.left.tolist(), found.right.tolist(), strict=True))


@st.composite
def earlier_edges(draw: st.DrawFn) -> Any:
    """Edges of an earlier join among rows 0..40 (repeats, loops and chains included)."""
    import numpy as np

    ends = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=30)
    return np.array(draw(ends), dtype=np.int64).reshape(-1, 2)


@settings(max_examples=4, deadline=None)
@given(entries(), st.booleans(), earlier_edges(), st.integers(1, 3))
def test_stars_and_joins_on_ray_are_the_in_process_ones(
    ray_address: str, case: tuple[Any, Any, Any], matrix: bool, earlier: Any, actors: int
) -> None:
    """Grouping (column, key) with ``ray.data`` joins each row to its group's smallest row, as
    the in-process joiner does (rows of many keys, or a key matrix), in blocks of any size;
    union-find actors join those blocks, extending an earlier join's roots, into the roots
    the in-process union-find gives."""
    from curate.dedup.joining import IN_PROCESS, Edges
    from curate.executors.ray.components import OnRay

    rows, keys, columns = case
    if matrix:
        rows, keys, columns = rows[: rows.size // 3 * 3 : 3], keys[: keys.size // 3 * 3].reshape(-1, 3), None
    joiner = OnRay(actors=actors, partitions=2, block_edges=4)
    roots = IN_PROCESS.join(41, [Edges(earlier[:, 0], earlier[:, 1])])
    with quiet_ray():
        found = list(joiner.stars(rows, keys, columns))
        joined = joiner.join(41, iter(found), roots)
    local = list(IN_PROCESS.stars(rows, keys, columns))
    assert pairs(found) == pairs(local)
    assert joined.tolist() == IN_PROCESS.join(41, local, roots).tolist()


def test_a_run_context_with_the_cluster_joiner_pickles_for_the_workers() -> None:
    """The Ray executor hands dedup ``OnRay`` in its run context; contexts travel to workers
    pickled, so it holds settings only."""
    import pickle
    from dataclasses import replace

    from curate.executors.ray.components import OnRay
    from curate.stages.base import RunContext

    context = replace(RunContext(), joiner=OnRay(actors=3, partitions=5))
    assert pickle.loads(pickle.dumps(context)) == context
    assert pickle.loads(pickle.dumps(RunContext())) == RunContext()
