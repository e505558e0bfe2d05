"""The license ids the Hugging Face Hub knows (``licenses/hub_licenses.yaml``).

A dataset card's ``license`` may name only these; the file is copied from the Hub's
documentation because the Hub cannot be asked offline.

>>> {"mit", "cc-by-4.0", "other"} <= hub_license_ids()
True
"""

from __future__ import annotations

from functools import cache

import yaml

from curate.licensing.registry import registry_dir

HUB_LICENSES_FILE = "hub_licenses.yaml"


@cache
def hub_license_ids() -> frozenset[str]:
    """Every license id of the Hub's list."""
    entries = yaml.safe_load((registry_dir() / HUB_LICENSES_FILE).read_text(encoding="utf-8"))
    return frozenset(str(entry["id"]) for entry in entries)
