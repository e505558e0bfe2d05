"""``pairs``: turn conversations into ``prompt`` / ``chosen`` / ``rejected`` rows.

Every conversation either goes into at least one pair or is rejected with the reason it
went into none (see ``curate.pairing.REASONS``). A pair carries both sides' ids, the
combination of their licenses, and the prompt cluster (``_prompt_cluster``) that ``split``
and ``decontaminate`` use (``curate.pairing.rows``).

The run's ``output.format_variant`` reaches the stage through its ``RunContext``: for
``standard`` a pair's prompt must be one user turn (else ``multi_turn_prompt``); for ``kto``
the stage gives one row per reply the evidence labels (``curate.pairing.unpaired``), replies
in no pair included.

>>> from curate.stages.pairs import Pairs
>>> stage = Pairs.from_options(strategies=["battle", "model_rank"], model_rank={"ranking": ["gpt-4*"]})
>>> stage.options.max_per_prompt
1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, Self

import polars as pl
from pydantic import Field, model_validator

from curate.markdown import mapping_table, paragraphs, plural, table
from curate.options import Outbound, StageOptions, VariantOption
from curate.pairing import REASONS, STRATEGIES, Pairing, make_pairs, read_sides
from curate.pairing.base import OrderOptions, Strategy, StrategyOptions
from curate.pairing.feasibility import PairingEstimate, estimate_in_batches, estimate_pairing
from curate.pairing.given import GivenOptions
from curate.pairing.judge import Judge, JudgeOptions
from curate.pairing.margins import margin_distribution
from curate.pairing.model_rank import ModelRankOptions
from curate.pairing.pairer import group_key
from curate.pairing.rated import RatedOptions
from curate.pairing.rows import pairs_frame, replies_frame
from curate.pairing.unpaired import FROM_PAIRS, LabelledReply, label_replies
from curate.record import SETTING
from curate.stages.base import ROW, PartitionedStage, RunContext, StageOutput, StageReport, register

StrategyName = Literal["battle", "ranked", "rated", "thumbs", "model_rank", "given", "judge"]
CONFIGURABLE = ("ranked", "rated", "model_rank", "given", "judge")
LINKS_BYTES_PER_ROW = 250
"""What the links of a row and the plan of the batches hold on the driver (measured: ``driver_memory``)."""
JOIN_BYTES_PER_ROW = 70
"""Of ``LINKS_BYTES_PER_ROW``, what joining the rows that share a link takes in process (the
stars' sort and edges, the union-find): ``edge_memory``."""


class PairsOptions(StageOptions):
    strategies: list[StrategyName] = Field(
        min_length=1,
        description=(
            "Strategies tried in order on each group of replies; the first whose evidence the group "
            "carries decides it. battle: signal.outcome; ranked: signal.rank; rated: signal.score or "
            "aspect scores; thumbs: signal.thumbs; model_rank: model names; given: signal.label; "
            "judge: an LLM judge or a reward model ranks the replies (put it last)."
        ),
    )
    ranked: OrderOptions = Field(default_factory=OrderOptions, description="Options of `ranked`.")
    rated: RatedOptions = Field(default_factory=RatedOptions, description="Options of `rated`.")
    model_rank: ModelRankOptions = Field(
        default_factory=ModelRankOptions,
        description="Options of `model_rank`; `ranking` is required when it is used.",
    )
    given: GivenOptions = Field(default_factory=GivenOptions, description="Options of `given`.")
    judge: JudgeOptions | None = Field(
        None, description="Options of `judge`: an LLM judge's `base_url` and `model`, or a `reward_model`."
    )
    max_per_prompt: int | None = Field(
        1,
        ge=1,
        description=(
            "At most this many pairs per prompt cluster, across sources; pairs of earlier strategies "
            "are kept first, then a seeded choice. Null for no limit."
        ),
    )
    min_chars: int = Field(
        1, ge=0, description="Chosen and rejected each need at least this many characters."
    )
    seed: int | None = Field(
        None, description="Seed of the choice among candidate pairs; default the pipeline's seed."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.strategies)) != len(self.strategies):
            raise ValueError("a strategy is listed twice in `strategies`")
        if "model_rank" in self.strategies and not self.model_rank.ranking:
            raise ValueError("`model_rank` needs `model_rank.ranking`: model-name patterns, best first")
        if "judge" in self.strategies and self.judge is None:
            raise ValueError("`judge` needs `judge:` options: a `base_url` and `model`, or a `reward_model`")
        unused = [
            name for name in CONFIGURABLE if name in self.model_fields_set and name not in self.strategies
        ]
        if unused:
            raise ValueError(
                f"options given for {', '.join(unused)} but `strategies` does not list it; "
                "add it there or drop the options"
            )
        return self

    def unscrubbed_endpoints(self) -> list[Outbound]:
        judge = self.judge if "judge" in self.strategies else None
        if judge is None or judge.base_url is None or judge.send_unscrubbed:
            return []
        return [Outbound(("judge", "base_url"), judge.base_url, ("judge", "send_unscrubbed"))]

    def variant_options(self) -> list[VariantOption]:
        if "rated" in self.strategies and self.rated.desirable_at is not None:
            return [VariantOption(("rated", "desirable_at"), "kto")]
        return []

    def strategy_options(self, name: str) -> StrategyOptions | None:
        value = getattr(self, name, None)
        return value if isinstance(value, StrategyOptions) else None


class PairsReport(StageReport):
    """Pairs made, by strategy, and the groups of replies that gave none, by reason."""

    strategies: list[StrategyName] = Field(description="Strategies, in the order they were tried.")
    conversations: int = Field(description="Conversations given to the stage.")
    groups: int = Field(description="Groups of replies to one prompt.")
    prompt_clusters: int
    pairs: int
    pairs_by_strategy: dict[str, int]
    groups_without_pair: dict[str, int] = Field(description="Groups that gave no pair, by reason.")
    max_per_prompt: Annotated[int | None, SETTING]
    score_margins: dict[str, dict[str, float | int]] | None = Field(
        None, description="Per strategy, the distribution of chosen minus rejected scores (both scored)."
    )

    judge_model: str | None = Field(None, description="The judge that decided `judge` pairs.")
    judge_mode: str | None = Field(None, description="pairwise, score, or reward_model.")
    judge_terms: str | None = Field(None, description="Terms key of the judge model's provider.")
    judge_scored: int | None = Field(None, description="Candidates a local reward model scored.")
    judge_requests: int | None = Field(None, description="Requests the judge answered.")
    judge_prompt_tokens: int | None = None
    judge_completion_tokens: int | None = None
    judge_unparsed: int | None = Field(None, description="Answers without a verdict the parser knows.")
    judge_failed: int | None = Field(None, description="Requests that failed after their retries.")
    kto_desirable: int | None = Field(None, description="kto rows labelled desirable (`label` true).")
    kto_undesirable: int | None = Field(None, description="kto rows labelled undesirable.")
    kto_unpaired: dict[str, int] | None = Field(
        None, description="kto rows of replies in no pair, by the strategy whose evidence labelled them."
    )

    def merged(self, other: Self) -> Self:
        """Margins' quantiles do not add up: a merged report has none until ``Pairs.final_report``
        computes them from the pairs themselves."""
        mine, theirs = (report.model_copy(update={"score_margins": None}) for report in (self, other))
        return super(PairsReport, mine).merged(theirs)

    optional_keys = frozenset(
        {
            "score_margins",
            "judge_model",
            "judge_mode",
            "judge_terms",
            "judge_scored",
            "judge_requests",
            "judge_prompt_tokens",
            "judge_completion_tokens",
            "judge_unparsed",
            "judge_failed",
            "kto_desirable",
            "kto_undesirable",
            "kto_unpaired",
        }
    )


@register("pairs")
class Pairs(PartitionedStage[PairsOptions, PairsReport]):
    """Preference pairs from the evidence each group of replies carries."""

    Options = PairsOptions
    Report = PairsReport
    reasons = REASONS
    accepts = ("conversations",)
    produces = "pairs"
    order_by = ("_order_row", "_order_number")

    def __init__(self, options: PairsOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self.strategies: list[Strategy] = [
            STRATEGIES[name](options.strategy_options(name)) for name in options.strategies
        ]
        self._pairing: Pairing | None = None
        self._replies: list[LabelledReply] | None = None
        self._conversations = 0

    def reset(self) -> None:
        self._pairing = None
        self._replies = None
        self._conversations = 0
        for strategy in self.strategies:
            strategy.reset()

    def links(self, frame: pl.DataFrame) -> list[list[str]]:
        """A row's group and its prompt cluster (or exact prompt): every row a pair or the
        ``max_per_prompt`` limit may join it with shares one of these, directly or not."""
        links = []
        for side in read_sides(frame):
            if side.prompt and side.reply:
                links.append(
                    ["\x1f".join(group_key(side)), f"cluster\x1f{side.prompt_cluster or side.prompt_key}"]
                )
            else:  # paired with nothing: a part of its own
                links.append([f"alone\x1f{side.source}\x1f{side.id}"])
        return links

    def driver_memory(self, rows: int) -> int:
        """Each row's links (64-bit codes) and its part and batch: 143 bytes a row measured
        (``benchmarks/decide_memory.py``), rounded up generously (the figure varies by run)."""
        return rows * LINKS_BYTES_PER_ROW

    def edge_memory(self, rows: int) -> int:
        """The part of ``driver_memory`` a joiner on a cluster keeps off the driver: 67 bytes a
        row at two links a row measured (tracemalloc over ``stars`` and ``join``), rounded up."""
        return rows * JOIN_BYTES_PER_ROW

    def final_report(self, merged: PairsReport | None, kept: pl.LazyFrame) -> PairsReport | None:
        if merged is None:
            return None
        scores = kept.select("strategy", "score_chosen", "score_rejected").collect()
        return merged.model_copy(update={"score_margins": margin_distribution(scores.iter_rows()) or None})

    def estimate_in_batches(self, shards: Callable[[], Iterator[pl.DataFrame]]) -> PairingEstimate:
        """``estimate`` over rows that come a shard at a time (a batch of groups held at once)."""
        return estimate_in_batches(
            shards,
            self.strategies,
            min_chars=self.options.min_chars,
            alone=self.context.format_variant == "kto",
        )

    def estimate(self, frame: pl.DataFrame) -> PairingEstimate:
        """Whether the strategies could pair anything in ``frame``, without pairing (for an early stop)."""
        return estimate_pairing(
            frame,
            self.strategies,
            min_chars=self.options.min_chars,
            alone=self.context.format_variant == "kto",
        )

    def process(self, frame: pl.DataFrame) -> StageOutput:
        """Pairs; or, for ``format_variant: kto``, one row per labelled reply (a pair's row with
        only ``chosen`` or only ``rejected`` set: ``curate.writers.variants`` writes it as
        ``completion`` and ``label``)."""
        variant = self.context.format_variant
        sides = read_sides(frame, with_meta="rated" in self.options.strategies)
        pairing = make_pairs(
            sides,
            self.strategies,
            max_per_prompt=self.options.max_per_prompt,
            min_chars=self.options.min_chars,
            seed=self.seed,
            single_turn=variant == "standard",
        )
        self._pairing = pairing
        self._conversations = frame.height
        if variant == "kto":
            self._replies = label_replies(pairing, sides, self.strategies)
            kept = replies_frame(self._replies, frame, self._judges())
            order = [(reply.side.index, 0) for reply in self._replies]
        else:
            kept = pairs_frame(pairing.pairs, frame, self._judges())
            order = [pair.order for pair in pairing.pairs]
        if ROW in frame.columns:  # a batch of the executor's: the order over every batch
            rows = frame[ROW]
            kept = kept.with_columns(
                _order_row=pl.Series([rows[first] for first, _ in order], dtype=pl.Int64),
                _order_number=pl.Series([number for _, number in order], dtype=pl.Int64),
            )
        reasons = [pairing.left_out.get(index, (None, None)) for index in range(frame.height)]
        judged = frame.with_columns(
            reason=pl.Series([reason for reason, _ in reasons], dtype=pl.String),
            detail=pl.Series([detail for _, detail in reasons], dtype=pl.String),
        )
        rejected = judged.filter(pl.col("reason").is_not_null())
        return StageOutput(kept=kept, rejected=rejected, consumed=frame.height - rejected.height)

    def report(self) -> PairsReport:
        pairing = self._pairing or Pairing()
        margins = margin_distribution(
            (pair.strategy, pair.candidate.score_chosen, pair.candidate.score_rejected)
            for pair in pairing.pairs
        )
        return PairsReport(
            strategies=list(self.options.strategies),
            conversations=self._conversations,
            groups=pairing.groups,
            prompt_clusters=pairing.clusters,
            pairs=len(pairing.pairs),
            pairs_by_strategy=pairing.by_strategy(),
            groups_without_pair=dict(sorted(pairing.groups_without_pair.items())),
            max_per_prompt=self.options.max_per_prompt,
            score_margins=margins or None,
            **_kto_figures(self._replies),
            **{key: value for strategy in self.strategies for key, value in strategy.report().items()},
        )

    def _judges(self) -> dict[str, str]:
        """Strategy name -> the judge its pairs record (in the ``judge`` column)."""
        return {strategy.name: strategy.label for strategy in self.strategies if isinstance(strategy, Judge)}

    @classmethod
    def card_section(cls, report: PairsReport) -> str:
        made = (
            f"Made {plural(report.pairs, 'pair')} from {plural(report.conversations, 'conversation')}"
            f" in {plural(report.groups, 'group')} of replies to one prompt"
            f" ({plural(report.prompt_clusters, 'prompt cluster')})."
        )
        limit = report.max_per_prompt
        most = "any number of pairs" if limit is None else plural(limit, "pair")
        order = ", ".join(f"`{name}`" for name in report.strategies)
        return paragraphs(
            made,
            f"Strategies, tried in this order on each group: {order}; at most {most} per prompt cluster.",
            mapping_table(report.pairs_by_strategy, "strategy", "pairs"),
            _margins_table(report.score_margins),
            "Groups that gave no pair, by reason:\n\n"
            + mapping_table(report.groups_without_pair, "reason", "groups"),
            _judge_table(report),
            _kto_paragraph(report),
        )


def _kto_figures(replies: list[LabelledReply] | None) -> dict[str, Any]:
    if replies is None:
        return {}
    desirable = sum(reply.desirable for reply in replies)
    unpaired = Counter(reply.evidence for reply in replies if reply.evidence != FROM_PAIRS)
    return {
        "kto_desirable": desirable,
        "kto_undesirable": len(replies) - desirable,
        "kto_unpaired": dict(sorted(unpaired.items())),
    }


def _kto_paragraph(report: PairsReport) -> str | None:
    if report.kto_desirable is None or report.kto_undesirable is None:
        return None
    rows = report.kto_desirable + report.kto_undesirable
    alone = report.kto_unpaired or {}
    own = ""
    if alone:
        labelled = ", ".join(f"`{name}` {count:,}" for name, count in alone.items())
        own = f"; replies in no pair labelled by their own evidence: {labelled}"
    return (
        f"Written for KTO (`format_variant: kto`): {plural(rows, 'row')} of one reply each,"
        f" {report.kto_desirable:,} desirable and {report.kto_undesirable:,} undesirable; replies in"
        f" pairs are labelled by them (chosen: desirable){own}."
    )


def _judge_table(report: PairsReport) -> str | None:
    figures = report.model_dump(
        include={name for name in PairsReport.model_fields if name.startswith("judge_")}
    )
    if not figures:
        return None
    rows = [(name.replace("_", " "), value) for name, value in figures.items()]
    return "The judge:\n\n" + table(["figure", "value"], rows)


def _margins_table(margins: dict[str, dict[str, float | int]] | None) -> str | None:
    if not margins:
        return None
    columns = ["pairs", "min", "p25", "median", "p75", "max"]
    rows = [[f"`{name}`", *(values.get(column) for column in columns)] for name, values in margins.items()]
    return "Score margins (chosen minus rejected) of the pairs scored on both sides:\n\n" + table(
        ["strategy", *columns], rows, align="lrrrrrr"
    )
