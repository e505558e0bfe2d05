"""``format: auto``: choose a reader by looking at the first records.

Readers are tried most specific first (``sniff_priority``). The first whose ``sniff``
accepts every sampled record wins; when none accepts them all (a few malformed records
among the first), the one accepting most of them wins if that is at least half.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from curate import registry
from curate.errors import InputError
from curate.readers.base import Reader


def detect_format(sample: list[Mapping[str, Any]], input_name: str) -> type[Reader]:
    """The reader that recognises the sampled records, most specific first."""
    if not sample:
        raise InputError(f"input {input_name!r}: format auto found no readable record to look at")
    candidates = sorted(
        (registry.readers.get(name) for name in registry.readers.names()),
        key=lambda reader: (reader.sniff_priority, reader.format),
    )
    votes = {reader: sum(bool(reader.sniff(record)) for record in sample) for reader in candidates}
    best = max(candidates, key=lambda reader: votes[reader])  # the first of the most voted
    if votes[best] * 2 >= len(sample) and votes[best] > 0:
        return best
    keys = sorted({key for record in sample for key in record})[:12]
    raise InputError(
        f"input {input_name!r}: format auto recognised none of {', '.join(c.format for c in candidates)} "
        f"(first records have keys {', '.join(keys)}); set `format:` explicitly"
    )
