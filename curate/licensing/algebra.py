"""Combining licenses: of the parts of one row, and of the rows of a dataset."""

from __future__ import annotations

from collections.abc import Iterable


def combine_licenses(keys: Iterable[str | None]) -> str:
    """The license of content made of parts under ``keys``.

    One key when all parts share it, else an SPDX ``AND`` expression of the distinct keys.

    >>> combine_licenses(["MIT", "MIT"])
    'MIT'
    >>> combine_licenses(["ODC-BY-1.0", "CC-BY-4.0"])
    'CC-BY-4.0 AND ODC-BY-1.0'
    """
    parts = sorted({part for key in keys if key for part in key.split(" AND ")})
    if not parts:
        return "unspecified"
    return " AND ".join(parts)
