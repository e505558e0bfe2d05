"""Dedup's LSH band keys are computed where each shard is summarized (a Ray task, a local
worker), not read back and hashed by the one process that decides; deciding from them is
deciding from the signatures, and a summary without them (an older work folder) still decides."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.dedup import clusters
from curate.dedup.decide import BandKeys
from curate.stages.dedup import Dedup, DedupSummary
from tests.helpers import conversation, frame

WORDS = [f"w{n}" for n in range(40)]


def chats(texts: list[list[int]]) -> pl.DataFrame:
    """A conversation per entry, its prompt the words numbered there, its reply the same."""
    rows = []
    for number, words in enumerate(texts):
        text = " ".join(WORDS[word] for word in words)
        rows.append(conversation(f"c{number}", ("user", f"tell me {text}"), ("assistant", f"well {text}")))
    return frame(*rows)


def decided(stage: Dedup, data: pl.DataFrame, summaries: list[DedupSummary]) -> pl.DataFrame:
    stage.setup()
    return stage.decide(summaries, lambda wanted: data[wanted.tolist()])


def shards(stage: Dedup, data: pl.DataFrame, cuts: list[int]) -> list[DedupSummary]:
    bounds = [0, *sorted(set(cuts)), data.height]
    return [stage.summarize(data[start:stop]) for start, stop in itertools.pairwise(bounds) if stop > start]


@settings(max_examples=20, deadline=None)
@given(
    texts=st.lists(st.lists(st.integers(0, 12), min_size=6, max_size=14), min_size=2, max_size=24),
    cuts=st.lists(st.integers(1, 23), max_size=3),
)
def test_deciding_from_the_summaries_band_keys_is_deciding_from_the_signatures(
    texts: list[list[int]], cuts: list[int]
) -> None:
    data = chats(texts)
    stage = Dedup.from_options(threshold=0.7, num_perm=64, ngram=2)
    summaries = shards(stage, data, [cut for cut in cuts if cut < data.height])
    assert all(summary.band_keys is not None for summary in summaries)
    with_keys = decided(stage, data, summaries)
    without = decided(stage, data, [replace(summary, band_keys=None) for summary in summaries])
    assert with_keys.equals(without)


def test_band_keys_are_the_signatures_bands() -> None:
    stage = Dedup.from_options(threshold=0.8)
    data = chats([[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7], [9, 8, 7, 6, 5, 4]])
    summary = stage.summarize(data)
    sketch, lsh = summary.sketch, stage.options.lsh()
    assert summary.band_keys is not None and summary.band_keys.lsh == lsh
    [whole], [prompt] = summary.band_keys.whole, summary.band_keys.prompt
    assert np.array_equal(whole, clusters.band_keys((sketch.prompt.signatures, sketch.reply.signatures), lsh))
    assert np.array_equal(prompt, clusters.band_keys((sketch.prompt.signatures,), lsh))
    assert whole.shape == prompt.shape == (3, lsh[0])


@pytest.mark.parametrize(
    ("lshs", "joined"),
    [([(8, 16), (8, 16)], True), ([(8, 16), None], False), ([(8, 16), (4, 16)], False), ([], False)],
)
def test_shards_band_keys_join_only_when_every_shard_has_them_made_alike(
    lshs: list[tuple[int, int] | None], joined: bool
) -> None:
    parts = [
        None
        if lsh is None
        else BandKeys(lsh, (np.zeros((2, lsh[0]), np.uint64),), (np.zeros((2, lsh[0]), np.uint64),))
        for lsh in lshs
    ]
    found = BandKeys.concat(parts)
    assert (found is not None) == joined
    if found is not None:
        assert len(found.whole) == len(found.prompt) == len(parts)
        assert found.made_with((8, 16)) is found and found.made_with((4, 32)) is None
