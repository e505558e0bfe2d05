"""Shared fixtures: the real public samples (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: real public samples; tests that need them skip without them."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the public samples folder {SHARED_DATA} is absent (it is not part of the repo)")
    return SHARED_DATA
