"""``pairs``: turn conversations into ``prompt`` / ``chosen`` / ``rejected`` rows.

Every conversation either goes into at least one pair or is rejected with the reason it
went into none (see ``curate.pairing.REASONS``). A pair carries both sides' ids, the
combination of their licenses, and the prompt cluster (``_prompt_cluster``) that ``split``
and ``decontaminate`` use.

>>> from curate.stages.pairs import Pairs
>>> stage = Pairs.from_options(strategies=["battle", "model_rank"], model_rank={"ranking": ["gpt-4*"]})
>>> stage.options.max_per_prompt
1
"""

from __future__ import annotations

from typing import Any, Literal, Self

import polars as pl
from pydantic import Field, model_validator

from curate import schema
from curate.licensing import combine_licenses
from curate.options import Outbound, StageOptions
from curate.pairing import REASONS, STRATEGIES, Pair, Pairing, make_pairs, read_sides
from curate.pairing.base import OrderOptions, Strategy, StrategyOptions
from curate.pairing.judge import Judge, JudgeOptions
from curate.pairing.model_rank import ModelRankOptions
from curate.pairing.rated import RatedOptions
from curate.pairing.sides import as_messages
from curate.stages.base import RunContext, Stage, StageOutput, register

StrategyName = Literal["battle", "ranked", "rated", "thumbs", "model_rank", "given", "judge"]
CONFIGURABLE = ("ranked", "rated", "model_rank", "judge")


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

    def strategy_options(self, name: str) -> StrategyOptions | None:
        value = getattr(self, name, None)
        return value if isinstance(value, StrategyOptions) else None


@register("pairs")
class Pairs(Stage[PairsOptions]):
    """Preference pairs from the evidence each group of replies carries."""

    Options = PairsOptions
    reasons = REASONS
    whole_data = True
    accepts = ("conversations",)
    produces = "pairs"

    def __init__(self, options: PairsOptions, context: RunContext | None = None) -> None:
        super().__init__(options, context)
        self.strategies: list[Strategy] = [
            STRATEGIES[name](options.strategy_options(name)) for name in options.strategies
        ]
        self._pairing: Pairing | None = None
        self._conversations = 0

    def process(self, frame: pl.DataFrame) -> StageOutput:
        sides = read_sides(frame, with_meta="rated" in self.options.strategies)
        pairing = make_pairs(
            sides,
            self.strategies,
            max_per_prompt=self.options.max_per_prompt,
            min_chars=self.options.min_chars,
            seed=self.seed,
        )
        self._pairing = pairing
        self._conversations = frame.height
        kept = _pairs_frame(pairing.pairs, frame, self._judges())
        reasons = [pairing.left_out.get(index, (None, None)) for index in range(frame.height)]
        judged = frame.with_columns(
            reason=pl.Series([reason for reason, _ in reasons], dtype=pl.String),
            detail=pl.Series([detail for _, detail in reasons], dtype=pl.String),
        )
        rejected = judged.filter(pl.col("reason").is_not_null())
        return StageOutput(kept=kept, rejected=rejected, consumed=frame.height - rejected.height)

    def report(self) -> dict[str, Any]:
        pairing = self._pairing or Pairing()
        return {
            "strategies": list(self.options.strategies),
            "conversations": self._conversations,
            "groups": pairing.groups,
            "prompt_clusters": pairing.clusters,
            "pairs": len(pairing.pairs),
            "pairs_by_strategy": pairing.by_strategy(),
            "groups_without_pair": dict(sorted(pairing.groups_without_pair.items())),
            "max_per_prompt": self.options.max_per_prompt,
            **{key: value for strategy in self.strategies for key, value in strategy.report().items()},
        }

    def _judges(self) -> dict[str, str]:
        """Strategy name -> the judge its pairs record (in the ``judge`` column)."""
        return {strategy.name: strategy.label for strategy in self.strategies if isinstance(strategy, Judge)}


def _pairs_frame(pairs: list[Pair], conversations: pl.DataFrame, judges: dict[str, str]) -> pl.DataFrame:
    rows = [_pair_row(pair) for pair in pairs]
    frame = schema.pairs(rows)
    if judges:
        frame = frame.with_columns(
            judge=pl.Series([judges.get(pair.strategy) for pair in pairs], dtype=pl.String)
        )
    frame = frame.with_columns(_prompt_cluster=pl.Series([pair.cluster for pair in pairs], dtype=pl.String))
    if "_split" in conversations.columns:
        splits = conversations["_split"]
        frame = frame.with_columns(
            _split=pl.Series([splits[pair.candidate.chosen.index] for pair in pairs], dtype=pl.String)
        )
    return frame


def _pair_row(pair: Pair) -> dict[str, Any]:
    chosen, rejected = pair.candidate.chosen, pair.candidate.rejected
    return {
        "prompt": as_messages(pair.prompt),
        "chosen": as_messages(pair.chosen),
        "rejected": as_messages(pair.rejected),
        "score_chosen": pair.candidate.score_chosen,
        "score_rejected": pair.candidate.score_rejected,
        "strategy": pair.strategy,
        "source": "+".join(sorted({chosen.source, rejected.source})),
        "license": combine_licenses([chosen.license, rejected.license]),
        "language": chosen.language or rejected.language,
        "chosen_id": chosen.id,
        "rejected_id": rejected.id,
        "id": pair.id,
    }
