"""License keys as pipeline files write them, and the license an input gives its records.

>>> check_license_key("cc-by-nc-4.0")
'CC-BY-NC-4.0'
>>> check_license_key("CC BY 4.0 AND odc-by")
'CC-BY-4.0 AND ODC-BY-1.0'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from curate.licensing.expression import parse_expression, rename
from curate.licensing.hub import HUB_REPO, hub_dataset_of
from curate.licensing.registry import Source, UnknownKeyError, registry

if TYPE_CHECKING:
    from curate.config import InputConfig

AUTO = "auto"


def check_license_key(key: str) -> str:
    """The canonical key of ``key`` or of an alias, any case; an expression of them works too.

    Raises ``UnknownKeyError`` (a ``ValueError``) naming the closest known key:
    ``unknown license 'CC-BY-4'; did you mean 'CC-BY-4.0'?``, and ``LicenseExpressionError``
    (a ``ValueError`` too) for text that is no expression (``MIT AND``). The exception of
    ``A WITH E`` is kept as written: the registry knows licenses, not exceptions.
    """
    parsed = parse_expression(key)
    if parsed is None:
        raise UnknownKeyError("a license key cannot be empty; see `curate licenses` for the known keys")
    known = registry()
    return str(rename(parsed, lambda name: known.license(name).key))


def check_source_key(key: str) -> str:
    """The canonical key of a known dataset (``licenses/sources.yaml``), or ``UnknownKeyError``."""
    return registry().source(key).key


def check_dataset(name: str) -> str:
    """An input's ``dataset:``: a known dataset's canonical key, or any Hub repo id (``ORG/NAME``).

    A Hub repo curate does not know is fine to read; only ``license: auto`` needs a known one.
    """
    known = registry().find_source(name)
    if known is not None:
        return known.key
    if HUB_REPO.match(name.strip()):
        return name.strip()
    return check_source_key(name)


def input_dataset(spec: InputConfig) -> str | None:
    """What an input says it is: its ``dataset:``, else the Hub repo its ``hf://`` path names."""
    if spec.dataset is not None:
        return spec.dataset
    return hub_dataset_of(spec.path) if spec.path else None


def resolve_input_license(spec: InputConfig) -> str:
    """The license an input gives the records that carry none.

    ``license: auto`` looks the input up in ``licenses/sources.yaml``, through its ``dataset:``
    (a key, an alias or a Hub repo id), else the Hub repo of its ``hf://datasets/...`` path when
    that is a known source, else its ``format:`` when the format identifies one dataset (``wildchat``,
    ``lmsys``) or releases that all declare the same license and model terms (``oasst``). A
    format read for releases that differ (``arena``) needs ``dataset:``, and the error lists
    them; so do formats many datasets share (``sharegpt``, ``preference``). No license at all
    means ``unspecified``.
    """
    if spec.license is None:
        return "unspecified"
    if spec.license.strip().lower() != AUTO:
        return check_license_key(spec.license)
    return check_license_key(_auto_source(spec).license)


def input_source_key(spec: InputConfig) -> str | None:
    """The known dataset an input is, when it says so (``dataset:``, an ``hf://`` path) or its
    format identifies one."""
    known = registry()
    if spec.dataset is not None:
        found = known.find_source(spec.dataset)
        return found.key if found else None
    in_path = known.find_source(input_dataset(spec) or "")
    if in_path is not None:
        return in_path.key
    if spec.license is not None and spec.license.strip().lower() == AUTO:
        try:
            return _auto_source(spec).key
        except UnknownKeyError:
            return None
    return None


class DatasetTerms(NamedTuple):
    """The model terms a known dataset's outputs come under, for rows that name no model."""

    dataset: str
    terms: tuple[str, ...]


def input_model_terms(inputs: Iterable[InputConfig]) -> dict[str, DatasetTerms]:
    """Input name -> the known dataset it is and the model terms that dataset holds outputs of.

    They reach the input's rows that name no ``model``: a row of UltraFeedback without one may
    hold a GPT-4 answer as well as any other. Inputs of no known dataset, or of one whose outputs
    carry no terms, are absent.
    """
    known = registry()
    found = {}
    for spec in inputs:
        key = input_source_key(spec)
        if key is not None and known.sources[key].model_terms:
            found[spec.name] = DatasetTerms(key, known.sources[key].model_terms)
    return found


def _auto_source(spec: InputConfig) -> Source:
    known = registry()
    if spec.dataset is not None:
        return known.source(spec.dataset)
    found = known.find_source(input_dataset(spec) or "")
    if found is not None:
        return found
    default = known.default_source_for_format(spec.format)
    if default is not None:
        return default
    releases = known.sources_for_format(spec.format)
    if len(releases) > 1:
        choices = "; ".join(f"{source.key} ({source.license})" for source in releases)
        raise UnknownKeyError(
            f"input {spec.name!r}: `license: auto` needs `dataset:` because format {spec.format!r} reads "
            f"several known releases with different licenses: {choices}"
        )
    formats = sorted({s.format for s in known.sources.values() if s.format_default and s.format})
    raise UnknownKeyError(
        f"input {spec.name!r}: `license: auto` needs `dataset:` naming a known source, because "
        f"format {spec.format!r} does not identify one dataset (formats that do: "
        f"{', '.join(formats)}; known datasets: {', '.join(known.sources)})"
    )
