"""The runner: rows balance, reasons are declared, outputs appear whole, runs repeat exactly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import ClassVar

import polars as pl
import pytest

import curate
from curate.errors import StageError
from curate.registry import Registry, RegistryError
from curate.stages.base import FilterStage, Stage, StageOptions, StageOutput, StageReport, no_rejects
from tests.helpers import conversation, frame, run_in_shards, run_pipeline

CHATS = (
    "\n".join(
        json.dumps(
            {
                "id": f"c{i}",
                "messages": [
                    {"role": "user", "content": f"question {i}"},
                    {"role": "assistant", "content": f"answer {i}"},
                ],
            }
        )
        for i in range(12)
    )
    + "\n"
)


class DropOdd(FilterStage[StageOptions]):
    name = "drop_odd"
    reasons: ClassVar[tuple[str, ...]] = ("odd",)

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        odd = pl.col("id").str.extract(r"(\d+)$").cast(pl.Int64) % 2 == 1
        return frame.with_columns(
            reason=pl.when(odd).then(pl.lit("odd:number")), detail=pl.when(odd).then(pl.col("id"))
        )


class LosesRows(Stage[StageOptions]):
    name = "loses_rows"

    def process(self, frame: pl.DataFrame) -> StageOutput:
        return StageOutput(kept=frame.head(1), rejected=no_rejects(frame))


class Doubles(Stage[StageOptions]):
    """A batch stage that changes the unit: two rows out for every row in."""

    name = "doubles"

    def process(self, frame: pl.DataFrame) -> StageOutput:
        return StageOutput(kept=pl.concat([frame, frame]), rejected=no_rejects(frame), consumed=frame.height)


class UndeclaredReason(FilterStage[StageOptions]):
    name = "undeclared"
    reasons: ClassVar[tuple[str, ...]] = ("declared",)

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(reason=pl.lit("surprise"), detail=pl.lit(None, dtype=pl.String))


class Counted(StageReport):
    rows: int


class Lifecycle(FilterStage[StageOptions, Counted]):
    """Keeps every row; records each lifecycle call, and reports what its declared model says."""

    name = "lifecycle"
    Report = Counted

    def __init__(self, options: StageOptions, report: object = None) -> None:
        super().__init__(options)
        self.calls: list[str] = []
        self._report = report
        self.rows = 0

    def reset(self) -> None:
        self.rows = 0

    def setup(self) -> None:
        self.calls.append("setup")

    def teardown(self) -> None:
        self.calls.append("teardown")

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        self.calls.append("process")
        self.rows += frame.height
        return frame.with_columns(reason=pl.lit(None, dtype=pl.String), detail=pl.lit(None, dtype=pl.String))

    def report(self) -> Counted | None:
        if self._report is not None:
            return self._report  # type: ignore[return-value]
        return Counted(rows=self.rows)


def _run(stage: Stage[StageOptions], rows: pl.DataFrame, shard_rows: int = 5) -> tuple:
    return run_in_shards(stage, rows, shard_rows)


def test_filter_stage_routes_rows_and_counts_reasons_across_batches() -> None:
    rows = frame(*(conversation(f"c{i}") for i in range(12)))
    kept, rejected, stats = _run(DropOdd(StageOptions()), rows)
    assert kept["id"].to_list() == [f"c{i}" for i in range(0, 12, 2)]
    assert rejected["reason"].unique().to_list() == ["odd:number"]
    assert rejected.columns[-3:] == ["stage", "reason", "detail"]
    assert (stats.rows_in, stats.rows_out, stats.rows_rejected) == (12, 6, 6)
    assert stats.reasons == {"odd:number": 6}


def test_rows_consumed_add_up_across_batches() -> None:
    kept, _, stats = _run(Doubles(StageOptions()), frame(*(conversation(f"c{i}") for i in range(12))))
    assert (kept.height, stats.rows_in, stats.rows_consumed, stats.rows_rejected) == (24, 12, 12, 0)


def test_a_stage_that_loses_rows_is_an_error() -> None:
    with pytest.raises(StageError, match="lost rows: 3 in, 1 kept, 0 rejected"):
        _run(LosesRows(StageOptions()), frame(*(conversation(f"c{i}") for i in range(3))))


def test_the_runner_sets_a_stage_up_once_and_merges_the_shards_reports() -> None:
    stage = Lifecycle(StageOptions())
    _, _, stats = _run(stage, frame(*(conversation(f"c{i}") for i in range(12))))
    assert stage.calls == ["setup", "process", "process", "process", "teardown"]
    assert stats.report == {"rows": 12}


def test_calling_a_stage_sets_it_up_processes_and_tears_it_down() -> None:
    stage = Lifecycle(StageOptions())
    output = stage(frame(conversation("c1"), conversation("c2")))
    assert (output.kept.height, output.rejected.height) == (2, 0)
    assert stage.calls == ["setup", "process", "teardown"]


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"rows": 1}, "reported a dict; its declared Report is Counted"),
        (StageReport(), "reported a StageReport; its declared Report is Counted"),
    ],
)
def test_a_report_that_is_not_the_declared_model_is_an_error(report: object, message: str) -> None:
    with pytest.raises(StageError, match=message):
        _run(Lifecycle(StageOptions(), report), frame(conversation("c1")))


def test_a_reason_outside_the_vocabulary_is_an_error() -> None:
    with pytest.raises(StageError, match="undeclared reasons: surprise"):
        _run(UndeclaredReason(StageOptions()), frame(conversation("c1")))


def test_run_writes_the_output_folder_contract(tmp_path: Path) -> None:
    (tmp_path / "chats.jsonl").write_text(CHATS)
    result = run_pipeline(
        tmp_path,
        """
        name: contract
        inputs:
          - {name: chats, path: chats.jsonl, format: openai, license: MIT}
        output: {dir: out, formats: [parquet, jsonl], card: false}
        """,
    )
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "data/train-00000-of-00001.jsonl",
        "data/train-00000-of-00001.parquet",
        "manifest.json",
        "rejects/read.parquet",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["output"] == {
        "kind": "conversations",
        "rows": 12,
        "splits": {"train": 12},
        "formats": ["parquet", "jsonl"],
        "files": ["data/train-00000-of-00001.parquet", "data/train-00000-of-00001.jsonl"],
    }
    assert manifest["inputs"][0]["files"][0]["sha256"] == hashlib.sha256(CHATS.encode()).hexdigest()
    assert manifest["config_hash"].startswith("sha256:")
    written = pl.read_parquet(out / "data" / "train-00000-of-00001.parquet")
    assert written.columns == list(curate.schema.CONVERSATION)
    assert written.equals(result.output)


def test_run_without_write_touches_no_file(tmp_path: Path) -> None:
    (tmp_path / "chats.jsonl").write_text(CHATS)
    result = run_pipeline(
        tmp_path, "name: dry\ninputs: [{name: chats, path: chats.jsonl}]\noutput: {dir: out}\n", write=False
    )
    assert result.output.height == 12
    assert not (tmp_path / "out").exists()
    assert result.output_dir is None


def test_runs_are_byte_identical(tmp_path: Path) -> None:
    (tmp_path / "chats.jsonl").write_text(CHATS + "not json\n")
    text = """
        name: twice
        inputs: [{name: chats, path: chats.jsonl}]
        output: {dir: out, formats: [parquet, jsonl], card: false}
        """

    def digests() -> dict[str, str]:
        run_pipeline(tmp_path, text)
        out = tmp_path / "out"
        return {
            p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json"
        }

    assert digests() == digests()


def test_a_failed_run_leaves_the_previous_output_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "chats.jsonl").write_text(CHATS)
    text = "name: keep\ninputs: [{name: chats, path: chats.jsonl}]\noutput: {dir: out, card: false}\n"
    run_pipeline(tmp_path, text)
    before = (tmp_path / "out" / "manifest.json").read_bytes()

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("curate.writers.output.write_manifest", explode)
    with pytest.raises(OSError, match="disk full"):
        run_pipeline(tmp_path, text)
    assert (tmp_path / "out" / "manifest.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_registry_refuses_a_second_class_under_one_name() -> None:
    registry: Registry[type] = Registry("thing")
    registry.add("a", int)
    registry.add("a", int)  # the same class again is harmless (re-import)
    with pytest.raises(RegistryError, match="'a' is already registered"):
        registry.add("a", str)
    with pytest.raises(RegistryError, match="did you mean 'a'"):
        registry.get("aa")


def test_an_input_that_cannot_be_opened_is_a_reject_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "chats.jsonl").write_text(CHATS)
    (tmp_path / "locked.jsonl").write_text(CHATS)
    real_open = Path.open

    def refuse_locked(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "locked.jsonl":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse_locked)
    result = run_pipeline(
        tmp_path,
        "name: locked\ninputs: [{name: chats, path: '*.jsonl', format: openai}]\noutput: {dir: out}\n",
    )
    assert result.output.height == 12
    assert result.rejects_of("read")["reason"].to_list() == ["unreadable_file"]
    files = json.loads((tmp_path / "out" / "manifest.json").read_text())["inputs"][0]["files"]
    assert files[1] == {
        "path": "locked.jsonl",
        "bytes": 0,
        "sha256": None,
        "error": "PermissionError: Permission denied",
    }


def test_limit_reads_a_sample_that_the_manifest_and_card_name(tmp_path: Path) -> None:
    (tmp_path / "chats.jsonl").write_text(CHATS)
    text = "name: sample\ninputs: [{name: chats, path: chats.jsonl, license: MIT}]\noutput: {dir: out}\n"
    result = run_pipeline(tmp_path, text, limit=5)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (result.output.height, manifest["sample_limit"], manifest["inputs"][0]["records"]) == (5, 5, 5)
    assert (
        "**This is a sample run**: it read at most 5 records of each input"
        in (tmp_path / "out" / "README.md").read_text()
    )
    whole = run_pipeline(tmp_path, text)
    assert whole.output.height == 12
    assert "sample_limit" not in json.loads((tmp_path / "out" / "manifest.json").read_text())
