"""The mechanics of the ``generate`` stage: prompts, the requests for them, candidate rows.

``prompts``     ``cut``: a conversation's prompt (first or last user turn) and its logged reply
``options``     ``GeneratorOptions``: one model to ask, its endpoint and sampling parameters
``candidates``  ``plan`` (requests, one per model and sample, once per prompt of a group) and
                the rows made of the answers

Modules here import ``curate.clients``, ``curate.licensing`` and ``curate.pairing.sides``.
"""

from curate.generation.candidates import Plan, generated, original, plan
from curate.generation.options import GeneratorOptions
from curate.generation.prompts import cut

__all__ = ["GeneratorOptions", "Plan", "cut", "generated", "original", "plan"]
