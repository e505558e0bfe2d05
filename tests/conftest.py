"""Shared fixtures: the real public samples (skipped when absent), a loopback chat server, the
session's local Ray instance."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chat_server import ChatServer

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
RAY_OBJECT_STORE = 200 * 2**20


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


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """A local Ray instance of 2 CPUs that the Ray tests of this session join; its address.
    Started here unless this process has joined one already, and then shut down at the end
    whatever happens."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        yield str(ray.get_runtime_context().gcs_address)
        return
    from curate.executors.ray.cluster import init, quiet_ray

    with quiet_ray():
        init(
            ray,
            "local",
            num_cpus=2,
            object_store_memory=RAY_OBJECT_STORE,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()
