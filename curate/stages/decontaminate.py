"""``decontaminate``: drop rows whose prompt overlaps an evaluation set.

The evaluation sets are files (MT-Bench, Arena-Hard, chat messages or plain ``prompt``
records; see ``curate.decontamination.evalsets``). A pair is checked on every turn of its prompt, a
conversation on its user and system turns. The reason names the file and the record:
``contaminated:mt_bench_questions.jsonl:81``.

>>> from curate.stages.decontaminate import DecontaminateOptions
>>> DecontaminateOptions.model_fields["ngram"].default
13
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Literal, Self

import polars as pl
from pydantic import Field, model_validator

from curate import schema
from curate.decontamination.evalsets import EvalText, read_eval_set
from curate.decontamination.overlap import MinHashIndex, NgramIndex
from curate.options import ExistingPath, StageOptions
from curate.record import SETTING
from curate.stages.base import FilterStage, RunContext, StageReport, register


class DecontaminateOptions(StageOptions):
    against: list[ExistingPath] = Field(
        min_length=1, description="Evaluation set files (JSON Lines, JSON or Parquet), relative to this file."
    )
    method: Literal["ngram", "minhash"] = Field(
        "ngram",
        description="ngram: a long word n-gram of an evaluation text appears in the prompt (finds pasted "
        "questions); minhash: the prompt is a near-duplicate of an evaluation text.",
    )
    ngram: int = Field(13, ge=3, le=64, description="Words per n-gram for method ngram.")
    min_matches: int = Field(
        1, ge=1, description="n-grams of one evaluation text the prompt must contain (method ngram)."
    )
    min_words: int = Field(
        8, ge=1, description="Evaluation texts with fewer words are ignored (too generic to match on)."
    )
    threshold: float = Field(0.8, gt=0, le=1, description="Jaccard similarity for method minhash.")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations for method minhash.")
    shingle: int = Field(5, ge=1, le=32, description="Words per shingle for method minhash.")
    text_field: str = Field("prompt", min_length=1, description="The text field of plain JSONL records.")

    @model_validator(mode="after")
    def _method_options(self) -> Self:
        given = self.model_fields_set
        other = {"ngram": ("threshold", "num_perm", "shingle"), "minhash": ("ngram", "min_matches")}
        misplaced = [name for name in other[self.method] if name in given]
        if misplaced:
            wanted = "minhash" if self.method == "ngram" else "ngram"
            raise ValueError(f"{', '.join(misplaced)}: only for method {wanted} (method is {self.method})")
        if len({path.name for path in self.against}) != len(self.against):
            raise ValueError("two evaluation files share a name; reasons name files by their name")
        return self


class DecontaminateReport(StageReport):
    """Rows checked and dropped, by evaluation file."""

    optional_keys = frozenset({"ngram", "texts_too_short", "threshold"})

    method: Literal["ngram", "minhash"]
    rows_checked: int
    evaluation_texts: Annotated[dict[str, int], SETTING] = Field(description="Texts read, by file.")
    contaminated: dict[str, int] = Field(description="Rows dropped, by the evaluation file they overlap.")
    ngram: Annotated[int | None, SETTING] = Field(None, description="Words per n-gram (method ngram).")
    texts_too_short: Annotated[int | None, SETTING] = Field(
        None, description="Evaluation texts ignored as too short (ngram)."
    )
    threshold: float | None = Field(None, description="Jaccard similarity (method minhash).")


@register("decontaminate")
class Decontaminate(FilterStage[DecontaminateOptions, DecontaminateReport]):
    """Drops rows whose prompt contains, or nearly is, an evaluation text."""

    Options = DecontaminateOptions
    Report = DecontaminateReport
    reasons = ("contaminated",)
    accepts = ("conversations", "pairs")

    def __init__(self, options: DecontaminateOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self.texts: list[EvalText] = []
        self.index: NgramIndex | MinHashIndex | None = None
        self._checked = 0
        self._dropped: Counter[str] = Counter()

    def reset(self) -> None:
        self._checked = 0
        self._dropped = Counter()

    def setup(self) -> None:
        if self.index is None:
            self.texts, self.index = self.shared()

    def shared(self) -> tuple[list[EvalText], NgramIndex | MinHashIndex]:
        """The evaluation texts and their index, which every copy of the stage can share."""
        options = self.options
        texts = [text for path in options.against for text in read_eval_set(Path(path), options.text_field)]
        if options.method == "ngram":
            return texts, NgramIndex(texts, options.ngram, options.min_words, options.min_matches)
        return texts, MinHashIndex(texts, options.threshold, options.num_perm, options.shingle)

    def share(self, shared: object) -> None:
        self.texts, self.index = shared  # type: ignore[misc]  # what shared() returned

    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self.index is None:
            raise self.not_set_up()
        matches = self.index.search(prompt_texts(frame))
        reasons: list[str | None] = []
        details: list[str | None] = []
        for match in matches:
            if match is None:
                reasons.append(None)
                details.append(None)
                continue
            text = self.texts[match.text]
            reasons.append(f"contaminated:{text.file}:{text.id}")
            details.append(match.detail)
            self._dropped[text.file] += 1
        self._checked += frame.height
        return frame.with_columns(
            reason=pl.Series(reasons, dtype=pl.String), detail=pl.Series(details, dtype=pl.String)
        )

    def report(self) -> DecontaminateReport | None:
        if self.index is None:
            return None
        texts = Counter(text.file for text in self.texts)
        names = [Path(path).name for path in self.options.against]
        ngrams = self.index if isinstance(self.index, NgramIndex) else None
        return DecontaminateReport(
            method=self.options.method,
            rows_checked=self._checked,
            evaluation_texts={name: texts[name] for name in names},
            contaminated={name: self._dropped[name] for name in names},
            ngram=self.options.ngram if ngrams is not None else None,
            texts_too_short=ngrams.skipped if ngrams is not None else None,
            threshold=self.options.threshold if ngrams is None else None,
        )


def prompt_texts(frame: pl.DataFrame) -> list[str]:
    """The text checked per row: a pair's whole prompt, a conversation's user and system turns."""
    if schema.kind_of(frame) == "pairs":
        turns = pl.col("prompt")
    else:
        turns = pl.col("messages").list.filter(pl.element().struct.field("role") != "assistant")
    texts = frame.select(turns.list.eval(pl.element().struct.field("content")).list.join("\n").fill_null(""))
    return texts.to_series().to_list()
