"""Every error curate raises to its caller derives from ``CurateError``, and the tree says so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import curate.errors
import curate.licensing
import curate.registry
from curate.errors import ConfigError, CurateError, LicenseError
from curate.licensing import LicenseExpressionError, UnknownKeyError, check_license_key
from curate.readers import read
from curate.registry import RegistryError


def subclasses(root: type) -> set[type]:
    found = set(root.__subclasses__())
    return found.union(*(subclasses(kind) for kind in found))


def test_the_docstring_draws_every_error_class() -> None:
    drawn = curate.errors.__doc__ or ""
    missing = [kind.__name__ for kind in subclasses(CurateError) if f"── {kind.__name__} " not in drawn]
    assert missing == []


@pytest.mark.parametrize(
    ("raise_it", "kind", "also", "message"),
    [
        (lambda: curate.registry.stages.get("dedupe"), RegistryError, KeyError, "did you mean 'dedup'?"),
        (lambda: curate.registry.readers.get("nope"), RegistryError, KeyError, "unknown format 'nope'"),
        (lambda: check_license_key("CC-BY-4"), UnknownKeyError, ValueError, "did you mean 'CC-BY-4.0'?"),
        (
            lambda: check_license_key("MIT AND"),
            LicenseExpressionError,
            ValueError,
            "not a license expression",
        ),
        (
            lambda: curate.licensing.registry().source("nope"),
            UnknownKeyError,
            LicenseError,
            "unknown dataset",
        ),
    ],
)
def test_errors_are_curate_errors_and_what_callers_catch(
    raise_it: Callable[[], Any], kind: type[Exception], also: type[Exception], message: str
) -> None:
    with pytest.raises(kind, match=message.replace("?", r"\?")) as caught:
        raise_it()
    assert isinstance(caught.value, CurateError) and isinstance(caught.value, also)
    assert str(caught.value).startswith(("unknown", "'MIT AND'"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"license": "CC-BY-4"}, "read(): license: unknown license 'CC-BY-4'; did you mean 'CC-BY-4.0'?"),
        ({"licence": "MIT"}, "read(): licence: unknown key 'licence' (did you mean 'license'?)"),
        ({"consent": "maybe"}, "read(): consent: Input should be 'granted', 'withheld' or 'unknown'"),
        ({"format": "openaii"}, "read(): format: unknown format 'openaii'; did you mean 'openai'?"),
        ({"limit": 0}, "read(): limit: Input should be greater than 0"),
        ({"path": "missing.jsonl"}, "read(): path: no file matches 'missing.jsonl'"),
        (
            {"format": "sharegpt", "options": {"html": "sometimes"}},
            "input 'input': options.html: Input should be 'auto', 'always' or 'never'",
        ),
    ],
)
def test_read_names_the_argument_it_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: dict[str, Any], message: str
) -> None:
    (tmp_path / "x.jsonl").write_text(json.dumps({"messages": []}) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    path = arguments.pop("path", "x.jsonl")
    with pytest.raises(ConfigError) as caught:
        read(path, **arguments)
    assert str(caught.value).startswith(message)
    assert caught.value.exit_code == 2
