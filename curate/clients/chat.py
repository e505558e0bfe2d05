"""Send chat-completion requests: concurrent, retried, cached, and silent about API keys.

``ChatClient.complete(requests)`` returns one ``ChatResult`` per request, in order:

- the cache answers first; identical requests of one call are sent once;
- each endpoint gets ``concurrency`` workers over one shared connection pool;
- a 429, a 5xx, a timeout or a lost connection is retried after ``backoff`` seconds, doubled
  each time up to a minute, or after the server's ``Retry-After``;
- 401 / 403 (the key) and 404 (the URL or the model) stop everything with ``EndpointError``,
  and so does an endpoint whose first requests all fail after their retries: a dead server
  stops the run with its reason instead of rejecting the whole dataset;
- any other failure (a 400 for one over-long prompt, say) is a result with ``error`` set,
  for the caller to count.

The API key is read from the named environment variable when requests are sent, and goes
only into the ``Authorization`` header: never into results, the cache or a message.

HTTP goes through httpx2 (pydantic's maintained fork of httpx, same API): httpcore 1.0's
connection pool re-scans every connection for every request, which at 64 connections cost
more than the requests themselves (``benchmarks/judge.py``: 60 against 440 requests/s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx2
import orjson

from curate.clients.cache import ResponseCache
from curate.clients.request import ChatRequest, ChatResult, Endpoint, Usage
from curate.errors import EndpointError

FAIL_FAST = 3
"""An endpoint stops the run once this many requests failed before any succeeded."""
MAX_DELAY = 60.0
POOL = 8
"""Connections per HTTP client; workers beyond it get another client."""
RETRY_STATUSES = frozenset({408, 425, 429})


class ChatClient:
    """Chat completions for many requests at once; ``usage`` counts them per endpoint."""

    def __init__(
        self, cache: ResponseCache | None = None, transport: httpx2.AsyncBaseTransport | None = None
    ) -> None:
        self.cache = cache
        self.usage: dict[Endpoint, Usage] = {}
        self._transport = transport

    def complete(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        """Answer ``requests`` (blocking); works inside a running event loop (a notebook) too."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.acomplete(requests))
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self.acomplete(requests)).result()

    async def acomplete(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        found: dict[str, ChatResult] = {}
        queued: set[str] = set()
        todo: dict[Endpoint, list[ChatRequest]] = {}
        for request in requests:
            key = request.key
            if key in found or key in queued:
                continue
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is not None:
                found[key] = hit
            else:
                queued.add(key)
                todo.setdefault(request.endpoint, []).append(request)
        if todo:
            found.update(await self._send_all(todo))
        results = [found[request.key] for request in requests]
        for request, result in zip(requests, results, strict=True):
            self.usage_of(request.endpoint).add(result)
        return results

    def usage_of(self, endpoint: Endpoint) -> Usage:
        return self.usage.setdefault(endpoint, Usage())

    async def _send_all(self, todo: dict[Endpoint, list[ChatRequest]]) -> dict[str, ChatResult]:
        states = [
            _EndpointState(endpoint, _api_key(endpoint), deque(batch)) for endpoint, batch in todo.items()
        ]
        workers = [
            state for state in states for _ in range(min(state.endpoint.concurrency, len(state.queue)))
        ]
        answers: dict[str, ChatResult] = {}
        async with contextlib.AsyncExitStack() as stack:
            # Pools of a few connections each: a pool's bookkeeping per request grows with its size.
            pools = [
                await stack.enter_async_context(
                    httpx2.AsyncClient(limits=httpx2.Limits(max_connections=POOL), transport=self._transport)
                )
                for _ in range(0, len(workers), POOL)
            ]
            tasks = [
                asyncio.create_task(self._work(pools[number // POOL], state, answers))
                for number, state in enumerate(workers)
            ]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        for state in states:
            if state.failures and not state.successes:
                raise state.dead()
        return answers

    async def _work(
        self, http: httpx2.AsyncClient, state: _EndpointState, answers: dict[str, ChatResult]
    ) -> None:
        while state.queue:
            request = state.queue.popleft()
            result = await self._send(http, state, request)
            answers[request.key] = result
            if result.ok:
                state.successes += 1
                if self.cache is not None:
                    self.cache.put(request.key, result)
                continue
            state.failures += 1
            state.last_error = result.error
            if not state.successes and state.failures >= FAIL_FAST:
                raise state.dead()

    async def _send(
        self, http: httpx2.AsyncClient, state: _EndpointState, request: ChatRequest
    ) -> ChatResult:
        endpoint = state.endpoint
        usage = self.usage_of(endpoint)
        headers = {"Content-Type": "application/json"}
        if state.key:
            headers["Authorization"] = f"Bearer {state.key}"
        content = orjson.dumps(request.body())
        error, retry_after = "no attempt", None
        for attempt in range(endpoint.max_retries + 1):
            if attempt:
                usage.retries += 1
                await asyncio.sleep(_delay(endpoint.backoff, attempt - 1, retry_after))
            retry_after = None
            usage.sent += 1
            try:
                response = await http.post(
                    endpoint.url, content=content, headers=headers, timeout=endpoint.timeout
                )
            except httpx2.TimeoutException:
                error = "timeout"
                continue
            except httpx2.TransportError as exc:
                error = f"connection failed ({type(exc).__name__})"
                continue
            status = response.status_code
            if status == 200:
                return _parse(response)
            if status in (401, 403):
                raise EndpointError(
                    f"{endpoint.label} refused the request (HTTP {status}): {_key_hint(endpoint)}"
                )
            if status == 404:
                raise EndpointError(
                    f"{endpoint.url} answered HTTP 404: check that base_url ends where the API starts "
                    f"(usually /v1) and that the server serves a model named {endpoint.model!r}"
                )
            error = f"HTTP {status}"
            if status not in RETRY_STATUSES and status < 500:
                return ChatResult(error=error)
            retry_after = _retry_after(response.headers.get("retry-after"))
        retries = endpoint.max_retries
        return ChatResult(error=f"{error} after {retries} {'retry' if retries == 1 else 'retries'}")


@dataclass
class _EndpointState:
    endpoint: Endpoint
    key: str | None
    queue: deque[ChatRequest]
    successes: int = 0
    failures: int = 0
    last_error: str | None = None

    def dead(self) -> EndpointError:
        return EndpointError(
            f"every request to {self.endpoint.label} failed ({self.failures} so far, the last with "
            f"{self.last_error}); is the server up and does it serve this model?"
        )


def _api_key(endpoint: Endpoint) -> str | None:
    if endpoint.api_key_env is None:
        return None
    key = os.environ.get(endpoint.api_key_env, "").strip()
    if not key:
        raise EndpointError(
            f"{endpoint.label}: api_key_env names {endpoint.api_key_env}, which is not set in the "
            "environment; export the key there (never in the pipeline file)"
        )
    return key


def _key_hint(endpoint: Endpoint) -> str:
    if endpoint.api_key_env is None:
        return "it may want an API key: name its environment variable in `api_key_env`"
    return f"check the key in ${endpoint.api_key_env} and that it may use model {endpoint.model!r}"


def _parse(response: httpx2.Response) -> ChatResult:
    try:
        data: Any = orjson.loads(response.content)
        choice = data["choices"][0]
        content = choice["message"]["content"]
        usage = data.get("usage") or {}
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        return ChatResult(error="unreadable response")
    if not isinstance(content, str):
        return ChatResult(error="response without content")
    return ChatResult(
        content=content,
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _retry_after(value: str | None) -> float | None:
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def _delay(backoff: float, retry: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(MAX_DELAY, retry_after)
    # Jitter spreads the retries of many workers; it changes when, never what, is asked.
    return float(min(MAX_DELAY, backoff * 2.0**retry)) * (0.5 + random.random() / 2)
