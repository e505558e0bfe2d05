"""Benchmark of the chat-completions client behind ``generate`` and the ``judge`` strategy.

Starts the loopback OpenAI-compatible server of the tests (``tests/chat_server.py``) in a
process of its own, with a fixed latency per request standing in for a model, and measures:

- requests per second through ``ChatClient`` at concurrency 1, 8 and 64 (no cache), against
  the baseline a user would write: a plain ``httpx2.Client`` loop, one request at a time;
- the cost of the response cache per request: a second pass of the same requests answered
  wholly from the cache (key hashing, SQLite lookup, result), a bare ``ResponseCache.get``,
  and the ``put`` that stores an answer.

Usage::

    .venv/bin/python benchmarks/judge.py                       # 50 ms per request, 1,024 requests
    .venv/bin/python benchmarks/judge.py --latency 0 --requests 4096
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.clients import ChatRequest, Endpoint, ResponseCache  # noqa: E402
from curate.clients.chat import ChatClient  # noqa: E402

CONCURRENCY = (1, 8, 64)


def requests_for(endpoint: Endpoint, count: int, tag: str) -> list[ChatRequest]:
    prompt = "Explain, in two sentences, how {topic} works. " * 3
    return [
        ChatRequest(endpoint, (("user", prompt.format(topic=f"{tag} {n}")),), {"temperature": 0.8, "seed": n})
        for n in range(count)
    ]


def baseline(url: str, requests: list[ChatRequest]) -> float:
    """Seconds for a plain sequential loop of ``httpx2.Client.post`` over ``requests``."""
    started = time.perf_counter()
    with httpx2.Client(timeout=60) as http:
        for request in requests:
            response = http.post(f"{url}/chat/completions", content=orjson.dumps(request.body()))
            response.raise_for_status()
            response.json()["choices"][0]["message"]["content"]
    return time.perf_counter() - started


def timed(client: ChatClient, requests: list[ChatRequest]) -> float:
    started = time.perf_counter()
    results = client.complete(requests)
    seconds = time.perf_counter() - started
    assert all(result.ok for result in results), "a request failed"
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1024, help="requests per concurrency level")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the server takes per request")
    parser.add_argument("--baseline", type=int, default=64, help="requests of the sequential baseline")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "chat_server.py"), "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        run(url, args)
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(url: str, args: argparse.Namespace) -> None:
    print(f"server {url}, {args.latency * 1000:.0f} ms per request; python {sys.version.split()[0]}")
    warm = Endpoint(url, "bench", concurrency=8)
    timed(ChatClient(), requests_for(warm, 32, "warm-up"))
    base = baseline(url, requests_for(warm, args.baseline, "baseline"))
    base_rate = args.baseline / base
    print(f"\nbaseline: sequential httpx2.Client loop, {args.baseline} requests: {base_rate:,.1f} requests/s")
    print("\n| concurrency | requests | seconds | requests/s | x baseline | ideal at this latency |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for concurrency in CONCURRENCY:
        count = min(args.requests, max(64, int(concurrency * 4 / max(args.latency, 0.01))))
        endpoint = Endpoint(url, "bench", concurrency=concurrency)
        seconds = timed(ChatClient(), requests_for(endpoint, count, f"c{concurrency}"))
        ideal = f"{concurrency / args.latency:,.0f}" if args.latency else "-"
        rate = count / seconds
        print(
            f"| {concurrency} | {count:,} | {seconds:.2f} | {rate:,.1f} | {rate / base_rate:.1f} | {ideal} |"
        )
    cache_costs(url, args.requests)


def cache_costs(url: str, count: int) -> None:
    endpoint = Endpoint(url, "bench", concurrency=64)
    requests = requests_for(endpoint, count, "cached")
    with tempfile.TemporaryDirectory() as folder, ResponseCache(Path(folder)) as cache:
        filled = timed(ChatClient(cache), requests)
        client = ChatClient(cache)
        again = timed(client, requests_for(endpoint, count, "cached"))
        assert client.usage[endpoint].sent == 0 and client.usage[endpoint].cached == count
        keys = [request.key for request in requests]
        started = time.perf_counter()
        for key in keys:
            cache.get(key)
        lookup = time.perf_counter() - started
        started = time.perf_counter()
        for request in requests:
            _ = ChatRequest(endpoint, request.messages, request.params).key
        hashing = time.perf_counter() - started
        result = cache.get(keys[0])
        assert result is not None
        started = time.perf_counter()
        for n in range(count):
            cache.put(f"bench-{n}", result)
        store = time.perf_counter() - started
        size = cache.path.stat().st_size
    print(f"\nresponse cache, {count:,} requests (first pass sent them all in {filled:.2f} s):")
    print("\n| step | per request |")
    print("| --- | ---: |")
    print(f"| a pass answered from the cache (`complete`, none sent) | {again / count * 1e6:,.0f} µs |")
    print(f"| `ResponseCache.get` (SQLite lookup and decoding) | {lookup / count * 1e6:,.1f} µs |")
    print(f"| the request's cache key (canonical JSON, SHA-256) | {hashing / count * 1e6:,.1f} µs |")
    print(f"| `ResponseCache.put` (autocommit, WAL) | {store / count * 1e6:,.1f} µs |")
    print(f"\ncache file: {size / count:,.0f} bytes per answer")


if __name__ == "__main__":
    main()
