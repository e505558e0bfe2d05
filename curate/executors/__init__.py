"""How a pipeline's stages are scheduled over the data.

Owns the work folder (finished shards and the run's key, for ``--resume``) and the local
executor. May import ``curate.stages``, ``curate.readers`` and ``curate.writers``; nothing
below the runner imports it.
"""
