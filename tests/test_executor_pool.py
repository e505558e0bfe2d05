"""How a record step spreads shards: the first in this process, the rest over a worker pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from curate.executors import pool
from curate.executors.workdir import RunKey, WorkFolder
from curate.stages import Normalize
from curate.stages.base import RunContext
from tests.helpers import conversation, frame


class Recorded(Normalize):
    """``normalize`` that notes when it is set up and torn down."""

    events: list[str]

    def setup(self) -> None:
        self.events.append("setup")
        super().setup()

    def teardown(self) -> None:
        self.events.append("teardown")
        super().teardown()


def test_stages_of_the_first_shard_are_torn_down_before_the_pool_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stages may hold pools of their own (language detection, pii): kept alive beside the
    step's workers they doubled the processes of a run, and its memory."""
    events: list[str] = []
    stage = Recorded(Normalize.Options())
    stage.events = events

    def start_pool(*_: Any) -> ThreadPoolExecutor:
        events.append("pool")
        worker = Normalize(Normalize.Options())
        worker.setup()
        monkeypatch.setattr(pool, "_STAGES", [(0, worker)])
        return ThreadPoolExecutor(1)  # the workers' side, without spawning processes

    monkeypatch.setattr(pool, "_start_pool", start_pool)
    key = RunKey(curate_version="test", config_hash="", inputs=(), shard_rows=1, limit=None)
    work, _ = WorkFolder.open(tmp_path / "work", key, resume=False, restart=False)
    with pool.ShardRunner(work, "01-test", [(0, stage)], RunContext(), workers=2) as runner:
        for number in range(3):
            runner.submit(f"{number:05d}", frame(conversation(f"c{number}")), {}, {})
    assert events == ["setup", "teardown", "pool"]
    assert work.finished("01-test") == ["00000", "00001", "00002"]
