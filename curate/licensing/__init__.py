"""Licenses and consent: the registry, model-output terms, known sources and the license algebra.

``expression``  parsing ``A AND B`` / ``A OR B`` / ``A WITH E``, the licenses one names, combining
``registry``    the data in ``licenses/``: licenses, model terms, known sources, lookups
``keys``        license and source keys as pipeline files write them; an input's license
``policy``      use classes, what an expression's class is, what a target use allows
``algebra``     a dataset's licenses together: share-alike, the Hub license id
``hub``         the license ids the Hub knows (``licenses/hub_licenses.yaml``)
``summary``     the ``license`` section of ``manifest.json``
``optout``      opt-out lists for the ``consent`` stage
``describe``    what ``curate licenses`` shows

From the rest of curate, modules here import ``curate.errors``, ``curate.options`` and
``curate.yaml_source`` (``curate.config`` for type hints only); each imports only modules
listed above it (``expression`` none of them).

The registry is data (``licenses/`` in a checkout, ``curate/licenses/`` in a wheel);
``docs/licenses.md`` explains its classes and how a dataset's license is derived.

>>> from curate.licensing import check_license_key
>>> check_license_key("odc-by")
'ODC-BY-1.0'
"""

from curate.licensing.expression import (
    LicenseExpressionError,
    combine_licenses,
    license_parts,
    parse_expression,
)
from curate.licensing.keys import check_dataset, check_license_key, check_source_key, resolve_input_license
from curate.licensing.policy import (
    TARGETS,
    USE_CLASSES,
    UsePolicy,
    Verdict,
    allows,
    expression_use,
    most_restrictive,
)
from curate.licensing.registry import (
    KnownLicense,
    LicenseRegistry,
    Source,
    Terms,
    UnknownKeyError,
    registry,
    registry_dir,
)
from curate.licensing.summary import summarize_output

__all__ = [
    "TARGETS",
    "USE_CLASSES",
    "KnownLicense",
    "LicenseExpressionError",
    "LicenseRegistry",
    "Source",
    "Terms",
    "UnknownKeyError",
    "UsePolicy",
    "Verdict",
    "allows",
    "check_dataset",
    "check_license_key",
    "check_source_key",
    "combine_licenses",
    "expression_use",
    "license_parts",
    "most_restrictive",
    "parse_expression",
    "registry",
    "registry_dir",
    "resolve_input_license",
    "summarize_output",
]
