"""Shingles from bytes, and the normalised texts they are read from."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate import schema
from curate.dedup import text
from curate.dedup.hashing import PowerTable
from curate.dedup.shingles import TextBatch, shingle_hashes


def hashes(texts: list[str], char: bool = False, n: int = 3) -> list[set[int]]:
    """Shingle hash sets of ``texts``, each already in the form ``text.shingle_text`` gives."""
    batch = TextBatch.from_arrow(pa.array(texts, type=pa.large_string()))
    powers = PowerTable()
    powers.ensure(batch.data.size + 1)
    values, counts = shingle_hashes(
        batch, np.full(len(texts), char), np.full(len(texts), n, dtype=np.int64), powers
    )
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return [set(values[bounds[i] : bounds[i + 1]].tolist()) for i in range(len(texts))]


def reference(text_: str, char: bool, n: int) -> set[tuple[str, ...]]:
    tokens = list(text_) if char else text_.split()
    if not tokens:
        return set()
    return {tuple(tokens[i : i + n]) for i in range(max(len(tokens) - n + 1, 1))}


@pytest.mark.parametrize(
    ("texts", "char", "n", "expected_counts"),
    [
        (["a b c d e "], False, 3, [3]),
        (["a b "], False, 3, [1]),
        ([""], False, 3, [0]),
        (["", "a b c d "], False, 2, [0, 3]),
        (["我喜欢编程"], True, 3, [3]),
        (["我喜"], True, 3, [1]),
        (["héllo wörld ñ "], False, 2, [2]),
    ],
)
def test_shingle_counts(texts: list[str], char: bool, n: int, expected_counts: list[int]) -> None:
    assert [len(found) for found in hashes(texts, char, n)] == expected_counts


def test_equal_spans_hash_equal_across_texts_and_positions() -> None:
    first, second = hashes(["x y a b c ", "a b c z "])
    shared = first & second
    assert len(shared) == 1  # only "a b c"


def test_word_order_and_word_boundaries_matter() -> None:
    one, two, three = hashes(["a b c ", "c b a ", "ab c "])
    assert one.isdisjoint(two)
    assert one.isdisjoint(three)


def test_mixed_modes_in_one_batch_match_separate_batches() -> None:
    texts = ["one two three four ", "我喜欢编程语言", "five six seven "]
    batch = TextBatch.from_arrow(pa.array(texts, type=pa.large_string()))
    powers = PowerTable()
    powers.ensure(batch.data.size + 1)
    mixed, counts = shingle_hashes(batch, np.array([False, True, False]), np.array([2, 3, 2]), powers)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    assert set(mixed[bounds[0] : bounds[1]].tolist()) == hashes([texts[0]], False, 2)[0]
    assert set(mixed[bounds[1] : bounds[2]].tolist()) == hashes([texts[1]], True, 3)[0]
    assert set(mixed[bounds[2] : bounds[3]].tolist()) == hashes([texts[2]], False, 2)[0]


words = st.lists(st.sampled_from(["a", "bb", "ccc", "é", "日本", "x1"]), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), st.integers(1, 4), st.booleans())
def test_same_shingles_as_python_sets(documents: list[list[str]], n: int, char: bool) -> None:
    """Equal shingle sets hash to equal sets; different shingles (almost surely) differ."""
    texts = ["".join(d) if char else "".join(w + " " for w in d) for d in documents]
    found = hashes(texts, char, n)
    expected = [reference(t, char, n) for t in texts]
    assert [len(f) for f in found] == [len(e) for e in expected]
    for i in range(len(texts)):
        for j in range(len(texts)):
            assert len(found[i] & found[j]) == len(expected[i] & expected[j])


@pytest.mark.parametrize(
    ("content", "normal"),
    [
        ("Hello,  World!", "hello world"),
        ("ＡＢＣ　ｄｅｆ", "abc def"),
        ("Tab\tand\nnewline", "tab and newline"),
        ("x = a + b 😀", "x = a + b 😀"),
        ("‘quoted’ — dash…", "quoted dash"),
        ("हिन्दी भाषा", "हिन्दी भाषा"),
        ("", ""),
    ],
)
def test_normalised_content(content: str, normal: str) -> None:
    frame = pl.DataFrame({"content": [content]})
    assert frame.select(text.normalized(pl.col("content"))).item() == normal


@pytest.mark.parametrize(
    ("roles", "prompt_roles"),
    [
        (["user", "assistant"], ["user"]),
        (["system", "user", "assistant", "user", "assistant"], ["system", "user", "assistant", "user"]),
        (["user", "assistant", "user"], ["user"]),
        (["user"], ["user"]),
        (["assistant"], []),
        ([], []),
    ],
)
def test_prompt_is_everything_before_the_final_assistant_turn(
    roles: list[str], prompt_roles: list[str]
) -> None:
    frame = schema.conversations([{"id": "a", "messages": [{"role": r, "content": r} for r in roles]}])
    prompt = frame.select(text.prompt_of(pl.col("messages"))).item()
    assert [message["role"] for message in prompt] == prompt_roles


@pytest.mark.parametrize(
    ("tokens", "language", "shingle", "char"),
    [
        ("我喜欢用python编程", None, "auto", True),
        ("hello world", None, "auto", False),
        ("hello world", "ja", "auto", True),
        ("我喜欢编程", "en", "auto", False),
        ("我喜欢编程", "zh-Hans", "auto", True),
        ("hello", None, "char", True),
        ("我喜欢编程", None, "word", False),
        ("", None, "auto", False),
    ],
)
def test_shingle_mode(tokens: str, language: str | None, shingle: text.Shingle, char: bool) -> None:
    frame = pl.DataFrame(
        {"tokens": [tokens], "language": [language]}, schema={"tokens": pl.String, "language": pl.String}
    )
    assert frame.select(
        text.char_mode(pl.col("tokens"), pl.col("language"), shingle)
    ).to_series().to_list() == [char]
