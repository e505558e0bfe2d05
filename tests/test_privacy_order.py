"""Prompts leave the machine only after `pii`, unless the pipeline file says `send_unscrubbed`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from curate.cli import cli
from curate.config import load_pipeline
from curate.errors import ConfigError
from tests.helpers import write_pipeline

GENERATE = "- generate: {models: [{base_url: 'http://10.0.0.5:8000/v1', model: m}]%s}"
UNSCRUBBED = ", send_unscrubbed: true"
JUDGE = "- pairs: {strategies: [judge], judge: {base_url: 'http://10.0.0.5:8000/v1', model: j%s}}"


def pipeline(tmp_path: Path, *stages: str) -> Path:
    (tmp_path / "chats.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    lines = "\n".join(f"  {stage}" for stage in stages)
    return write_pipeline(tmp_path, f"name: p\ninputs: [{{name: c, path: chats.jsonl}}]\nstages:\n{lines}\n")


@pytest.mark.parametrize(
    ("stages", "refused"),
    [
        ((GENERATE % "", "- pii: {}"), "stages[0].generate.models[0].base_url"),
        (("- normalize: {}", GENERATE % ""), "stages[1].generate.models[0].base_url"),
        ((GENERATE % UNSCRUBBED, "- pii: {}"), None),
        (("- pii: {}", GENERATE % ""), None),
        ((JUDGE % "",), "stages[0].pairs.judge.base_url"),
        ((JUDGE % UNSCRUBBED,), None),
        (("- pii: {}", JUDGE % ""), None),
        (("- pairs: {strategies: [judge], judge: {reward_model: .}}",), None),
    ],
)
def test_generate_or_an_api_judge_before_pii_is_refused_unless_the_file_allows_it(
    tmp_path: Path, stages: tuple[str, ...], refused: str | None
) -> None:
    path = pipeline(tmp_path, *stages)
    if refused is None:
        load_pipeline(path)
        return
    with pytest.raises(ConfigError) as caught:
        load_pipeline(path)
    [issue] = caught.value.issues
    assert issue.path == refused
    assert "would send record text to http://10.0.0.5:8000/v1 before any `pii` stage" in issue.message
    switch = refused.replace("models[0].base_url", "send_unscrubbed").replace("base_url", "send_unscrubbed")
    assert issue.hint is not None and f"set {switch}: true" in issue.hint


def test_curate_validate_refuses_generate_before_pii(tmp_path: Path) -> None:
    path = pipeline(tmp_path, GENERATE % "", "- pii: {}")
    outcome = CliRunner().invoke(cli, ["validate", str(path)])
    assert outcome.exit_code == 2
    assert (
        f"{path}:4: stages[0].generate.models[0].base_url: `generate` would send record text"
        in outcome.output
    )
    assert "set stages[0].generate.send_unscrubbed: true" in outcome.output
