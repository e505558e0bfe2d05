"""Preference pairs out of conversations: strategies that read the evidence, and helpers.

Importing this package registers the built-in strategies (``battle``, ``ranked``,
``rated``, ``thumbs``, ``model_rank``, ``given``) in ``STRATEGIES``.
"""

from curate.pairing import battle, given, model_rank, ranked, rated, thumbs  # noqa: F401
from curate.pairing.base import STRATEGIES, Candidate, GroupVerdict, Strategy, StrategyOptions, strategy
from curate.pairing.pairer import REASON_MEANINGS, REASONS, Pair, Pairing, make_pairs
from curate.pairing.sides import Side, read_sides

__all__ = [
    "REASONS",
    "REASON_MEANINGS",
    "STRATEGIES",
    "Candidate",
    "GroupVerdict",
    "Pair",
    "Pairing",
    "Side",
    "Strategy",
    "StrategyOptions",
    "make_pairs",
    "read_sides",
    "strategy",
]
