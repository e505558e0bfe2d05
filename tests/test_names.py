"""Public names mean one thing across the package: no two classes or vocabularies share one."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections import defaultdict

import pytest

import curate


@pytest.mark.slow  # imports every module, presidio's included
def test_no_two_public_classes_or_literal_vocabularies_share_a_name() -> None:
    meanings: defaultdict[str, set[str]] = defaultdict(set)
    for info in pkgutil.walk_packages(curate.__path__, "curate."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            if isinstance(value, type) and value.__module__ == module.__name__:
                meanings[name].add(f"class in {module.__name__}")
            elif typing.get_origin(value) is typing.Literal:
                meanings[name].add(f"Literal{list(typing.get_args(value))}")
    assert {name: sorted(found) for name, found in meanings.items() if len(found) > 1} == {}
