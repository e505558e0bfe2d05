"""What a long run shows while it works: steps, rates, estimates, and model loads as steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import curate
from curate import progress
from curate.progress import PlainReporter

ROOT = Path(curate.__file__).resolve().parents[1]


class Recording:
    """A reporter that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def start(self, task: str, total: int | None) -> None:
        self.events.append(("start", task))

    def advance(self, rows: int) -> None:
        pass

    def finish(self) -> None:
        self.events.append(("finish", None))

    def message(self, text: str) -> None:
        pass

    def summary(self, stats: Any) -> None:
        pass


def test_a_model_load_is_a_step_of_its_own_before_the_stage_runs(tmp_path: Path) -> None:
    data = ROOT / "data" / "wildchat.jsonl"
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        f"name: p\ninputs:\n  - {{name: w, path: {data}, format: wildchat, license: ODC-BY-1.0}}\n"
        "stages:\n  - normalize: {}\n  - pii: {entities: [EMAIL_ADDRESS]}\n"
        f"output: {{dir: {tmp_path / 'out'}, card: false}}\n"
    )
    reporter = Recording()
    curate.Pipeline.from_yaml(pipeline).run(reporter=reporter, workers=1, force=True)
    starts = [task for kind, task in reporter.events if kind == "start"]
    loading = "loading pii: presidio and the spaCy model"
    assert starts[0] == loading, starts
    assert reporter.events[1] == ("finish", None)  # loaded before the first row is read


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (None, "pii: 50 so far, 10/s"),
        (200, "pii: 50 of 200, 10/s, about 15 s left"),
        (40_050, "pii: 50 of 40,050, 10/s, about 67 min left"),
    ],
)
def test_plain_lines_give_the_rate_and_what_is_left(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, total: int | None, expected: str
) -> None:
    clock = iter([0.0, 5.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    reporter = PlainReporter(interval=1.0)
    reporter.start("pii", total)
    reporter.advance(50)
    assert capsys.readouterr().err.splitlines()[-1] == expected
