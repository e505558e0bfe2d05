"""The docs stay in step with the code: commands, stages, reasons and the error example."""

from __future__ import annotations

import re
import runpy
import tomllib
from pathlib import Path

import click
import pytest

from curate import registry
from curate.cli import cli, main
from curate.config import load_pipeline
from curate.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DESIGN = (ROOT / "DESIGN.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_the_quick_start_shows_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make demo" in quick_start and "make test" in quick_start


def test_the_console_script_and_python_m_run_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts == {"curate": "curate.cli:main"}
    assert main.__module__ == "curate.cli"
    monkeypatch.setattr("sys.argv", ["curate", "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("curate.cli", run_name="__main__")
    assert exited.value.code == 0


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme_table(name: str) -> None:
    assert f"| `curate {name}" in README


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_has_an_example(name: str) -> None:
    command = cli.commands[name]
    with click.Context(command, info_name=name) as context:
        assert "Example: curate " in command.get_help(context)


@pytest.mark.parametrize("name", registry.stages.names())
def test_every_stage_is_in_the_readme_table(name: str) -> None:
    assert f"| `{name}` |" in README


@pytest.mark.parametrize("name", registry.stages.names())
def test_every_reason_a_stage_declares_is_in_design(name: str) -> None:
    reasons_section = DESIGN.split("Reasons by stage:", 1)[1].split("\n\n", 1)[0]
    for code in registry.stages.get(name).reasons:
        assert re.search(rf"`{re.escape(code)}[`:]", reasons_section), f"{name}: {code}"


def test_the_readme_error_example_is_what_validation_prints(tmp_path: Path) -> None:
    (tmp_path / "chats.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        "name: d\ninputs: [{name: c, path: chats.jsonl}]\nstages:\n"
        "  - normalize: {}\n  - dedupe: {}\n  - language: {}\n  - dedup: {threshold: 1.5}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_pipeline(pipeline)
    for line in str(caught.value).splitlines():
        message = line.split(": ", 1)[1]  # the part after "file:line"
        assert message in README
