"""One reply a row, for ``output.format_variant: kto``: every reply the evidence can label.

TRL's ``KTOTrainer`` learns from replies labelled desirable or undesirable one at a time, so a
reply needs no partner. ``label_replies`` turns a ``Pairing`` into labelled replies, each
reply once:

- A reply in pairs takes its label from them: desirable when it is the chosen side of more
  of its pairs than the rejected side, undesirable when of fewer. Its prompt and reply are
  those of its first pair (the shared prompt, as in the conversational output). A reply
  chosen as often as rejected (the middle of an order under ``pairing: all``) has no label
  from its pairs and is treated as a reply in no pair, left out as ``tie``.
- A reply in no pair takes the label of the first listed strategy whose evidence says
  something of it alone (``Strategy.label_alone``): a ``thumbs`` up or down, a ``rated`` score
  against ``desirable_at``, a ``battle`` vote that found both replies bad (undesirable). That
  holds when it was left out for lack of a partner (``LABELLED_REASONS``); a reply left out as
  unusable (too short, a duplicate, the same text as its partner, unjudged) stays out, and so
  does one whose evidence is only relative (a rank, a win against a reply that was dropped).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from curate.pairing.base import Strategy
from curate.pairing.pairer import Pairing, cluster_of, group_key
from curate.pairing.sides import Side, Turns, digest

LABELLED_REASONS = frozenset({"single_reply", "no_signal", "tie", "unpaired", "max_per_prompt", "both_bad"})
"""Why a reply may be in no pair and still be a row of its own: nothing says it is unusable."""
FROM_PAIRS = "pairs"


@dataclass(frozen=True)
class LabelledReply:
    """One row of a ``kto`` output: a reply, its prompt, and whether it is desirable."""

    side: Side
    desirable: bool
    strategy: str
    """The strategy whose evidence gave the label (of its pairs, or of the reply alone)."""
    evidence: str
    """``pairs`` when the label comes from pairs, else the strategy that labelled the reply alone."""
    prompt: Turns
    reply: Turns
    score: float | None
    cluster: str

    @property
    def id(self) -> str:
        return digest(["reply", self.side.source, self.side.id])


def label_replies(pairing: Pairing, sides: list[Side], strategies: list[Strategy]) -> list[LabelledReply]:
    """Every reply of ``sides`` that the evidence labels, in the order of the sides.

    Replies that get a label leave ``pairing.left_out``; a reply whose pairs cancel out and
    that its own evidence cannot label joins it as ``tie``.
    """
    clusters = _clusters(sides)
    balance: Counter[int] = Counter()
    first: dict[int, LabelledReply] = {}
    for pair in pairing.pairs:
        for side, chosen, turns, score in (
            (pair.candidate.chosen, True, pair.chosen, pair.candidate.score_chosen),
            (pair.candidate.rejected, False, pair.rejected, pair.candidate.score_rejected),
        ):
            balance[side.index] += 1 if chosen else -1
            if side.index not in first:
                first[side.index] = LabelledReply(
                    side, chosen, pair.strategy, FROM_PAIRS, pair.prompt, turns, score, pair.cluster
                )
    replies = []
    for index, reply in first.items():
        if balance[index]:
            replies.append(replace(reply, desirable=balance[index] > 0))
        else:
            pairing.left_out[index] = ("tie", "chosen in as many pairs as rejected: a kto row has one label")
    for side in sides:
        reason = pairing.left_out.get(side.index)
        if reason is None or reason[0] not in LABELLED_REASONS:
            continue
        for strategy in strategies:
            label = strategy.label_alone(side)
            if label is not None:
                desirable, score = label
                cluster = clusters[group_key(side)]
                replies.append(
                    LabelledReply(
                        side, desirable, strategy.name, strategy.name, side.prompt, side.reply, score, cluster
                    )
                )
                del pairing.left_out[side.index]
                break
    return sorted(replies, key=lambda reply: reply.side.index)


def _clusters(sides: list[Side]) -> dict[tuple[str, ...], str]:
    """Each group's prompt cluster, as ``make_pairs`` gives it to the group's pairs."""
    groups: dict[tuple[str, ...], list[Side]] = {}
    for side in sides:
        if side.prompt and side.reply:
            groups.setdefault(group_key(side), []).append(side)
    return {key: cluster_of(members) for key, members in groups.items()}
