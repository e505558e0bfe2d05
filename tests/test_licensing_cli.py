"""``curate licenses``: listing the registry, showing one entry, checking a pipeline before it runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from curate.cli.licenses import headline, licenses
from curate.licensing.describe import check_pipeline
from tests.helpers import write_pipeline

DOCS = Path(__file__).resolve().parents[1] / "docs" / "licenses.md"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(licenses, list(args))
    return result.exit_code, result.stdout, result.stderr


def line_of(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


@pytest.mark.parametrize(
    ("args", "start", "words"),
    [
        ((), "CC-BY-NC-4.0 ", ["noncommercial", "yes", "cc-by-nc-4.0"]),
        ((), "CC-BY-SA-4.0 ", ["commercial", "cc-by-sa-4.0"]),
        (("--list", "terms"), "openai ", ["OpenAI", "noncommercial", "gpt-4*"]),
        (("--list", "sources"), "chatbot-arena-conversations ", ["CC-BY-4.0 AND CC-BY-NC-4.0"]),
    ],
)
def test_listing_the_registry(args: tuple[str, ...], start: str, words: list[str]) -> None:
    code, out, _ = invoke(*args)
    assert code == 0
    line = line_of(out, start)
    assert all(word in line for word in words), line


@pytest.mark.parametrize(
    ("key", "first", "contains"),
    [
        (
            "odc-by",
            "ODC-BY-1.0: Open Data Commons Attribution License v1.0",
            "allowed for: commercial, noncommercial",
        ),
        (
            "CC BY-NC 4.0",
            "CC-BY-NC-4.0: Creative Commons Attribution Non Commercial 4.0 International",
            "allowed for: noncommercial",
        ),
        ("openai", "openai: OpenAI Terms of Use (OpenAI)", "use of outputs noncommercial"),
        (
            "chatbot-arena",
            "chatbot-arena-conversations: Chatbot Arena Conversations (33k)",
            "CC-BY-4.0 AND CC-BY-NC-4.0",
        ),
    ],
)
def test_show_one_entry(key: str, first: str, contains: str) -> None:
    code, out, _ = invoke("show", key)
    assert code == 0
    assert out.splitlines()[0] == first
    assert contains in out


def test_show_an_unknown_key_suggests_the_closest() -> None:
    code, out, err = invoke("show", "cc-by-4")
    assert (code, out) == (2, "")
    assert err.strip() == "error: unknown license 'cc-by-4'; did you mean 'CC-BY-4.0'?"


def write_inputs(folder: Path) -> None:
    for name in ("team", "public", "wild"):
        (folder / f"{name}.jsonl").write_text("", encoding="utf-8")


PIPELINE = """
name: checked
inputs:
  - {name: team, path: team.jsonl, format: openai, license: MIT}
  - {name: public, path: public.jsonl, format: openai, license: CC-BY-NC-4.0}
  - {name: wild, path: wild.jsonl, format: openai, license: auto, dataset: wildchat-1m}
stages:
"""


def test_check_names_the_inputs_a_pipeline_would_drop(tmp_path: Path) -> None:
    write_inputs(tmp_path)
    path = write_pipeline(tmp_path, PIPELINE + "  - license: {use: commercial}\n")
    code, out, _ = invoke("check", str(path))
    assert code == 0
    assert out.splitlines()[0] == "license stage: use commercial (model_terms: apply, unknown: reject)"
    assert re.search(r"^team +MIT +commercial +kept *$", out, flags=re.M)
    assert re.search(
        r"^public +CC-BY-NC-4.0 +noncommercial +dropped \(license:CC-BY-NC-4.0\) *$", out, flags=re.M
    )
    assert re.search(
        r"^wild +ODC-BY-1.0 +commercial +kept; replies by models under terms:openai would be dropped",
        out,
        flags=re.M,
    )
    assert check_pipeline(path).dropped == ["public"]


@pytest.mark.parametrize(
    ("stage", "dropped"),
    [
        ("  - license: {use: noncommercial}\n", []),
        ("  - license: {use: commercial, allow: [CC-BY-NC-4.0], model_terms: ignore}\n", []),
        ("  - license: {use: commercial, require_attribution: false}\n", ["public", "team", "wild"]),
        ("  - consent: {}\n", []),
    ],
)
def test_check_follows_the_stage_options(tmp_path: Path, stage: str, dropped: list[str]) -> None:
    write_inputs(tmp_path)
    result = check_pipeline(write_pipeline(tmp_path, PIPELINE + stage))
    assert sorted(result.dropped) == dropped
    if "license" not in stage:
        assert result.policy is None
        assert headline(result).startswith("The pipeline has no license stage")


def test_check_a_missing_pipeline_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke("check", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "does not exist" in err


@pytest.mark.parametrize("command", [[], ["show"], ["check"]])
def test_every_command_example_is_in_the_docs(command: list[str]) -> None:
    result = CliRunner().invoke(licenses, [*command, "--help"])
    example = re.search(r"Example: (.+)", result.output)
    assert example, result.output
    assert f"$ {example.group(1).strip()}" in DOCS.read_text(encoding="utf-8")


def test_the_listing_is_deterministic() -> None:
    assert invoke()[1] == invoke()[1]
    assert json.dumps(invoke("show", "MIT")) == json.dumps(invoke("show", "mit"))
