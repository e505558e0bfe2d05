"""``battle``: an arena vote between the sides of one battle; the winner is chosen."""

from __future__ import annotations

from curate.pairing.base import GroupVerdict, Strategy, pair_by_value, strategy
from curate.pairing.sides import Side
from curate.schema import Outcome

OUTCOME_VALUE: dict[Outcome | None, float] = {"win": 1.0, "loss": 0.0}


@strategy("battle")
class Battle(Strategy):
    """Winners against losers; a tie or a both-bad vote gives no pair."""

    def applies(self, sides: list[Side]) -> bool:
        return any(side.outcome is not None for side in sides)

    def pair(self, sides: list[Side]) -> GroupVerdict:
        ties = [side for side in sides if side.outcome == "tie"]
        both_bad = [side for side in sides if side.outcome == "both_bad"]
        voted = [side for side in sides if side.outcome not in ("tie", "both_bad")]
        if not voted:
            return (
                GroupVerdict()
                .leave_out(both_bad, "both_bad", "the vote found both replies bad")
                .leave_out(ties, "tie", "the vote was a tie")
            )
        verdict = pair_by_value(
            voted,
            {side.index: OUTCOME_VALUE.get(side.outcome) for side in voted},
            pairing="all",
            missing="no win/loss outcome",
            describe="outcome",
        )
        verdict.leave_out(both_bad, "both_bad", "the vote found both replies bad")
        return verdict.leave_out(ties, "tie", "the vote was a tie")

    def label_alone(self, side: Side) -> tuple[bool, float | None] | None:
        """A both-bad vote judged each reply on its own: undesirable. A tie says nothing alone."""
        return (False, side.score) if side.outcome == "both_bad" else None
