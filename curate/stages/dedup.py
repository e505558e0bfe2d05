"""The ``dedup`` stage: drop duplicate conversations, group near-duplicate prompts.

One pass sketches every row (its prompt, the messages before the final assistant turn, and
its reply, the rest; the whole conversation is their union; see ``curate.dedup.text``), then:

1. rows matching an earlier release (``against:``) are dropped as ``earlier_release``;
2. duplicate conversations (exact after normalisation, or near: Jaccard at or above
   ``threshold``, estimated from MinHash signatures and computed exactly near the
   threshold, replies included) form clusters; the row the ``keep`` policy prefers stays,
   with the rows that share its ``group``, and the others are dropped as ``duplicate``;
3. every kept row gets a ``prompt_cluster``: rows whose prompts are near duplicates, and
   rows of one ``group``, share it. Its value is ``<source>:<id>`` of the cluster's
   best-ranked row, so it is stable from run to run.

Rows sharing a non-null ``group`` (two arena sides, a chosen and a rejected reply) are
alternatives to one prompt: never dropped as duplicates of each other. Nor are two answers
to one prompt that differ, however long the prompt.

>>> Dedup.from_options(threshold=0.9).options.lsh()
(8, 16)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import Field, field_validator, model_validator

from curate.dedup import clusters, index, minhash
from curate.dedup.columns import decision_columns
from curate.dedup.decide import KEPT, BandKeys, Decisions, decide, held
from curate.dedup.exact import ExactSets
from curate.dedup.sketch import ConversationSketch, Sketcher
from curate.dedup.text import Shingle
from curate.errors import StageError
from curate.markdown import paragraphs, plural, report_tables
from curate.options import ExistingPath, StageOptions
from curate.stages.base import (
    CompactStage,
    RowFetcher,
    RunContext,
    StageOutput,
    StageReport,
    register,
    split_by_reason,
)

TOP_CLUSTERS = 10
IN_PROSE = {
    "exact_duplicates",
    "near_duplicates",
    "prompt_clusters",
    "largest_clusters",
    "threshold",
    "num_perm",
    "ngram",
    "bands",
    "rows",
}
"""Report fields the card section says in sentences; the others go into its table."""


class DedupOptions(StageOptions):
    """Options of ``dedup``: state the similarity you mean; the LSH mechanics are derived."""

    threshold: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="Jaccard similarity of shingle sets from which two texts are near duplicates.",
    )
    num_perm: int = Field(
        128, ge=16, le=1024, description="Permutations per MinHash signature: more is more exact and slower."
    )
    ngram: int = Field(5, ge=1, le=32, description="Words per shingle.")
    char_ngram: int = Field(
        3,
        ge=1,
        le=32,
        description="Characters per shingle, for scripts written without spaces (Chinese, Japanese...).",
    )
    shingle: Shingle = Field(
        "auto",
        description="word | char | auto: characters where `language` is one written without spaces "
        "(or, without a language, where such scripts make up 30% of the text), words elsewhere.",
    )
    keep: Literal["first", "longest", "newest"] = Field(
        "first",
        description="The row a duplicate cluster keeps: the first in input order, the longest, or the "
        "latest `created_at` (rows without one last); ties go to the earlier row.",
    )
    seed: int | None = Field(
        None, description="Seed of the MinHash permutations; default: the pipeline's seed."
    )
    bands: int | None = Field(
        None,
        ge=1,
        description="Experts: LSH bands (with `rows`). Default: derived from threshold and num_perm "
        "as datasketch's MinHashLSH does, weighting missed pairs 0.9 (candidates are verified).",
    )
    rows: int | None = Field(None, ge=1, description="Experts: signature slots per LSH band (with `bands`).")
    against: list[ExistingPath] = Field(
        default_factory=list,
        description="Output folders (or their dedup/index.parquet) of earlier releases: rows that "
        "duplicate them are dropped as `earlier_release`.",
    )

    @field_validator("against", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | Path) else value

    @field_validator("against")
    @classmethod
    def _index_files(cls, paths: list[Path]) -> list[Path]:
        """Each folder named becomes its index file; whether its settings match is the stage's
        check (``Dedup.__init__``), which knows the seed the run will use."""
        return [index.locate(path) for path in paths]

    @model_validator(mode="after")
    def _consistent(self) -> DedupOptions:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both `bands` and `rows`, or neither (they are derived from `threshold`)")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}; "
                "lower them or raise num_perm"
            )
        return self

    def index_settings(self, seed: int) -> index.IndexSettings:
        """How signatures are made with ``seed``: what an index must share to be compared."""
        return index.IndexSettings(
            num_perm=self.num_perm,
            seed=seed,
            shingle=self.shingle,
            ngram=self.ngram,
            char_ngram=self.char_ngram,
        )

    def lsh(self) -> tuple[int, int]:
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        return minhash.lsh_parameters(self.threshold, self.num_perm, minhash.VERIFIED_WEIGHTS)


class DedupReport(StageReport):
    """What ``dedup`` found, and the settings it found it with."""

    exact_duplicates: int = Field(description="Rows dropped as exact duplicates (after normalisation).")
    near_duplicates: int = Field(description="Rows dropped as near duplicates.")
    earlier_release: int = Field(description="Rows dropped as duplicates of an earlier release.")
    prompt_clusters: int = Field(description="Clusters of near-duplicate prompts among the kept rows.")
    largest_clusters: list[int] = Field(description="Rows in the largest prompt clusters, largest first.")
    largest_duplicate_sets: list[int] = Field(description="Rows in the largest sets of duplicates.")
    char_shingled: int = Field(description="Rows shingled by characters.")
    without_shingles: int = Field(description="Rows too short to shingle (only exact matches).")
    threshold: float
    num_perm: int
    bands: int
    rows: int
    ngram: int
    char_ngram: int
    shingle: Shingle
    keep: Literal["first", "longest", "newest"]
    seed: int
    against: int = Field(description="Earlier releases compared with.")


@register("dedup")
class Dedup(CompactStage[DedupOptions, DedupReport]):
    """Drop duplicate conversations; give every kept row a ``prompt_cluster``."""

    Options = DedupOptions
    Report = DedupReport
    reasons = ("duplicate", "earlier_release")

    def __init__(self, options: DedupOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self._releases: list[index.ReleaseIndex] | None = None
        self._figures: DedupReport | None = None
        self._kept: tuple[pl.DataFrame, ConversationSketch] | None = None
        """The kept rows' ids, sources and numbers, and every row's sketch (mapped from the work
        folder once restored: the index reads the released rows' alone)."""
        self._check_releases()

    @property
    def settings(self) -> index.IndexSettings:
        """How this run sketches texts; an earlier release's index must have been made alike."""
        return self.options.index_settings(self.seed)

    def _check_releases(self) -> None:
        """Refuse an ``against`` index whose signatures this run's would not compare with.

        The one check of those settings: here the seed is known (the stage's own, else the
        run's), and the runner builds every stage before it reads any data.
        """
        for path in self.options.against:
            stored, _ = index.read_settings(path)
            differences = self.settings.differences(stored)
            if differences:
                raise StageError(
                    f"dedup: against: the index {path} was built with other settings "
                    f"({'; '.join(differences)}); use the same ones, or rebuild the index"
                )

    def setup(self) -> None:
        """Load the indexes of earlier releases named in ``against``."""
        self._releases = [index.read_index(path) for path in self.options.against]

    def summarize(self, frame: pl.DataFrame) -> DedupSummary:
        """Sketches of ``frame``'s rows, and what ranking and grouping them takes."""
        sketcher = Sketcher(self.settings, workers=self.context.workers)
        rows = frame.select(_summary_columns(frame, self.options.keep))
        sketch = sketcher.sketch(frame)
        return DedupSummary(rows=rows, sketch=sketch, band_keys=BandKeys.of(sketch, self.options.lsh()))

    def decide(self, summaries: Sequence[DedupSummary], rows: RowFetcher) -> pl.DataFrame:
        """``reason``, ``detail`` and ``prompt_cluster`` of every row, from the rows' sketches;
        the rows themselves are read back only for candidates near the threshold."""
        releases = self._releases
        if releases is None:
            raise self.not_set_up()
        threshold, lsh = self.options.threshold, self.options.lsh()
        sketcher = Sketcher(self.settings, workers=self.context.workers)
        summary = DedupSummary.concat(summaries)
        sketch, facts = summary.sketch, summary.rows
        exact = ExactSets(lambda wanted: sketcher.shingle_sets(rows(wanted)), facts.height)
        order, groups = _ranking(facts, self.options.keep), _group_codes(facts)
        band_keys = summary.band_keys.made_with(lsh) if summary.band_keys else None
        decisions = decide(
            sketch, groups, order, releases, threshold, lsh, exact, self.context.joiner, band_keys
        )
        self._figures = self._summary(decisions, sketch, lsh)
        kept = np.flatnonzero(decisions.kept)
        self._kept = (
            facts.select("id", "source")[kept].with_columns(row=pl.Series(kept, dtype=pl.Int64)),
            sketch,
        )
        return decision_columns(facts, decisions, releases)

    def apply(self, frame: pl.DataFrame, decisions: pl.DataFrame) -> StageOutput:
        return split_by_reason(frame.with_columns(decisions))

    def driver_memory(self, rows: int) -> int:
        """What ``decide`` holds, candidate edges included (``curate.dedup.decide.held``)."""
        return sum(held(rows, self.options.num_perm, self.options.lsh()[0]))

    def edge_memory(self, rows: int) -> int:
        return held(rows, self.options.num_perm, self.options.lsh()[0])[1]

    def _summary(self, decisions: Decisions, sketch: ConversationSketch, lsh: tuple[int, int]) -> DedupReport:
        dropped = decisions.duplicate_of != KEPT
        roots = decisions.prompt_root[decisions.prompt_root != KEPT]
        counts = np.bincount(roots)
        sizes = np.sort(counts[counts > 0])[::-1]
        options = self.options
        return DedupReport(
            exact_duplicates=int((dropped & decisions.exact).sum()),
            near_duplicates=int((dropped & ~decisions.exact).sum()),
            earlier_release=int((decisions.release != KEPT).sum()),
            prompt_clusters=int(sizes.size),
            largest_clusters=sizes[:TOP_CLUSTERS].tolist(),
            largest_duplicate_sets=decisions.duplicate_sets[:TOP_CLUSTERS].tolist(),
            char_shingled=int((sketch.prompt.char_mode | sketch.reply.char_mode).sum()),
            without_shingles=int((~sketch.has_shingles).sum()),
            threshold=options.threshold,
            num_perm=options.num_perm,
            bands=lsh[0],
            rows=lsh[1],
            ngram=options.ngram,
            char_ngram=options.char_ngram,
            shingle=options.shingle,
            keep=options.keep,
            seed=self.seed,
            against=len(options.against),
        )

    def report(self) -> DedupReport | None:
        """Counts and settings for the manifest and the card (never a record's value)."""
        return self._figures

    @classmethod
    def card_section(cls, report: DedupReport) -> str:
        removed = (
            f"Removed {plural(report.exact_duplicates, 'exact duplicate')} and"
            f" {plural(report.near_duplicates, 'near duplicate')}."
        )
        method = (
            f"Near duplicates: estimated Jaccard similarity at least {report.threshold}, MinHash with"
            f" {report.num_perm} permutations, word {report.ngram}-grams, LSH with {report.bands} bands"
            f" of {report.rows} rows."
        )
        clusters = (
            f"Prompts fell into {plural(report.prompt_clusters, 'cluster')} of near-duplicates"
            " (the `split` stage keeps a cluster on one side)."
        )
        sentences = [removed, method, clusters]
        if report.largest_clusters:
            sizes = ", ".join(f"{size:,}" for size in report.largest_clusters)
            sentences.append(f"Largest clusters: {sizes} rows.")
        return paragraphs(" ".join(sentences), report_tables(report.model_dump(exclude=IN_PROSE)))

    def checkpoint(self) -> object:
        return self._kept

    def restore(self, state: object) -> None:
        self._kept = state  # type: ignore[assignment]  # what checkpoint() returned

    def write_artifacts(self, folder: Path, released: pl.DataFrame) -> None:
        """Write ``dedup/index.parquet``: sketches of the rows this run released, for a later
        run's ``against:``. Rows a later stage dropped, or no pair used, are left out."""
        if self._kept is None:
            return
        chosen, sketch = self._kept
        released_ids = index.released_ids(released)
        if released_ids is not None:
            chosen = chosen.join(released_ids, on=["source", "id"], how="semi", nulls_equal=True).sort("row")
        name = (self.context.output_dir or folder).name
        target = folder / index.INDEX_PATH
        index.write_index(target, chosen, sketch, self.settings, release=name)


@dataclass(frozen=True)
class DedupSummary:
    """What ``decide`` needs of some rows: ids, sources, groups, a ranking key, and sketches."""

    rows: pl.DataFrame
    sketch: ConversationSketch
    band_keys: BandKeys | None = None
    """Computed with the rest (None in a work folder summarized before they were kept)."""

    @classmethod
    def concat(cls, summaries: Sequence[DedupSummary]) -> DedupSummary:
        if len(summaries) == 1:
            return summaries[0]
        return cls(
            rows=pl.concat([summary.rows for summary in summaries], how="vertical"),
            sketch=ConversationSketch.concat([summary.sketch for summary in summaries]),
            band_keys=BandKeys.concat([summary.band_keys for summary in summaries]),
        )


def _summary_columns(frame: pl.DataFrame, keep: str) -> list[pl.Expr]:
    """``id``, ``source``, ``group`` and the ``key`` the keep policy ranks rows by."""
    group = pl.col("group") if "group" in frame.columns else pl.lit(None, pl.String)
    columns = [pl.col("id"), pl.col("source"), group.alias("group")]
    if keep == "longest":
        content = pl.element().struct.field("content").str.len_chars()
        columns.append(pl.col("messages").list.eval(content).list.sum().fill_null(0).alias("key"))
    elif keep == "newest":
        columns.append(pl.col("created_at").alias("key"))
    return columns


def _ranking(rows: pl.DataFrame, keep: str) -> npt.NDArray[np.int64]:
    """Row numbers, best first, by the keep policy; ties go to the earlier row."""
    if keep == "first":
        return np.arange(rows.height, dtype=np.int64)
    numbers = pl.int_range(pl.len(), dtype=pl.Int64).alias("row")
    ranked = rows.select("key", numbers).sort(["key", "row"], descending=[True, False], nulls_last=True)
    return ranked["row"].to_numpy().astype(np.int64)


def _group_codes(frame: pl.DataFrame) -> npt.NDArray[np.int64]:
    """A number per (source, group); ``NO_GROUP`` where the group is null."""
    if "group" not in frame.columns:
        return np.full(frame.height, clusters.NO_GROUP, dtype=np.int64)
    key = pl.when(pl.col("group").is_not_null()).then(
        pl.concat_str(pl.col("source").fill_null(""), pl.lit("\x1f"), pl.col("group"))
    )
    codes = frame.select(key.rank("dense").cast(pl.Int64) - 1).to_series()
    return codes.fill_null(clusters.NO_GROUP).to_numpy().astype(np.int64)
