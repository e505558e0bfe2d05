"""What reading an input found besides its rows: each shard's facts, as its marker keeps them,
and their totals per input, as the manifest records them."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from curate.readers.load import InputShard, InputStream
from curate.readers.locate import Located
from curate.record import InputData, InputHub


@dataclass(frozen=True)
class InputSeen:
    """What reading an input found besides its rows: the format read, and the records' fingerprint
    when they were held in memory."""

    format: str
    detected: bool
    license: str
    data: InputData | None

    @classmethod
    def of(cls, stream: InputStream) -> InputSeen:
        """Once ``stream``'s shards are exhausted."""
        data = InputData(type=stream.data.kind, sha256=stream.data.sha256) if stream.data else None
        return cls(stream.format, stream.detected, stream.license, data)


def hub_record(located: Located | None) -> InputHub | None:
    """The Hub commit an input was read at, when it came from the Hub."""
    return InputHub.model_validate(located.hub.record()) if located and located.hub else None


def read_facts(number: int, shard: InputShard, seconds: float) -> dict[str, Any]:
    """What reading one shard of input ``number`` found, as its ``done.json`` keeps it."""
    return {
        "input": number,
        "records": shard.records,
        "rows": shard.frame.height,
        "rejected": shard.rejects.height,
        "reasons": counts(shard.rejects),
        "seconds": seconds,
    }


def timed(shards: Iterator[InputShard]) -> Iterator[tuple[InputShard, float]]:
    """The shards of an input stream, each with the seconds spent reading it."""
    while True:
        started = time.perf_counter()
        shard = next(shards, None)
        if shard is None:
            return
        yield shard, time.perf_counter() - started


def read_totals(reads: list[dict[str, Any]]) -> tuple[int, int, int, dict[str, int]]:
    """Records, rows and rejected records over shards' read facts, and the rejects by reason."""
    reasons: Counter[str] = Counter()
    for read in reads:
        reasons.update(read["reasons"])
    return (
        sum(read["records"] for read in reads),
        sum(read["rows"] for read in reads),
        sum(read["rejected"] for read in reads),
        dict(sorted(reasons.items())),
    )


def counts(rejects: pl.DataFrame) -> dict[str, int]:
    return dict(sorted(rejects.group_by("reason").len().iter_rows())) if rejects.height else {}
