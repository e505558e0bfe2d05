"""Shared fixtures: the real public samples (skipped when absent), a loopback chat server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat_server import ChatServer

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: real public samples; tests that need them skip without them."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the public samples folder {SHARED_DATA} is absent (it is not part of the repo)")
    return SHARED_DATA


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    """A loopback OpenAI-compatible server (``tests.chat_server``), stopped whatever happens."""
    with ChatServer() as server:
        yield server
