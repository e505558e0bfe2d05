"""The on-disk response cache: one SQLite file of completions by request key.

It lives outside any run's folders (by default ``$XDG_CACHE_HOME/curate/requests``), so a
rerun into another output folder, or a resumed run, asks no question twice and gets the
same answers, which keeps generation and judging deterministic. Only successful answers are
stored: the completion text, its finish reason and token counts. Never the API key, the
request headers or the prompt (the key is a SHA-256 of the request).

SQLite in WAL mode lets several processes (shards of one run) read and write one cache.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType

from curate.clients.request import ChatResult

FILE = "responses.sqlite3"


class ResponseCache:
    """Completions by request key, in ``folder/responses.sqlite3``; use as a context manager."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._db: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        return self.folder / FILE

    def open(self) -> ResponseCache:
        if self._db is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            self._db = db
        return self

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> ResponseCache:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def get(self, key: str) -> ChatResult | None:
        row = self._connection().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else ChatResult.from_cache(row[0])

    def put(self, key: str, result: ChatResult) -> None:
        """Store a successful answer (autocommit: a crash loses no answer already stored)."""
        if result.ok:
            self._connection().execute(
                "INSERT OR REPLACE INTO responses (key, value) VALUES (?, ?)", (key, result.to_cache())
            )

    def __len__(self) -> int:
        return int(self._connection().execute("SELECT count(*) FROM responses").fetchone()[0])

    def _connection(self) -> sqlite3.Connection:
        self.open()
        assert self._db is not None
        return self._db
