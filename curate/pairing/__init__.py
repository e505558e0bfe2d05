"""The mechanics of the ``pairs`` stage: strategies that read the evidence, and the pairer.

``sides``     a conversation as one side of a possible pair: prompt, reply, evidence
``base``      ``Strategy``, ``GroupVerdict``, ``PairingMode`` and the ordering most strategies share
``battle`` ``ranked`` ``rated`` ``thumbs`` ``model_rank`` ``given``   the built-in strategies
``judge``     an LLM judge (pairwise or score) or a local reward model ranks a group's replies
``pairer``    ``make_pairs``: groups, the first strategy that applies, limits, ``Pairing``
``feasibility``  ``estimate_pairing``: before the slow stages, whether any group can give a pair
``unpaired``  ``label_replies``: one labelled reply a row, for ``format_variant: kto``
``rows``      the stage's output rows: a pair's, or a labelled reply's

Importing this package registers the built-in strategies in ``STRATEGIES``. Modules here
import ``curate.errors``, ``curate.options`` and ``curate.schema`` from the package; ``judge``
also ``curate.clients``, ``curate.judging`` and ``curate.licensing`` (HTTP, torch and
transformers only when it runs); ``rows`` also ``curate.licensing``.
"""

from curate.pairing import battle, given, judge, model_rank, ranked, rated, thumbs  # noqa: F401
from curate.pairing.base import STRATEGIES, Candidate, GroupVerdict, Strategy, StrategyOptions, strategy
from curate.pairing.feasibility import PairingEstimate, estimate_pairing
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
    "PairingEstimate",
    "Side",
    "Strategy",
    "StrategyOptions",
    "estimate_pairing",
    "make_pairs",
    "read_sides",
    "strategy",
]
