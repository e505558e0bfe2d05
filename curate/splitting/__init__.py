"""The mechanics of the ``split`` stage: prompt clusters and which split each goes to.

``clusters``  rows linked by shared keys (dedup's prompt cluster, the source's group, the
              exact prompt) into components, and a seeded choice of the test components

Imports ``curate.pairing.sides`` (a row's prompt and its key) and nothing else of curate;
the ``split`` stage in ``curate.stages`` is the only user.
"""
