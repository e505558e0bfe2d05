"""Pipeline files: every invalid file in tests/conf/invalid gives exactly its message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import curate
from curate.cli import cli
from curate.config import load_pipeline, parse_pipeline
from curate.config_schema import pipeline_json_schema
from curate.errors import ConfigError

CONF = Path(__file__).parent / "conf"
INVALID = sorted((CONF / "invalid").glob("*.yaml"))


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_pipeline_gives_its_message(path: Path) -> None:
    expected = path.with_suffix(".txt").read_text(encoding="utf-8").strip().replace("{file}", str(path))
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path)
    assert str(caught.value) == expected


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_run_command_exits_2_and_writes_nothing(path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "error:" in result.output
    assert not list(tmp_path.iterdir())
    assert not (path.parent / "out").exists()


def test_relative_paths_resolve_against_the_pipeline_folder(tmp_path: Path) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text((CONF / "valid" / "chats.jsonl").read_text())
    pipeline = folder / "p.yaml"
    pipeline.write_text("name: p\ninputs:\n  - {name: a, path: ../data/a.jsonl}\noutput: {dir: ../out/p}\n")
    config = load_pipeline(pipeline)
    assert config.output_dir == (tmp_path / "out" / "p").resolve()
    assert config.base_dir == folder.resolve()


def test_from_dict_validates_like_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"inputs\[0\]\.path: no file matches"):
        curate.Pipeline.from_dict({"name": "x", "inputs": [{"name": "a", "path": "nope.jsonl"}]}, tmp_path)


def test_config_hash_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text((CONF / "valid" / "chats.jsonl").read_text())
    first = parse_pipeline({"name": "x", "inputs": [{"name": "a", "path": "a.jsonl"}]}, tmp_path)
    same = parse_pipeline({"inputs": [{"path": "a.jsonl", "name": "a"}], "name": "x"}, tmp_path)
    other = parse_pipeline({"name": "y", "inputs": [{"name": "a", "path": "a.jsonl"}]}, tmp_path)
    assert first.config_hash == same.config_hash != other.config_hash


def test_pipeline_text_is_the_text_validated_even_if_the_file_changes(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text((CONF / "valid" / "chats.jsonl").read_text())
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("name: p\ninputs: [{name: a, path: a.jsonl}]\n")
    config = load_pipeline(pipeline)
    pipeline.write_text("name: edited-while-it-ran\ninputs: [{name: a, path: a.jsonl}]\n")
    assert config.text == "name: p\ninputs: [{name: a, path: a.jsonl}]\n"


def test_schema_lists_every_stage_and_forbids_unknown_keys() -> None:
    schema = pipeline_json_schema()
    stage_names = {
        next(iter(choice["properties"])) for choice in schema["properties"]["stages"]["items"]["oneOf"]
    }
    assert stage_names == set(curate.registry.stages.names())
    assert schema["$defs"]["InputConfig"]["additionalProperties"] is False
    json.dumps(schema)  # serialisable for editors


def test_schema_command_prints_json() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "curate pipeline"
