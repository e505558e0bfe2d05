"""What a stage is: options, a vocabulary of reasons, and one method.

A stage takes a polars frame and returns the rows it keeps and the rows it drops, each
dropped row with a ``reason`` from the stage's declared vocabulary and a ``detail``. The
runner owns everything else: batching, counting, timing, progress, rejects files and the
manifest. Stages never print.

Most stages only decide, row by row, whether to drop: they subclass ``FilterStage`` and
implement ``judge``, which returns the frame with ``reason`` and ``detail`` columns (null
``reason`` means keep). Stages that reshape the data (``pairs``) implement ``process``.

Lifecycle: the runner builds a stage, calls ``setup()`` once, ``process`` once per batch (or
once, for ``whole_data`` stages), then ``teardown()`` once. Outside a pipeline, a stage class
takes its options as keywords, validated as a pipeline file's are (``Dedup(threshold=0.8)``),
and ``stage(frame)`` does the three and returns a ``StageResult``: the rows kept, the rows
rejected as ``rejects/<stage>.parquet`` holds them, and the report. A stage's figures are its
``Report`` (a pydantic model), which ``report()`` returns and ``card_section`` renders in the
dataset card. A whole-data stage that
can decide from a compact summary of each row (``CompactStage``: dedup, split) is given one
shard at a time, twice: to ``summarize``, then to ``apply`` its slice of what ``decide`` made
of all the summaries; one whose rows fall into independent parts (``PartitionedStage``:
pairs) is given batches of whole parts. So no step holds every row at once.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self

import numpy as np
import numpy.typing as npt
import polars as pl
from typing_extensions import TypeVar

from curate import registry, schema
from curate.dedup.joining import IN_PROCESS, Joiner
from curate.errors import StageError
from curate.markdown import report_tables
from curate.options import StageOptions
from curate.record import CountsReport as CountsReport
from curate.record import KeptDropped as KeptDropped
from curate.record import StageReport as StageReport
from curate.schema import FormatVariant, Kind
from curate.stages.checks import check as check
from curate.stages.checks import checked_report as checked_report
from curate.stages.checks import tagged as tagged
from curate.stages.keywords import StageMeta, options_of

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
    format_variant: FormatVariant = "conversational"
    """How the output's pairs will be written (``output.format_variant``): ``pairs`` makes one
    row per reply for ``kto`` and keeps prompts of one user turn for ``standard``."""
    joiner: Joiner = IN_PROCESS
    """Where a whole-data step finds rows tied by shared keys and joins them into components
    (``curate.dedup.joining``): in this process unless the executor hands a step another."""


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


@dataclass
class StageResult(Generic[ReportT]):
    """What calling a stage on a frame returns, as a run would record it.

    ``rejected`` has the input's columns, then ``stage``, ``reason`` and ``detail``: the rows of
    ``rejects/<stage>.parquet``. ``report`` is the stage's ``Report`` (None when it reports
    nothing); ``consumed`` is set by stages whose output rows are a new unit (pairs).
    """

    kept: pl.DataFrame
    rejected: pl.DataFrame
    report: ReportT | None
    consumed: int | None = None


class Stage(Generic[OptionsT, ReportT], metaclass=StageMeta):
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
    keywords: dict[str, Any] | None = None
    """The options as given by keyword (``Dedup(threshold=0.8)``), written back by
    ``Pipeline.to_yaml``; None for a stage built from an options model."""

    def __init__(self, options: OptionsT, context: RunContext | None = None) -> None:
        self.options = options
        self.context = context or RunContext()

    @classmethod
    def from_options(cls, context: RunContext | None = None, **options: Any) -> Self:
        """Build the stage from keyword options, validated as in a pipeline file (as ``cls(**options)``)."""
        validated: Any = options_of(cls, options)
        stage = cls(validated, context)
        stage.keywords = options
        return stage

    def setup(self) -> None:
        """Load heavy resources (models, indexes) once, before the first batch."""

    def teardown(self) -> None:
        """Release what ``setup`` took (process pools, files)."""

    def shared(self) -> object:
        """What ``setup`` loads that every copy of the stage in a run can share read-only (an
        index), built here, or None. An executor that runs copies in other processes (Ray's
        actors) builds it once and gives it to each copy's ``share`` before its ``setup``."""
        return None

    def share(self, shared: object) -> None:
        """Take what ``shared`` built (in another copy): ``setup`` then does not build it again."""

    @abstractmethod
    def process(self, frame: pl.DataFrame) -> StageOutput:
        """Return the rows kept and the rows dropped, with their reasons (after ``setup``)."""

    def __call__(self, frame: pl.DataFrame) -> StageResult[ReportT]:
        """Run the stage on ``frame`` outside a pipeline: ``setup``, ``process``, ``teardown``.

        The rows are checked as a run checks them (every row kept or rejected, only declared
        reasons, the declared ``Report``), so the result is what the stage does inside a run
        given the same rows in one shard. Missing canonical columns of ``frame`` are added as
        nulls.

        >>> from curate.stages import Normalize
        >>> from curate.schema import conversations
        >>> rows = conversations([{"id": "a", "messages": [{"role": "user", "content": "hi"}]}])
        >>> result = Normalize()(rows)
        >>> result.rejected.select("stage", "reason").row(0)
        ('normalize', 'no_assistant_turn')
        >>> type(result.report).__name__
        'NormalizeReport'
        """
        frame = self._given(frame)
        self.setup()
        try:
            if not self.whole_data:
                self.reset()
            output = self.process(frame)
            check(self, frame, output)
            report = checked_report(self)
        finally:
            self.teardown()
        return StageResult(output.kept, tagged(output.rejected, self.name), report, output.consumed)

    def _given(self, frame: object) -> pl.DataFrame:
        """``frame`` with the canonical columns of its kind, or a ``StageError`` saying what is wrong."""
        if not isinstance(frame, pl.DataFrame):
            raise StageError(
                f"stage {self.name!r} takes a polars DataFrame of {' or '.join(self.accepts)}, not a"
                f" {type(frame).__name__} (curate.read(...).frame reads a file into one)"
            )
        kind = schema.kind_of(frame)
        if kind not in self.accepts:
            raise StageError(f"stage {self.name!r} takes {' or '.join(self.accepts)}, not {kind}")
        try:
            return schema.conform(frame, kind)
        except pl.exceptions.PolarsError as exc:
            raise StageError(
                f"stage {self.name!r}: the frame's columns do not have the canonical types of"
                f" {kind} ({type(exc).__name__}); see curate.schema"
            ) from None

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
        """What ``decide`` needs of ``frame``'s rows, picklable (a shard at a time); the
        executor keeps its large numpy arrays on disk and gives them back memory-mapped."""

    @abstractmethod
    def decide(self, summaries: Sequence[Any], rows: RowFetcher) -> pl.DataFrame:
        """Decisions for every row of every shard, in order: one row of columns per row."""

    @abstractmethod
    def apply(self, frame: pl.DataFrame, decisions: pl.DataFrame) -> StageOutput:
        """The kept and rejected rows of ``frame``, given the decisions of its rows."""

    def process(self, frame: pl.DataFrame) -> StageOutput:
        decisions = self.decide([self.summarize(frame)], lambda rows: frame[rows])
        return self.apply(frame, decisions)

    def driver_memory(self, rows: int) -> int | None:
        """About the bytes ``decide`` holds over ``rows`` rows (the summaries loaded and what it
        builds from them), measured (``benchmarks/decide_memory.py``); None when not known. An
        executor that decides on a driver checks it before the step."""
        return None

    def edge_memory(self, rows: int) -> int | None:
        """The part of ``driver_memory`` that is candidate edges, which an executor can keep off
        the driver by finding and joining them elsewhere (``RunContext.joiner``); None when
        ``decide`` joins nothing."""
        return None


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

    def driver_memory(self, rows: int) -> int | None:
        """About the bytes the links of ``rows`` rows and the plan of their batches hold, as
        ``CompactStage.driver_memory``; None when not known."""
        return None

    def edge_memory(self, rows: int) -> int | None:
        """The part of ``driver_memory`` that is edges, as ``CompactStage.edge_memory``."""
        return None


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
