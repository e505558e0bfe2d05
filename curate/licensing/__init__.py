"""Licenses and consent: the registry, model-output terms, known sources and the license algebra.

The registry is data (``licenses/`` in a checkout, ``curate/licenses/`` in a wheel);
``docs/licenses.md`` explains its classes and how a dataset's license is derived.

>>> from curate.licensing import check_license_key
>>> check_license_key("odc-by")
'ODC-BY-1.0'
"""

from curate.licensing.algebra import combine_licenses
from curate.licensing.keys import check_license_key, check_source_key, resolve_input_license
from curate.licensing.policy import TARGETS, USE_CLASSES, UsePolicy, Verdict, allows, most_restrictive
from curate.licensing.registry import (
    License,
    Registry,
    Source,
    Terms,
    UnknownKeyError,
    license_parts,
    registry,
    registry_dir,
)
from curate.licensing.summary import summarize_output

__all__ = [
    "TARGETS",
    "USE_CLASSES",
    "License",
    "Registry",
    "Source",
    "Terms",
    "UnknownKeyError",
    "UsePolicy",
    "Verdict",
    "allows",
    "check_license_key",
    "check_source_key",
    "combine_licenses",
    "license_parts",
    "most_restrictive",
    "registry",
    "registry_dir",
    "resolve_input_license",
    "summarize_output",
]
