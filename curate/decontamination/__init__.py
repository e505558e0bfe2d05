"""The mechanics of the ``decontaminate`` stage: evaluation sets, and finding them in prompts.

``evalsets``  benchmark files (MT-Bench, Arena-Hard, chat, plain prompts) as ``EvalText``s
``overlap``   ``NgramIndex`` (an evaluation text pasted in a prompt) and ``MinHashIndex``
              (a prompt that is a near-duplicate of one)

Imports ``curate.errors``, ``curate.readers.files`` (evaluation files are read like inputs)
and ``curate.dedup``'s shingles, signatures and LSH; the ``decontaminate`` stage in
``curate.stages`` is the only user.
"""
