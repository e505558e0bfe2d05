"""The Ray executor: the local executor's steps, with their shards scheduled on a Ray cluster.

``cluster`` joins or starts the cluster (and leaves it as it found it), ``tasks`` holds what
runs inside Ray (reading inputs, a record step on one shard), ``whole`` the whole-data steps'
passes over shards, ``driver`` the check that a step's decision fits the driver,
``components`` distributed clusters (not wired in yet), ``executor`` the driver's side.
Nothing here is imported unless a run chooses ``executor: {kind: ray}``, so curate works
without Ray installed; ``cluster.require_ray`` says how to install it.
"""
