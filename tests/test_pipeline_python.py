"""Pipelines from Python: built from objects, run on records in memory, written back as YAML."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasets
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import curate
from curate.errors import ConfigError, InputError
from curate.record import read_manifest
from curate.stages import Dedup, Language, Normalize, Pairs, Quality, Split

datasets.disable_progress_bars()


def battle(number: int, prompt: str, winner: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "question_id": f"q{number}",
        "model_a": "model-x",
        "model_b": "model-y",
        "winner": winner,
        "conversation_a": [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": "Yes, surely."},
        ],
        "conversation_b": [{"role": "user", "content": prompt}, {"role": "assistant", "content": "No."}],
        **extra,
    }


RECORDS = [
    battle(0, "Is the sea salty everywhere on Earth?", "model_a"),
    battle(1, "Is the sea salty everywhere on Earth??", "model_b"),  # a near duplicate of q0
    battle(2, "Do whales sleep with one half of the brain?", "tie"),
    battle(3, "Why do cats purr when they are content?", None),  # no winner: a read reject
    battle(4, "Can a river flow uphill for a while?", "model_a"),
    battle(4, "Can a river flow uphill for a while?", "model_b"),  # a repeated id
]
STAGES = [Normalize(), Dedup(threshold=0.5), Pairs(strategies=["battle"])]


def jsonl(records: list[Any], folder: Path) -> Path:
    path = folder / "battles.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def parquet(table: pa.Table, folder: Path) -> Path:
    path = folder / "battles.parquet"
    pq.write_table(table, path)
    return path


def saved(dataset: datasets.Dataset | datasets.DatasetDict, folder: Path) -> Path:
    path = folder / "battles"
    dataset.save_to_disk(str(path))
    return path


# Each in-memory type, and the file holding the same records that it must read like.
TYPES: list[tuple[str, Callable[[list[Any]], Any], Callable[[list[Any], Path], Path]]] = [
    ("list", list, jsonl),
    ("polars", pl.DataFrame, lambda r, f: parquet(pl.DataFrame(r).to_arrow(), f)),
    (
        "pandas",
        pd.DataFrame,
        lambda r, f: parquet(pa.Table.from_pandas(pd.DataFrame(r), preserve_index=False), f),
    ),
    ("arrow", pa.Table.from_pylist, lambda r, f: parquet(pa.Table.from_pylist(r), f)),
    ("dataset", datasets.Dataset.from_list, lambda r, f: saved(datasets.Dataset.from_list(r), f)),
    (
        "dataset_dict",
        lambda r: datasets.DatasetDict({"train": datasets.Dataset.from_list(r)}),
        lambda r, f: saved(datasets.DatasetDict({"train": datasets.Dataset.from_list(r)}), f),
    ),
    (
        "iterable",
        lambda r: datasets.Dataset.from_list(r).to_iterable_dataset(),
        lambda r, f: saved(datasets.Dataset.from_list(r), f),
    ),
]


def comparable(result: curate.RunResult) -> dict[str, Any]:
    """What a run gives, apart from where its records came from (a read reject's ``file``, and
    its ``raw`` text as the file spelled it) and how long it took."""
    manifest = result.manifest
    (read,) = manifest.inputs
    rejects = {stage: frame.to_dicts() for stage, frame in result.rejects_by_stage.items()}
    for row in rejects["read"]:
        row.pop("file")
        row["raw"] = json.loads(row["raw"])
    return {
        "output": result.output.to_dicts(),
        "rejects": rejects,
        "stages": [stats.model_dump(exclude={"seconds"}) for stats in manifest.stages],
        "input": read.model_dump(exclude={"files", "data"}),
    }


@pytest.mark.parametrize("format", ["auto", "arena"])
@pytest.mark.parametrize(("kind", "make", "write"), TYPES, ids=[case[0] for case in TYPES])
def test_records_in_memory_run_as_the_same_records_in_a_file(
    kind: str, make: Any, write: Any, format: str, tmp_path: Path
) -> None:
    file = write(RECORDS, tmp_path)
    source = {"name": "battles", "path": str(file), "format": format, "license": "MIT"}
    from_file = curate.Pipeline(stages=STAGES, inputs=[source]).run(write=False)
    in_memory = curate.Pipeline(stages=STAGES).run(
        data=make(RECORDS), format=format, source="battles", license="MIT", write=False
    )
    assert comparable(in_memory) == comparable(from_file)
    assert from_file.rejects_of("read")["reason"].to_list() == ["missing_field"]
    assert from_file.output.height == 2
    (read,) = in_memory.manifest.inputs
    assert (
        read.files == []
        and read.data is not None
        and read.data.type.split(".")[0] in (kind, "datasets", "pyarrow")
    )


def test_a_list_reads_its_items_as_json_lines_are_read(tmp_path: Path) -> None:
    records: list[Any] = [*RECORDS[:2], "just text", [1, 2], {"question_id": "q9"}, {"n": 2**70}, {"x": 1.5}]
    from_file = curate.read(jsonl(records, tmp_path), "arena")
    in_memory = curate.read(records, "arena")
    assert in_memory.frame.equals(from_file.frame)
    columns = ["line", "reason", "detail"]
    assert in_memory.rejects.select(columns).equals(from_file.rejects.select(columns))
    assert in_memory.rejects["file"].unique().to_list() == ["<list>"]
    assert in_memory.reasons == {"missing_field": 3, "wrong_type": 2}
    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    (reject,) = curate.read([cycle], "arena").rejects.select("line", "reason", "detail").rows()
    assert reject == (1, "invalid_json", "cannot be written as JSON (ValueError)")


def test_the_same_records_give_the_same_fingerprint_in_any_container() -> None:
    pipeline = curate.Pipeline(stages=[Normalize()])
    prints = {
        (data := pipeline.run(data=make(RECORDS), license="MIT", write=False).manifest.inputs[0].data)
        and data.sha256
        for _, make, _ in TYPES
    }
    assert len(prints) == 1
    other = pipeline.run(data=RECORDS[:2], license="MIT", write=False).manifest.inputs[0].data
    assert other is not None and other.sha256 not in prints


def test_a_run_on_records_in_memory_writes_a_balanced_output_that_says_so(tmp_path: Path) -> None:
    pipeline = curate.Pipeline(stages=STAGES, name="sea", output=tmp_path / "out")
    result = pipeline.run(data=datasets.Dataset.from_list(RECORDS), source="battles", license="MIT")
    manifest = read_manifest(tmp_path / "out")
    assert result.output_dir == tmp_path / "out"
    assert all(stats.balanced for stats in manifest.stages)
    (read,) = manifest.inputs
    assert (read.records, read.rows, read.rejected, read.files) == (6, 10, 1, [])
    assert manifest.config["inputs"] == [{"name": "battles", "license": "MIT", "data": "datasets.Dataset"}]
    # pipeline_text is the parsed file rendered again (no comments are published): the input
    # held in memory shows as its `data` entry.
    assert "data: datasets.Dataset" in manifest.pipeline_text
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert read.data is not None
    assert f"| `battles` | `datasets.Dataset` | `{read.data.sha256}` |" in card
    read_rejects = pl.read_parquet(tmp_path / "out" / "rejects" / "read.parquet")
    assert read_rejects.select("file", "line").rows() == [("<datasets.Dataset>", 4)]


def test_workers_read_records_in_memory_as_one_process_does() -> None:
    pipeline = curate.Pipeline(stages=[Normalize(), Quality(min_chars=3)])
    one = pipeline.run(data=RECORDS * 3, license="MIT", write=False, workers=1, shard_rows=4)
    two = pipeline.run(data=RECORDS * 3, license="MIT", write=False, workers=2, shard_rows=4)
    assert comparable(two) == comparable(one)
    assert one.output.height == 30


def test_data_takes_the_settings_of_the_input_it_is_named_for(tmp_path: Path) -> None:
    file = jsonl(RECORDS, tmp_path)
    source = {"name": "battles", "path": file.name, "format": "arena", "license": "MIT", "consent": "granted"}
    pipeline = curate.Pipeline(
        stages=STAGES, inputs=[source, {"name": "other", "path": file.name}], base_dir=tmp_path
    )
    result = pipeline.run(data=RECORDS[:2], source="battles", write=False)
    (read,) = result.manifest.inputs
    assert (read.name, read.format, read.format_detected, read.license, read.consent) == (
        "battles",
        "arena",
        False,
        "MIT",
        "granted",
    )
    overridden = pipeline.run(data=RECORDS[:2], source="battles", license="CC-BY-4.0", write=False)
    assert overridden.manifest.inputs[0].license == "CC-BY-4.0"


def test_an_input_can_hold_records_in_memory_from_the_start() -> None:
    inputs = [{"name": "battles", "data": pl.DataFrame(RECORDS), "license": "MIT"}]
    pipeline = curate.Pipeline(stages=STAGES, inputs=inputs)
    ran = pipeline.run(write=False)
    same = curate.Pipeline(stages=STAGES).run(data=RECORDS, source="battles", license="MIT", write=False)
    assert comparable(ran) == comparable(same)
    assert "battles (polars.DataFrame)" in repr(pipeline)


# -- the pipeline file a pipeline stands for -----------------------------------------------------


def test_to_yaml_writes_a_file_that_gives_an_equal_pipeline_and_the_same_run(tmp_path: Path) -> None:
    file = jsonl(RECORDS, tmp_path)
    pipeline = curate.Pipeline(
        name="sea",
        description="Battles about the sea.",
        seed=7,
        stages=[*STAGES[:2], {"pairs": {"strategies": ["battle"]}}, Split(test_size=1)],
        inputs=[{"name": "battles", "path": file.name, "format": "arena", "license": "MIT"}],
        output={"dir": "out/sea", "formats": ["parquet", "jsonl"]},
        base_dir=tmp_path,
    )
    text = pipeline.to_yaml()
    assert "  - dedup: {threshold: 0.5}\n" in text
    again = curate.Pipeline.from_yaml(text, base_dir=tmp_path)
    assert again == pipeline
    assert again.config.config_hash == pipeline.config.config_hash
    (tmp_path / "sea.yaml").write_text(text, encoding="utf-8")
    from_file = curate.Pipeline.from_yaml(tmp_path / "sea.yaml")
    assert from_file == pipeline and from_file.to_yaml() == text
    assert comparable(from_file.run(write=False)) == comparable(pipeline.run(write=False))


def test_records_in_memory_are_a_note_in_the_file_until_their_file_is_named(tmp_path: Path) -> None:
    pipeline = curate.Pipeline(stages=STAGES, base_dir=tmp_path).with_data(
        datasets.Dataset.from_list(RECORDS), source="battles", format="arena", license="MIT"
    )
    text = pipeline.to_yaml()
    assert "  # Input 'battles' was read from memory (a datasets.Dataset)" in text
    assert "  #   license: MIT\n" in text
    with pytest.raises(ConfigError, match="inputs: Input should be a valid list"):
        curate.Pipeline.from_yaml(text, base_dir=tmp_path)
    jsonl(RECORDS, tmp_path)
    named = curate.Pipeline.from_yaml(
        pipeline.to_yaml(data_paths={"battles": "battles.jsonl"}), base_dir=tmp_path
    )
    (spec,) = named.config.inputs
    assert (spec.name, spec.path, spec.format, spec.license) == ("battles", "battles.jsonl", "arena", "MIT")
    assert comparable(named.run(write=False)) == comparable(pipeline.run(write=False))


def test_a_pipeline_without_inputs_says_where_they_go() -> None:
    pipeline = curate.Pipeline(stages=[Normalize()])
    assert "inputs: []  # none yet: give data to run(), or add inputs here" in pipeline.to_yaml()
    with pytest.raises(InputError, match="the pipeline has no input: give data="):
        pipeline.run(write=False)


def test_a_pipeline_loaded_from_a_file_gives_its_text(tmp_path: Path) -> None:
    jsonl(RECORDS, tmp_path)
    text = "# battles\nname: sea\ninputs:\n  - {name: b, path: battles.jsonl}  # ok\nstages: [normalize]\n"
    (tmp_path / "sea.yaml").write_text(text, encoding="utf-8")
    assert curate.Pipeline.from_yaml(tmp_path / "sea.yaml").to_yaml() == text


OPTIONS = st.one_of(
    st.builds(
        Dedup,
        threshold=st.floats(0.05, 1.0),
        num_perm=st.sampled_from([64, 128, 256]),
        ngram=st.integers(1, 8),
        keep=st.sampled_from(["first", "longest", "newest"]),
    ),
    st.builds(
        Quality,
        min_turns=st.integers(0, 4),
        max_chars=st.none() | st.integers(1, 100_000),
        roles=st.lists(st.sampled_from(["system", "user", "assistant"]), min_size=1, max_size=3, unique=True),
    ),
    st.builds(
        Split, test_size=st.floats(0.01, 0.9) | st.integers(1, 1000), seed=st.none() | st.integers(0, 99)
    ),
    st.builds(Language, keep=st.none() | st.lists(st.sampled_from(["en", "fr", "de"]), unique=True)),
    st.builds(
        Normalize,
        repair=st.booleans(),
        merge_separator=st.text(" \t\n", min_size=1, max_size=4),
        late_system=st.sampled_from(["drop", "keep", "reject"]),
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stages=st.lists(OPTIONS, max_size=4),
    name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}", fullmatch=True),
    description=st.none() | st.text(max_size=40),
    seed=st.integers(0, 2**31),
)
@example(stages=[], name="n", description="a NEL \x85 reads back as a line break unless escaped", seed=0)
def test_to_yaml_round_trips_any_options(
    stages: list[Any], name: str, description: str | None, seed: int, tmp_path: Path
) -> None:
    jsonl(RECORDS, tmp_path)
    inputs = [{"name": "b", "path": "battles.jsonl", "format": "arena"}]
    pipeline = curate.Pipeline(
        name=name, description=description, seed=seed, stages=stages, inputs=inputs, base_dir=tmp_path
    )
    text = pipeline.to_yaml()
    assert yaml.safe_load(text) == pipeline.config.raw
    again = curate.Pipeline.from_yaml(text, base_dir=tmp_path)
    assert again == pipeline
    assert again.config.config_hash == pipeline.config.config_hash


def test_pipelines_are_equal_when_they_say_the_same(tmp_path: Path) -> None:
    jsonl(RECORDS, tmp_path)
    inputs = [{"name": "b", "path": "battles.jsonl"}]

    def build(threshold: float, **more: Any) -> curate.Pipeline:
        return curate.Pipeline(stages=[Dedup(threshold=threshold)], inputs=inputs, base_dir=tmp_path, **more)

    assert (
        build(0.8) == build(0.8) == curate.Pipeline(stages=[{"dedup": {}}], inputs=inputs, base_dir=tmp_path)
    )
    assert build(0.8) != build(0.7)
    assert build(0.8) != build(0.8, seed=1)
    data = curate.Pipeline(stages=[Normalize()])
    assert data.with_data(RECORDS) != data.with_data(list(RECORDS))  # other records, however alike


# -- refusals -----------------------------------------------------------------------------------


class Unregistered(Normalize):
    """A subclass no registry knows: a pipeline file could not name it."""


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: curate.Pipeline(stages=[{"dedup": {"threshold": 2}}]),
            ConfigError,
            r"^Pipeline\(\): stages\[0\]\.dedup\.threshold: Input should be less than or equal to 1 \(got 2",
        ),
        (
            lambda: curate.Pipeline(stages=["dedupe", Pairs(strategies=["battle"]), Normalize()]),
            ConfigError,
            r"stages\[0\]\.dedupe: unknown stage 'dedupe' \(did you mean 'dedup'\?\)",
        ),
        (
            lambda: curate.Pipeline(stages=[Pairs(strategies=["battle"]), Normalize()]),
            ConfigError,
            r"stages\[1\]\.normalize: stage 'normalize' takes conversations but gets pairs here",
        ),
        (
            lambda: curate.Pipeline(inputs=[{"name": "m", "data": RECORDS, "license": "CC-BY-4"}]),
            ConfigError,
            r"^Pipeline\(\): inputs\[0\]\.license: unknown license 'CC-BY-4'; did you mean 'CC-BY-4\.0'\?",
        ),
        (
            lambda: curate.Pipeline(inputs=[{"name": "m", "data": RECORDS}, {"name": "m", "data": RECORDS}]),
            ConfigError,
            r"inputs\[1\]\.name: another input is named 'm'",
        ),
        (
            lambda: curate.Pipeline(stages=[Normalize()]).run(data=RECORDS, license="CC-BY-4"),
            ConfigError,
            r"^run\(\): license: unknown license 'CC-BY-4'; did you mean 'CC-BY-4\.0'\?",
        ),
        (
            lambda: curate.Pipeline(stages=[Normalize()]).run(data=RECORDS, format="sharegtp"),
            ConfigError,
            r"^run\(\): format: unknown format 'sharegtp'; did you mean 'sharegpt'\?",
        ),
        (
            lambda: curate.Pipeline(stages=[Normalize()]).run(data={"messages": []}),
            InputError,
            r"^data: cannot read records from a builtins\.dict; give one of polars\.DataFrame",
        ),
        (
            lambda: curate.Pipeline(stages=[Normalize()]).run(data=pl.LazyFrame()),
            InputError,
            r"a polars LazyFrame is not read as it is; give frame\.collect\(\)",
        ),
        (
            lambda: curate.Pipeline(inputs=[{"name": "m", "data": 3}]),
            InputError,
            r"^inputs\[0\]\.data: cannot read records from a builtins\.int",
        ),
        (
            lambda: curate.Pipeline(stages=[Unregistered()]),
            ConfigError,
            r"stages\[0\]: Unregistered is not a registered stage \(decorate the class with @curate\.regis",
        ),
        (
            lambda: curate.Pipeline(stages=[Normalize()]).run(data=RECORDS, resume=True),
            InputError,
            "a run on records held in memory cannot be resumed",
        ),
        (
            lambda: curate.Pipeline(stages=[Normalize()]).run(
                data=pd.DataFrame({"a": [1, "x"]}), write=False
            ),
            InputError,
            r"this pandas\.DataFrame cannot be read as Arrow rows \(Arrow\w+\); give its records as a list",
        ),
    ],
)
def test_mistakes_are_named_as_a_pipeline_files_are(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_a_config_and_objects_are_not_both_taken(tmp_path: Path) -> None:
    config = curate.Pipeline(
        stages=[Normalize()], inputs=[{"name": "b", "path": str(jsonl(RECORDS, tmp_path))}]
    )
    with pytest.raises(TypeError, match="not both"):
        curate.Pipeline(config.config, stages=[Normalize()])


def test_the_readme_shows_a_pipeline_of_objects_next_to_the_file_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## From Python", 1)[1].split("<table>", 1)[1].split("</table>", 1)[0]
    python = table.split("```python\n", 1)[1].split("```", 1)[0]
    expected = table.split("```yaml\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    jsonl(RECORDS, tmp_path)
    scope: dict[str, Any] = {}
    exec(python, scope)
    assert scope["pipeline"].to_yaml() == expected
