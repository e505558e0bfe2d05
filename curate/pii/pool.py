"""Each distinct text analysed once, spread over worker processes when the work is large.

``Analyser.findings(requests)`` takes ``(text, mode)`` pairs (``curate.pii.modes``: how far
the search for names goes, and in which language; a bool means ``NAMES`` or ``PATTERNS``)
and returns their findings in order. A text seen before
(in this batch or an earlier one, same mode) is not analysed again: findings depend only on
the text and the ``EngineSpec``. New texts go to a
process pool whose workers each build one ``Scanner`` (model loaded once per worker), in
chunks of about equal cost; small amounts of work run in this process instead, where
starting workers would cost more than it saves. Workers are spawned, not forked: the parent
holds polars' and spaCy's threads.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TYPE_CHECKING, Final

import xxhash

from curate.pii.entities import Finding
from curate.pii.lean import without_ml_stacks
from curate.processes import exit_with

if TYPE_CHECKING:
    from curate.pii.analysis import Scanner
    from curate.pii.engine import EngineSpec

POOL_MIN_COST: Final = 400_000
"""Below this much work (characters, NER texts weighted by ``NER_WEIGHT``) one process is faster."""
NER_WEIGHT: Final = 10
CHUNKS_PER_WORKER: Final = 4
CACHE_LIMIT: Final = 2_000_000

Request = tuple[str, int]
Findings = tuple[Finding, ...]


class Analyser:
    """Findings for ``(text, ner)`` requests, with a cache across calls and an optional pool."""

    def __init__(self, spec: EngineSpec, workers: int = 1) -> None:
        self.spec = spec
        self.workers = max(1, workers)
        self.cache: dict[bytes, Findings] = {}
        self.analysed = 0
        self.cached = 0
        self._local: Scanner | None = None
        self._pool: Executor | None = None

    def reset(self) -> None:
        """Start the cache and its counts afresh (a new shard of rows)."""
        self.cache = {}
        self.analysed = 0
        self.cached = 0

    def start(self) -> None:
        """Prepare the pool (workers start on first use, so an idle stage costs nothing)."""
        if self.workers > 1 and self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.spec, os.getpid()),
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def findings(self, requests: Sequence[Request]) -> list[Findings]:
        keys = [_key(text, ner) for text, ner in requests]
        todo: dict[bytes, Request] = {}
        for key, request in zip(keys, requests, strict=True):
            if key not in self.cache and key not in todo:
                todo[key] = request
        self.cached += len(requests) - len(todo)
        if todo:
            pending = list(todo.values())
            for key, found in zip(todo, self._analyse(pending), strict=True):
                self.cache[key] = found
            self.analysed += len(pending)
        result = [self.cache[key] for key in keys]
        if len(self.cache) > CACHE_LIMIT:
            for key in list(self.cache)[: CACHE_LIMIT // 2]:
                del self.cache[key]
        return result

    def _analyse(self, requests: list[Request]) -> list[Findings]:
        cost = sum(_cost(request) for request in requests)
        if self._pool is None or cost < POOL_MIN_COST:
            return self._scanner().findings([text for text, _ in requests], [ner for _, ner in requests])
        chunks = _chunks(requests, self.workers * CHUNKS_PER_WORKER)
        futures = [self._pool.submit(_work, [requests[i] for i in chunk]) for chunk in chunks]
        found: list[Findings] = [()] * len(requests)
        for chunk, future in zip(chunks, futures, strict=True):
            for i, findings in zip(chunk, future.result(), strict=True):
                found[i] = findings
        return found

    def _scanner(self) -> Scanner:
        if self._local is None:
            self._local = _shared_scanner(self.spec)
        return self._local


def _key(text: str, mode: int) -> bytes:
    return xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass")) + int(mode).to_bytes(2, "big")


def _cost(request: Request) -> int:
    text, ner = request
    return len(text) * (NER_WEIGHT if ner else 1)


def _chunks(requests: list[Request], count: int) -> list[list[int]]:
    """Indices split into ``count`` groups of about equal cost (largest first, to the lightest)."""
    groups: list[list[int]] = [[] for _ in range(max(1, min(count, len(requests))))]
    loads = [0] * len(groups)
    for index in sorted(range(len(requests)), key=lambda i: (-_cost(requests[i]), i)):
        lightest = loads.index(min(loads))
        groups[lightest].append(index)
        loads[lightest] += _cost(requests[index])
    return [sorted(group) for group in groups if group]


_worker_scanner: Scanner | None = None


def _shared_scanner(spec: EngineSpec) -> Scanner:
    """The process's scanner for ``spec``, presidio and spaCy imported without torch (``lean``)."""
    with without_ml_stacks():
        from curate.pii.analysis import shared_scanner

        return shared_scanner(spec)


def _start_worker(spec: EngineSpec, parent: int) -> None:
    global _worker_scanner
    exit_with(parent)
    _worker_scanner = _shared_scanner(spec)


def _work(requests: list[Request]) -> list[Findings]:
    assert _worker_scanner is not None, "the pool initializer builds the scanner"
    return _worker_scanner.findings([text for text, _ in requests], [ner for _, ner in requests])
