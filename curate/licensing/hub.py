"""What curate knows of the Hugging Face Hub without asking it: the license ids it knows
(``licenses/hub_licenses.yaml``) and how a dataset repository is named.

A dataset card's ``license`` may name only these ids; the file is copied from the Hub's
documentation because the Hub cannot be asked offline.

>>> {"mit", "cc-by-4.0", "other"} <= hub_license_ids()
True
"""

from __future__ import annotations

import re
from functools import cache

import yaml

from curate.licensing.registry import registry_dir

HUB_LICENSES_FILE = "hub_licenses.yaml"


@cache
def hub_license_ids() -> frozenset[str]:
    """Every license id of the Hub's list."""
    entries = yaml.safe_load((registry_dir() / HUB_LICENSES_FILE).read_text(encoding="utf-8"))
    return frozenset(str(entry["id"]) for entry in entries)


HUB_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
"""A Hub repository id, ``ORG/NAME``."""
HUB_DATASET_PATH = re.compile(
    r"^hf://datasets/(?P<repo>[^/@]+/[^/@]+)(?:@(?P<revision>[^/]+))?(?:/(?P<rest>.*))?$"
)


def hub_dataset_of(path: str) -> str | None:
    """The Hub dataset (``ORG/NAME``) an ``hf://datasets/ORG/NAME[@REV]/...`` path names.

    >>> hub_dataset_of("hf://datasets/allenai/WildChat-1M@main/data/*.parquet")
    'allenai/WildChat-1M'
    >>> hub_dataset_of("data/a.jsonl") is None
    True
    """
    match = HUB_DATASET_PATH.match(path)
    return match["repo"] if match and HUB_REPO.match(match["repo"]) else None
