"""A loopback server that speaks the OpenAI chat-completions API, deterministically.

``ChatServer(reply)`` serves ``POST /v1/chat/completions`` on 127.0.0.1 at a free port, from
a thread; ``reply(body)`` decides each answer from the request body alone (plus, for scripted
failures, how often that body was seen), so the same requests always get the same answers.
It records every request: the body, the ``Authorization`` header, and the most requests it
ever had in flight at once. Use it as a context manager: it stops whatever happens.

``python tests/chat_server.py [--latency SECONDS]`` serves the default replies from an
asyncio loop until killed, printing its URL (the benchmark runs it in a process of its own).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Reply:
    """One answer: a completion's text, or a status (with headers) and a raw body."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    delay: float = 0.0


def echo(body: dict[str, Any]) -> Reply:
    """The default: the model name, the seed and the last message, so each request differs."""
    last = body["messages"][-1]["content"]
    return Reply(f"{body['model']} (seed {body.get('seed')}) says: {last[::-1]}")


def completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    prompt = sum(len(str(message["content"]).split()) for message in body["messages"])
    return {
        "id": "chatcmpl-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12],
        "object": "chat.completion",
        "model": body["model"],
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": len(content.split()),
            "total_tokens": prompt + len(content.split()),
        },
    }


class ChatServer:
    """An OpenAI-compatible chat-completions server on a free loopback port."""

    def __init__(self, reply: Callable[[dict[str, Any]], Reply] = echo) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        self.seen: Counter[str] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def times_seen(self, body: dict[str, Any]) -> int:
        """How often this exact body has arrived, this one included (for scripted failures)."""
        return self.seen[_digest(body)]

    def start(self) -> ChatServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.chat = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def answer(self, body: dict[str, Any], authorization: str | None) -> Reply:
        with self.lock:
            self.requests.append(body)
            self.authorizations.append(authorization)
            self.seen[_digest(body)] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            reply = self.reply(body)
            if reply.delay:
                time.sleep(reply.delay)
            return reply
        finally:
            with self.lock:
                self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is expected; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms), which would swamp every latency measured through this server.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, b'{"error": {"message": "not found"}}', {})
            return
        chat: ChatServer = self.server.chat  # type: ignore[attr-defined]
        body = json.loads(raw)
        reply = chat.answer(body, self.headers.get("Authorization"))
        if reply.raw is not None:
            payload = reply.raw
        elif reply.status == 200 and reply.content is not None:
            payload = json.dumps(completion(body, reply.content)).encode()
        else:
            payload = json.dumps({"error": {"message": f"scripted {reply.status}"}}).encode()
        self._send(reply.status, payload, reply.headers)

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks print their own findings."""


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


async def serve(latency: float) -> None:
    """The default replies from one asyncio loop, each after ``latency`` seconds: a server
    that 64 concurrent clients cannot saturate, as a thread per connection does under the GIL."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                body = json.loads(await reader.readexactly(length))
                await asyncio.sleep(latency)
                payload = json.dumps(completion(body, echo(body).content or "")).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    seconds = float(sys.argv[sys.argv.index("--latency") + 1]) if "--latency" in sys.argv else 0.0
    try:
        asyncio.run(serve(seconds))
    except KeyboardInterrupt:
        sys.exit(0)
