"""A loopback HTTP server that serves files from memory, for remote-input tests.

``FileServer(files)`` serves ``files`` (URL path -> bytes) on 127.0.0.1 at a free port, from a
thread: ``HEAD`` and ``GET``, byte ranges (``Range: bytes=a-b`` -> 206) unless ``ranges=False``,
an ``ETag`` per file, 404 for anything else. It records every request (method, path with its
query, ``Range`` header). ``hold(path)`` makes a ``GET`` of that path send its first half, then
wait until ``release()`` (at most ``HOLD_SECONDS``) before the rest: a reader that streams gets
its first records while the server still holds the rest. Use it as a context manager: it stops
and closes its socket whatever happens.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

HOLD_SECONDS = 10.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    range: str | None


class FileServer:
    def __init__(self, files: dict[str, bytes], *, ranges: bool = True) -> None:
        self.files = dict(files)
        self.ranges = ranges
        self.requests: list[Seen] = []
        self.held: set[str] = set()
        self.gate = threading.Event()
        self.held_out = False
        """True once a held response waited ``HOLD_SECONDS`` without being released."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def hold(self, path: str) -> None:
        self.held.add(path)

    def release(self) -> None:
        self.gate.set()

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                header = self.headers.get("Range")
                server.requests.append(Seen(self.command, self.path, header))
                data = server.files.get(urlsplit(self.path).path)
                if data is None:
                    self.send_error(404)
                    return
                start, end, status = 0, len(data), 200
                if header and server.ranges and header.startswith("bytes="):
                    first, _, last = header.removeprefix("bytes=").partition("-")
                    start = int(first) if first else max(0, len(data) - int(last))
                    end = min(len(data), int(last) + 1) if first and last else len(data)
                    status = 206
                part = data[start:end]
                self.send_response(status)
                self.send_header("Content-Length", str(len(part)))
                self.send_header("ETag", '"' + hashlib.sha256(data).hexdigest()[:16] + '"')
                if server.ranges:
                    self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
                self.end_headers()
                if not body:
                    return
                path = urlsplit(self.path).path
                if path in server.held and status == 200:
                    half = len(part) // 2
                    self.wfile.write(part[:half])
                    self.wfile.flush()
                    if not server.gate.wait(HOLD_SECONDS):
                        server.held_out = True
                    part = part[half:]
                try:
                    self.wfile.write(part)
                except (BrokenPipeError, ConnectionResetError):
                    return

        return Handler
