"""The split stage: whole prompt clusters per split, seeded, as close to test_size as clusters allow."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate import schema
from curate.errors import ConfigError
from curate.splitting.clusters import choose_test, components
from curate.stages.split import Split
from tests.helpers import conversation, figures, frame


def pair(index: int, prompt: str, cluster: str | None) -> dict[str, Any]:
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": f"good {index}"}],
        "rejected": [{"role": "assistant", "content": f"bad {index}"}],
        "strategy": "battle",
        "source": "s",
        "license": "MIT",
        "chosen_id": f"c{index}",
        "rejected_id": f"r{index}",
        "id": f"p{index}",
        "_prompt_cluster": cluster,
    }


def pairs_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return schema.pairs(rows).with_columns(_prompt_cluster=pl.Series([r["_prompt_cluster"] for r in rows]))


def split_of(data: pl.DataFrame, **options: Any) -> tuple[pl.DataFrame, dict[str, Any]]:
    stage = Split.from_options(**options)
    output = stage(data)
    assert output.rejected.height == 0
    return output.kept, figures(stage)


CONVERSATIONS = st.lists(
    st.tuples(
        st.sampled_from(["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]),
        st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3"])),
        st.one_of(st.none(), st.sampled_from(["g1", "g2"])),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(CONVERSATIONS, st.sampled_from([0.1, 0.25, 0.5, 3]), st.integers(0, 5))
def test_no_prompt_cluster_group_or_prompt_is_in_both_splits(
    rows: list[tuple[str, str | None, str | None]], test_size: float, seed: int
) -> None:
    data = frame(
        *[
            conversation(f"r{i}", ("user", prompt), ("assistant", "a"), prompt_cluster=cluster, group=group)
            for i, (prompt, cluster, group) in enumerate(rows)
        ]
    )
    kept, report = split_of(data, test_size=test_size, seed=seed)
    labelled = kept.with_columns(prompt=pl.col("messages").list.first().struct.field("content"))
    for key in ("prompt_cluster", "group", "prompt"):
        spread = labelled.drop_nulls(key).group_by(key).agg(pl.col("_split").n_unique())
        assert spread["_split"].max() in (None, 1), key
    assert set(kept["_split"].unique().to_list()) <= {"train", "test"}
    assert report["train"]["rows"] + report["test"]["rows"] == data.height
    sizes, _ = _component_sizes(rows)
    assert abs(report["test"]["rows"] - report["target_test_rows"]) <= max(sizes)
    again, _ = split_of(data.reverse(), test_size=test_size, seed=seed)
    assert again.reverse()["_split"].to_list() == kept["_split"].to_list()


def _component_sizes(rows: list[tuple[str, str | None, str | None]]) -> tuple[list[int], list[str]]:
    keys = [[f"p:{p}", *([f"c:{c}"] if c else []), *([f"g:{g}"] if g else [])] for p, c, g in rows]
    members, names = components(keys)
    return np.bincount(members, minlength=len(names)).tolist(), names


def test_pairs_split_by_their_prompt_cluster() -> None:
    rows = [pair(i, f"prompt {i % 10}", f"cluster {i % 10}") for i in range(100)]
    kept, report = split_of(pairs_frame(rows), test_size=0.2, seed=0)
    assert kept.group_by("_prompt_cluster").agg(pl.col("_split").n_unique())["_split"].max() == 1
    assert report == {
        "test_size": 0.2,
        "target_test_rows": 20,
        "seed": 0,
        "train": {"rows": 80, "clusters": 8},
        "test": {"rows": 20, "clusters": 2},
    }


def test_pairs_with_one_exact_prompt_stay_together_without_dedup() -> None:
    rows = [pair(i, "the same prompt" if i < 2 else f"prompt {i}", f"prompt:group{i}") for i in range(10)]
    kept, _ = split_of(pairs_frame(rows), test_size=0.5, seed=3)
    assert kept["_split"][0] == kept["_split"][1]


@pytest.mark.parametrize(("test_size", "target"), [(0.05, 5), (0.5, 50), (7, 7), (1000, 100)])
def test_singleton_clusters_hit_the_target_exactly(test_size: float, target: int) -> None:
    rows = [pair(i, f"prompt {i}", None) for i in range(100)]
    kept, report = split_of(pairs_frame(rows), test_size=test_size, seed=1)
    assert report["target_test_rows"] == target
    assert kept.filter(pl.col("_split") == "test").height == target


def test_seed_changes_the_assignment_deterministically() -> None:
    data = pairs_frame([pair(i, f"prompt {i}", None) for i in range(50)])
    runs = {seed: split_of(data, test_size=0.2, seed=seed)[0]["_split"].to_list() for seed in (0, 1)}
    assert runs[0] != runs[1]
    assert split_of(data, test_size=0.2, seed=0)[0]["_split"].to_list() == runs[0]


def test_the_pipeline_seed_is_the_default() -> None:
    from curate.stages.base import RunContext

    data = pairs_frame([pair(i, f"prompt {i}", None) for i in range(50)])
    seeded = Split.from_options(RunContext(seed=1), test_size=0.2)(data).kept
    assert seeded["_split"].to_list() == split_of(data, test_size=0.2, seed=1)[0]["_split"].to_list()


def test_choose_test_gets_as_close_as_cluster_sizes_allow() -> None:
    assert choose_test([10, 10, 10], ["a", "b", "c"], 2, seed=0) == set()
    assert len(choose_test([10, 10, 10], ["a", "b", "c"], 6, seed=0)) == 1
    chosen = choose_test([5, 3, 2, 1], ["a", "b", "c", "d"], 6, seed=0)
    assert sum([5, 3, 2, 1][c] for c in chosen) in (5, 6, 7)


@pytest.mark.parametrize(
    ("test_size", "message"),
    [(0, "at least 1"), (1.0, "between 0 and 1"), (-0.5, "between 0 and 1"), ("many", "valid number")],
)
def test_invalid_test_size(test_size: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Split.from_options(test_size=test_size)
