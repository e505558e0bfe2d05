"""The public surface is deliberate: everything in ``curate.__all__`` and nothing else."""

from __future__ import annotations

import types

import curate


def test_all_lists_exactly_the_public_non_module_names() -> None:
    public = {
        name
        for name, value in vars(curate).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert public == set(curate.__all__)


def test_every_exported_member_is_documented() -> None:
    undocumented = [name for name in curate.__all__ if not (getattr(curate, name).__doc__ or "").strip()]
    assert undocumented == []
