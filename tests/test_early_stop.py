"""A run that cannot succeed says so: before the slow stages when no pair can form, and by its
exit code when it publishes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from curate.cli import cli

SINGLE_REPLIES = "".join(
    json.dumps(
        {
            "id": f"c{i}",
            "model": "gpt-4",
            "messages": [
                {"role": "user", "content": f"question number {i}"},
                {"role": "assistant", "content": f"a long enough answer {i}"},
            ],
        }
    )
    + "\n"
    for i in range(6)
)


def pipeline(folder: Path, stages: str, license: str = "MIT") -> Path:
    (folder / "chats.jsonl").write_text(SINGLE_REPLIES)
    path = folder / "p.yaml"
    path.write_text(
        f"name: early\ninputs: [{{name: chats, path: chats.jsonl, format: openai, license: {license}}}]\n"
        f"stages: {stages}\noutput: {{dir: out, card: false}}\n"
    )
    return path


PAIRS = "[{normalize: {}}, {dedup: {}}, {pairs: {strategies: [model_rank], model_rank: {ranking: [gpt-4]}}}]"


def test_no_pair_possible_stops_before_the_slow_stages(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(cli, ["run", str(pipeline(tmp_path, PAIRS)), "-q"])
    assert outcome.exit_code == 1
    assert "the pairs stage cannot form any pair: 6 conversations form 6 groups" in outcome.output
    assert "each prompt has a single reply" in outcome.output
    assert "pass --force" in outcome.output
    ledger = (tmp_path / "out.work" / "ledger.jsonl").read_text()
    assert '"event": "pairing_estimate"' in ledger
    assert "dedup" not in {json.loads(line).get("step", "")[3:] for line in ledger.splitlines()}


def test_force_runs_on_and_an_empty_output_names_the_stage_that_emptied_it(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(cli, ["run", str(pipeline(tmp_path, PAIRS)), "-q", "--force"])
    assert outcome.exit_code == 1
    assert "the run published no rows: the pairs stage took the last 6 (single_reply 6)" in outcome.output
    assert (tmp_path / "out" / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("stages", "license", "message"),
    [
        (
            "[{license: {use: commercial}}]",
            "CC-BY-NC-4.0",
            "the license stage took the last 6 (license:CC-BY-NC-4.0 6)",
        ),
        ("[{quality: {min_chars: 500}}]", "MIT", "the quality stage took the last 6 (too_short:user 6)"),
    ],
)
def test_the_stage_that_took_the_last_rows_is_named(
    tmp_path: Path, stages: str, license: str, message: str
) -> None:
    outcome = CliRunner().invoke(cli, ["run", str(pipeline(tmp_path, stages, license)), "-q"])
    assert outcome.exit_code == 1
    assert message in outcome.output
