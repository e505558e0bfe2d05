"""Dedup's decisions as the columns the stage adds: ``reason``, ``detail`` (which row, or which
earlier release's row, a dropped row duplicates, and how alike they are) and ``prompt_cluster``
(``<source>:<id>`` of the cluster's best-ranked row)."""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.dedup import index
from curate.dedup.decide import KEPT, Decisions


def decision_columns(
    frame: pl.DataFrame, decisions: Decisions, releases: list[index.ReleaseIndex]
) -> pl.DataFrame:
    """``reason``, ``detail`` and ``prompt_cluster`` for every row."""
    size = frame.height
    ids, sources = frame["id"], frame["source"].fill_null("")
    release_id = pl.Series([None] * size, dtype=pl.String)
    release_name = pl.Series([None] * size, dtype=pl.String)
    for number, release in enumerate(releases):
        rows = np.flatnonzero(decisions.release == number)
        if rows.size:
            matches = pl.Series(release.ids, dtype=pl.String).gather(decisions.release_match[rows])
            release_id.scatter(rows, matches)
            release_name.scatter(rows, release.release)
    duplicate, prompt = decisions.duplicate_of, decisions.prompt_root
    facts = pl.DataFrame(
        {
            "exact": decisions.exact,
            "measured": decisions.measured,
            "percent": np.rint(decisions.similarity * 100).astype(np.int64),
            "release": release_name,
            "release_id": release_id,
            "duplicate": duplicate != KEPT,
            "kept_id": ids.gather(np.maximum(duplicate, 0)),
            "kept_source": sources.gather(np.maximum(duplicate, 0)),
            "clustered": prompt != KEPT,
            "cluster_id": ids.gather(np.maximum(prompt, 0)),
            "cluster_source": sources.gather(np.maximum(prompt, 0)),
        }
    )
    kind = pl.when("exact").then(pl.lit("exact")).otherwise(pl.lit("near"))
    percent = pl.col("percent")
    value = (
        pl.when(percent >= 100).then(pl.lit("1.00")).otherwise("0." + percent.cast(pl.String).str.zfill(2))
    )
    jaccard = pl.when("measured").then("Jaccard " + value).otherwise("estimated Jaccard " + value)
    in_release = pl.col("release").is_not_null()
    earlier = pl.format("{} duplicate of '{}' in release '{}' ({})", kind, "release_id", "release", jaccard)
    within = pl.format("{} duplicate of '{}' from '{}' ({})", kind, "kept_id", "kept_source", jaccard)
    return facts.select(
        reason=pl.when(in_release)
        .then(pl.lit("earlier_release"))
        .when("duplicate")
        .then(pl.lit("duplicate")),
        detail=pl.when(in_release).then(earlier).when("duplicate").then(within),
        prompt_cluster=pl.when("clustered").then(pl.concat_str("cluster_source", pl.lit(":"), "cluster_id")),
    )
