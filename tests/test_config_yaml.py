"""Pipeline files as YAML: anchors and merge keys, `x-` keys, `${VAR}`, and the alias bound.

The error messages themselves are fixtures in tests/conf/invalid (merge_*, env_*, alias_bomb);
these tests check what valid files mean.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curate.config import load_pipeline
from curate.errors import ConfigError
from curate.yaml_env import expand
from curate.yaml_source import MAX_NODES, load_yaml

CHATS = Path(__file__).parent / "conf" / "valid" / "chats.jsonl"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "chats.jsonl").write_text(CHATS.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MERGES: list[tuple[str, str, dict[str, Any]]] = [
    ("written keys win", "a: &a {x: 1, y: 1}\nb: {<<: *a, x: 2}\n", {"x": 2, "y": 1}),
    ("written before the merge still wins", "a: &a {x: 1, y: 1}\nb: {x: 2, <<: *a}\n", {"x": 2, "y": 1}),
    (
        "the earlier merged mapping wins",
        "a: &a {format: one, yy: 1}\nc: &c {format: two, zz: 2}\nb: {<<: [*a, *c]}\n",
        {"format": "one", "yy": 1, "zz": 2},
    ),
    (
        "a merged mapping that merges another",
        "a: &a {x: 1}\nc: &c {<<: *a, y: 2}\nb: {<<: *c, z: 3}\n",
        {"x": 1, "y": 2, "z": 3},
    ),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in MERGES], ids=[n for n, _, _ in MERGES])
def test_merge_keys_follow_yaml(text: str, expected: dict[str, Any]) -> None:
    document = load_yaml(text)
    assert document.data["b"] == expected
    assert document.duplicates == []


def test_a_merged_key_keeps_the_line_it_is_written_on() -> None:
    document = load_yaml("x-d: &d\n  format: sharegpt\n  license: MIT\ninputs:\n  - name: a\n    <<: *d\n")
    assert document.lines[("inputs", 0, "license")] == 3
    assert document.merged_at(("inputs", 0, "license")) == 6
    assert document.merged_at(("inputs", 0, "name")) is None


def test_a_key_written_twice_is_still_a_duplicate_but_an_overridden_merge_is_not() -> None:
    document = load_yaml("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n  y: 3\n  y: 4\n")
    assert document.duplicates == [(("b", "y"), 6)]


def test_anchors_in_x_keys_and_merges_make_a_valid_pipeline(folder: Path) -> None:
    path = write(
        folder,
        "x-input: &input {format: sharegpt, license: MIT, consent: granted}\n"
        "x-notes: anything at all, ignored\n"
        "name: p\n"
        "inputs:\n"
        "  - {name: a, path: chats.jsonl, <<: *input}\n"
        "  - {name: b, path: chats.jsonl, <<: *input, license: CC-BY-4.0}\n",
    )
    config = load_pipeline(path)
    assert [(i.format, i.license, i.consent) for i in config.inputs] == [
        ("sharegpt", "MIT", "granted"),
        ("sharegpt", "CC-BY-4.0", "granted"),
    ]
    assert not any(key.startswith("x-") for key in config.raw)


def test_x_keys_are_top_level_only(folder: Path) -> None:
    path = write(folder, "name: p\ninputs:\n  - {name: a, path: chats.jsonl, x-note: hi}\n")
    with pytest.raises(ConfigError, match=r"p\.yaml:3: inputs\[0\]\.x-note: unknown key"):
        load_pipeline(path)


VARIABLES: list[tuple[str, dict[str, str], str]] = [
    ("${ROOT}/a.jsonl", {"ROOT": "/data"}, "/data/a.jsonl"),
    ("${ROOT:-raw}/a.jsonl", {}, "raw/a.jsonl"),
    ("${ROOT:-raw}/a.jsonl", {"ROOT": ""}, "raw/a.jsonl"),
    ("${ROOT:-raw}/a.jsonl", {"ROOT": "x"}, "x/a.jsonl"),
    ("${EMPTY:-}", {}, ""),
    ("price: $${AMOUNT}", {"AMOUNT": "3"}, "price: ${AMOUNT}"),
    ("$$ and $HOME stay", {"HOME": "/h"}, "$$ and $HOME stay"),
    ("${A}${B}", {"A": "1", "B": "2"}, "12"),
]


@pytest.mark.parametrize(("text", "environ", "expected"), VARIABLES)
def test_variables_expand(text: str, environ: dict[str, str], expected: str) -> None:
    assert expand(text, environ).text == expected


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30))
def test_a_value_is_inserted_verbatim_never_expanded_again(value: str) -> None:
    assert expand("<${V}>", {"V": value}).text == f"<{value}>"


def test_variables_fill_string_values_only_and_the_models_convert_them(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURATE_TEST_ROOT", str(folder))
    monkeypatch.setenv("CURATE_TEST_SEED", "7")
    monkeypatch.setenv("CURATE_TEST_KEY", "name")
    path = write(
        folder,
        "name: p\nseed: ${CURATE_TEST_SEED}\n"
        "description: '${CURATE_TEST_KEY} is kept as a key: ${CURATE_TEST_KEY}'\n"
        "inputs:\n  - {name: a, path: '${CURATE_TEST_ROOT}/chats.jsonl'}\n",
    )
    config = load_pipeline(path)
    assert config.seed == 7
    assert config.inputs[0].path == f"{folder}/chats.jsonl"
    assert config.description == "name is kept as a key: name"
    assert config.text == path.read_text(encoding="utf-8")


def test_variables_are_not_expanded_in_keys(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATE_TEST_KEY", "name")
    path = write(folder, "${CURATE_TEST_KEY}: p\ninputs:\n  - {name: a, path: chats.jsonl}\n")
    with pytest.raises(ConfigError, match=r"unknown key '\$\{CURATE_TEST_KEY\}'"):
        load_pipeline(path)


def test_an_alias_bomb_is_refused_quickly() -> None:
    levels = ["x0: &l0 [" + ", ".join(["ha"] * 10) + "]"]
    levels += [f"x{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 8)]
    text = "\n".join([*levels, "top: *l7"]) + "\n"
    assert len(text) < 1_000
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=f"more than {MAX_NODES:,} YAML nodes"):
        load_yaml(text, "bomb.yaml")
    assert time.perf_counter() - start < 2


def test_a_recursive_alias_is_refused_not_followed_forever() -> None:
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"r\.yaml:1: a\[1\]\[1\]: nested more than 100 levels deep"):
        load_yaml("a: &a [1, *a]\n", "r.yaml")
    assert time.perf_counter() - start < 2


def test_many_aliases_within_the_bound_are_fine() -> None:
    text = "x: &x [" + ", ".join(["1"] * 100) + "]\ny: [" + ", ".join(["*x"] * 100) + "]\n"
    assert len(load_yaml(text).data["y"]) == 100


def test_deep_nesting_is_an_error_not_a_traceback() -> None:
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_yaml("a: " + "[" * 5_000 + "]" * 5_000 + "\n")
