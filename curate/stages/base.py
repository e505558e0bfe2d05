"""What a stage is: options, a vocabulary of reasons, and one method.

A stage takes a polars frame and returns the rows it keeps and the rows it drops, each
dropped row with a ``reason`` from the stage's declared vocabulary and a ``detail``. The
runner owns everything else: batching, counting, timing, progress, rejects files and the
manifest. Stages never print.

Most stages only decide, row by row, whether to drop: they subclass ``FilterStage`` and
implement ``judge``, which returns the frame with ``reason`` and ``detail`` columns (null
``reason`` means keep). Stages that reshape the data (``pairs``) implement ``process``.

Lifecycle: the runner builds a stage, calls ``setup()`` once, ``process`` once per batch (or
once, for ``whole_data`` stages), then ``teardown()`` once. A whole-data stage that can
decide from a compact summary of each row (``CompactStage``: dedup, split) is instead given
one shard at a time, twice: to ``summarize``, then to ``apply`` its slice of what ``decide``
made of all the summaries; so no step holds every row at once. Outside a pipeline,
``stage(frame)`` does the three. A stage's figures are its ``Report`` (a pydantic model),
which ``report()`` returns and ``card_section`` renders in the dataset card.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic

import numpy as np
import numpy.typing as npt
import polars as pl
from typing_extensions import TypeVar

from curate import registry
from curate.errors import StageError
from curate.markdown import report_tables
from curate.options import StageOptions
from curate.record import CountsReport as CountsReport
from curate.record import KeptDropped as KeptDropped
from curate.record import StageReport as StageReport
from curate.schema import Kind

if TYPE_CHECKING:
    from curate.config import InputConfig

OptionsT = TypeVar("OptionsT", bound=StageOptions)
ReportT = TypeVar("ReportT", bound=StageReport, default=Any)
S = TypeVar("S", bound="type[Stage[Any]]")


@dataclass(frozen=True)
class RunContext:
    """What a stage may know about the run it is part of."""

    pipeline_dir: Path = field(default_factory=Path.cwd)
    output_dir: Path | None = None
    seed: int = 0
    strict: bool = False
    inputs: tuple[InputConfig, ...] = ()
    workers: int = 1


@dataclass
class StageOutput:
    """What ``Stage.process`` returns.

    ``rejected`` has the input's columns plus ``reason`` and ``detail``. ``consumed`` is
    for stages whose output rows are a new unit (pairs): the number of input rows that went
    into the output; the runner checks ``rows_in == consumed + rows_rejected``.
    """

    kept: pl.DataFrame
    rejected: pl.DataFrame
    consumed: int | None = None


class Stage(ABC, Generic[OptionsT, ReportT]):
    """Base class of every stage. Register a subclass with ``@register("name")``.

    ``Stage[Options, Report]``: the options model it is built with and the report model it
    returns (``Report`` names the same class, for the runner and the card).
    """

    name: ClassVar[str]
    Options: ClassVar[type[StageOptions]] = StageOptions
    Report: ClassVar[type[StageReport] | None] = None
    """The model of ``report()``; None for a stage that reports nothing."""
    reasons: ClassVar[tuple[str, ...]] = ()
    """Reason codes this stage may give; a reason is a code or ``code:argument``."""
    whole_data: ClassVar[bool] = False
    """True when the stage must see every row at once (dedup, pairs, split)."""
    accepts: ClassVar[tuple[Kind, ...]] = ("conversations",)
    adds_replies: ClassVar[bool] = False
    """True when the stage adds candidate replies to prompts (``generate``): a later ``pairs``
    stage may then pair groups that had one reply when read."""
    produces: ClassVar[Kind | None] = None
    """The kind of rows the stage emits; ``None`` means the kind it was given."""
    loads: ClassVar[str | None] = None
    """What ``setup`` loads that takes a while (``"the spaCy model"``), shown as a step of its own."""

    def __init__(self, options: OptionsT, context: RunContext | None = None) -> None:
        self.options = options
        self.context = context or RunContext()

    @classmethod
    def from_options(cls, context: RunContext | None = None, **options: Any) -> Stage[Any]:
        """Build the stage from keyword options, validated as in a pipeline file."""
        validated: Any = cls.Options.model_validate(options)
        return cls(validated, context)

    def setup(self) -> None:
        """Load heavy resources (models, indexes) once, before the first batch."""

    def teardown(self) -> None:
        """Release what ``setup`` took (process pools, files)."""

    @abstractmethod
    def process(self, frame: pl.DataFrame) -> StageOutput:
        """Return the rows kept and the rows dropped, with their reasons (after ``setup``)."""

    def __call__(self, frame: pl.DataFrame) -> StageOutput:
        """Run the stage on ``frame`` outside a pipeline: ``setup``, ``process``, ``teardown``.

        >>> from curate.stages import Normalize
        >>> from curate.schema import conversations
        >>> rows = conversations([{"id": "a", "messages": [{"role": "user", "content": "hi"}]}])
        >>> Normalize.from_options()(rows).rejected["reason"].to_list()
        ['no_assistant_turn']
        """
        self.setup()
        try:
            return self.process(frame)
        finally:
            self.teardown()

    def not_set_up(self) -> StageError:
        """The error to raise when ``process`` finds that ``setup`` has not run."""
        return StageError(
            f"stage {self.name!r} was used before setup(): call it as stage(frame), or run it in a pipeline"
        )

    def reset(self) -> None:
        """Forget the figures of the rows seen so far, keeping what ``setup`` loaded.

        An executor that runs a stage shard by shard calls it before each shard and takes
        ``report()`` after it, then merges the shards' reports; so a stage that counts must
        start its counts (and any cache whose hits it reports) afresh here.
        """

    def checkpoint(self) -> object:
        """What ``write_artifacts`` will need, kept in the work folder after a whole-data stage
        ran, so that a resumed run that skips the stage can still write them (None: nothing)."""
        return None

    def restore(self, state: object) -> None:
        """Take back what ``checkpoint`` returned, instead of processing rows again."""

    def write_artifacts(self, folder: Path, released: pl.DataFrame) -> None:
        """Write files a later run may use (a signature index, say) into the output folder.

        ``released`` is the run's output: the rows written under ``data/``.
        """

    def report(self) -> ReportT | None:
        """Stage-specific figures for the manifest and the card, accumulated over batches.

        An instance of ``Report``, or None when there is nothing to report. Only counts and
        settings: never a value taken from a record.
        """
        return None

    @classmethod
    def card_section(cls, report: ReportT) -> str:
        """The body of this stage's section in the dataset card: by default, tables of the figures."""
        return report_tables(report.model_dump())

    @property
    def seed(self) -> int:
        own = getattr(self.options, "seed", None)
        return int(own) if own is not None else self.context.seed


RowFetcher = Callable[[npt.NDArray[np.int64]], pl.DataFrame]
"""Row numbers (over every shard, in order) -> those rows, in the order asked."""


class CompactStage(Stage[OptionsT, ReportT]):
    """A whole-data stage that decides from a compact summary of every row.

    The executor calls ``summarize`` on each shard, ``decide`` once on the summaries of all
    shards in shard order, then ``apply`` on each shard with its rows' slice of the
    decisions. What grows with the input in ``decide`` is the summaries (ids, signatures,
    keys), never the rows; a stage that needs a few rows whole again (dedup's exact check of
    candidate pairs) reads them back through ``rows``. ``process`` does the three on one frame.
    """

    whole_data = True

    @abstractmethod
    def summarize(self, frame: pl.DataFrame) -> Any:
        """What ``decide`` needs of ``frame``'s rows, small and picklable (a shard at a time)."""

    @abstractmethod
    def decide(self, summaries: Sequence[Any], rows: RowFetcher) -> pl.DataFrame:
        """Decisions for every row of every shard, in order: one row of columns per row."""

    @abstractmethod
    def apply(self, frame: pl.DataFrame, decisions: pl.DataFrame) -> StageOutput:
        """The kept and rejected rows of ``frame``, given the decisions of its rows."""

    def process(self, frame: pl.DataFrame) -> StageOutput:
        decisions = self.decide([self.summarize(frame)], lambda rows: frame[rows])
        return self.apply(frame, decisions)


ROW = "_row"
"""The column a ``PartitionedStage`` finds its rows' numbers (over every shard) in."""


class PartitionedStage(Stage[OptionsT, ReportT]):
    """A whole-data stage whose rows fall into independent parts (``pairs``: the replies to
    one prompt cluster), each of which it must see whole.

    The executor asks each shard for ``links``: keys that tie a row to others. Rows tied
    directly or through others form one part; parts, in the order of their first row, are
    packed into batches of bounded size, and each batch (its rows in input order, with a
    ``ROW`` column holding their numbers) goes through ``reset`` and ``process``. The kept
    rows of the batches are merged by the ``order_by`` columns the stage adds when ``ROW``
    is there, the rejected rows by ``ROW``; so the output does not depend on the batches.
    ``final_report`` completes the batches' merged report with what does not add up.
    """

    whole_data = True
    order_by: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def links(self, frame: pl.DataFrame) -> list[list[str]]:
        """Per row of ``frame``, the keys that tie it to rows ``process`` must see with it."""

    def final_report(self, merged: ReportT | None, kept: pl.LazyFrame) -> ReportT | None:
        """The step's report from the batches' ``merged`` one and every row kept (lazily)."""
        return merged


class FilterStage(Stage[OptionsT, ReportT]):
    """A stage that keeps or drops rows, and may fill columns on the way."""

    @abstractmethod
    def judge(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Return ``frame`` with ``reason`` and ``detail`` columns added; null reason keeps."""

    def process(self, frame: pl.DataFrame) -> StageOutput:
        return split_by_reason(self.judge(frame))


def split_by_reason(judged: pl.DataFrame) -> StageOutput:
    """Split a frame that carries ``reason`` / ``detail`` into kept and rejected rows."""
    if "detail" not in judged.columns:
        judged = judged.with_columns(detail=pl.lit(None, dtype=pl.String))
    judged = judged.with_columns(pl.col("reason").cast(pl.String), pl.col("detail").cast(pl.String))
    dropped = pl.col("reason").is_not_null()
    kept = judged.filter(~dropped).drop("reason", "detail")
    rejected = judged.filter(dropped)
    return StageOutput(kept=kept, rejected=rejected)


def no_rejects(frame: pl.DataFrame) -> pl.DataFrame:
    """An empty rejects frame with the columns of ``frame``."""
    return frame.clear().with_columns(
        reason=pl.lit(None, dtype=pl.String), detail=pl.lit(None, dtype=pl.String)
    )


def register(name: str) -> Callable[[S], S]:
    """Register a stage class under ``name`` (the key used in pipeline files)."""

    def decorate(cls: S) -> S:
        cls.name = name
        registry.stages.add(name, cls)
        return cls

    return decorate
