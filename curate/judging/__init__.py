"""The mechanics of the ``judge`` pairing strategy: what a judge is asked, and local scoring.

``templates``  MT-Bench-style prompts (pairwise verdicts ``[[A]]``/``[[B]]``/``[[C]]``, ratings
               ``[[1]]``..``[[10]]``), replaceable ones checked, and the parsers of answers
``reward``     ``RewardModel``: a local transformers sequence-classification model, batched

Requests to an LLM judge go through ``curate.clients``. Modules here import
``curate.clients.request``, ``curate.errors`` and ``curate.options``; torch and transformers
only when a reward model is used.
"""

from curate.judging.reward import RewardModel
from curate.judging.templates import (
    DEFAULTS,
    Mode,
    PairwiseVerdict,
    Template,
    check_template,
    pairwise_messages,
    parse_rating,
    parse_verdict,
    score_messages,
)

__all__ = [
    "DEFAULTS",
    "Mode",
    "PairwiseVerdict",
    "RewardModel",
    "Template",
    "check_template",
    "pairwise_messages",
    "parse_rating",
    "parse_verdict",
    "score_messages",
]
