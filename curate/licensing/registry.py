"""The license registry: licenses, model-output terms and known sources, read from ``licenses/``.

The registry is data shipped with the package (``curate/licenses/`` inside an installed
wheel, ``licenses/`` at the root of a checkout). Each file is validated when first read; a
malformed entry is a ``LicenseError`` naming the file and the entry.

>>> from curate.licensing import registry
>>> registry().license("cc by 4.0").key
'CC-BY-4.0'
>>> registry().terms_for("gpt-4-0314").key
'openai'
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from curate.errors import CurateError, LicenseError
from curate.licensing.expression import UNSPECIFIED, Term, license_parts, parse_expression, rename
from curate.options import StrictModel

UseClass = Literal["commercial", "noncommercial", "academic", "unspecified", "unknown"]


class UnknownKeyError(LicenseError, ValueError):
    """A license or source key is not in the registry (also a ``ValueError`` for validators)."""


class KnownLicense(StrictModel):
    """One license of ``licenses/licenses.yaml``."""

    key: str = Field(description="Canonical key; the SPDX id where one exists.")
    name: str = Field(description="Full name.")
    spdx: str = Field(description="SPDX id, or LicenseRef-<key>.")
    hub: str = Field(description="Hugging Face Hub license id.")
    aliases: tuple[str, ...] = Field((), description="Other names that resolve to this key.")
    use: UseClass = Field(description="The widest use the license allows.")
    attribution: bool = Field(description="The licensor must be credited.")
    share_alike: bool = Field(description="Adaptations must keep this (or a compatible) license.")
    no_derivatives: bool = Field(description="Adaptations may not be distributed.")
    redistribution: bool = Field(True, description="The data may be passed on to others.")
    url: str | None = Field(description="Where the license text is.")
    note: str = Field(description="One line on what the license asks.")
    upgrades_to: tuple[str, ...] = Field((), description="Share-alike licenses adaptations may move to.")
    dpi: tuple[str, ...] = Field((), description="Names in the Data Provenance Initiative's classes.")


class Terms(StrictModel):
    """The terms a model provider puts on its models' outputs (``licenses/terms.yaml``)."""

    key: str = Field(description="Key used in reasons: `terms:<key>`.")
    provider: str = Field(description="Who sets the terms.")
    name: str = Field(description="The document's title.")
    models: tuple[str, ...] = Field(min_length=1, description="Shell patterns of model names.")
    use: UseClass = Field(description="The widest use of the outputs the terms allow.")
    attribution: bool = Field(description="Models trained on the outputs must credit the provider.")
    url: str = Field(description="Where the terms are.")
    note: str = Field(description="The clause that matters for training, in one line.")
    dpi: tuple[str, ...] = Field((), description="Names in the Data Provenance Initiative's classes.")


class Source(StrictModel):
    """A well-known dataset and its declared license (``licenses/sources.yaml``)."""

    key: str = Field(description="What an input's `dataset:` names.")
    name: str = Field(description="The dataset's name.")
    hub: str = Field(description="Its Hugging Face repository.")
    aliases: tuple[str, ...] = Field((), description="Other names for it.")
    license: str = Field(description="Registry key or expression of keys (`A AND B`).")
    url: str = Field(description="Where the declared license was read.")
    format: str | None = Field(description="The curate format it is read with.")
    format_default: bool = Field(False, description="The format names this dataset when no `dataset:` does.")
    model_terms: tuple[str, ...] = Field((), description="Terms of models whose outputs it holds.")
    attribution: str = Field(description="How to credit the dataset.")
    note: str = Field(description="One line on the license's provenance.")


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LicenseRegistry:
    """Licenses, model terms and known sources, with lookups by key or alias."""

    folder: Path
    licenses: dict[str, KnownLicense]
    terms: tuple[Terms, ...]
    sources: dict[str, Source]
    _license_names: dict[str, str] = field(repr=False)
    _source_names: dict[str, str] = field(repr=False)
    _model_terms: dict[str, Terms | None] = field(default_factory=dict, repr=False)

    def find_license(self, name: str) -> KnownLicense | None:
        """The license ``name`` (a key or an alias, any case) stands for, or ``None``."""
        key = self._license_names.get(name.strip().lower())
        return self.licenses[key] if key else None

    def license(self, name: str) -> KnownLicense:
        """Like ``find_license``, but an unknown name raises ``UnknownKeyError`` with a suggestion."""
        found = self.find_license(name)
        if found is None:
            raise UnknownKeyError(_unknown("license", name, self._license_names, "`curate licenses`"))
        return found

    def canonical_expression(self, expression: str | None) -> str:
        """``expression`` with known licenses under their canonical keys, in canonical form.

        Unknown licenses stay as written; text that is no expression is one unknown license;
        no license at all is ``unspecified``.

        >>> registry().canonical_expression("odc-by AND cc by 4.0")
        'CC-BY-4.0 AND ODC-BY-1.0'
        """
        parsed = parse_expression(expression, strict=False)
        return str(rename(parsed, self.canonical_key)) if parsed else UNSPECIFIED

    def canonical_key(self, name: str) -> str:
        """The canonical key of the license ``name`` stands for, or ``name`` when it is unknown."""
        found = self.find_license(name)
        return found.key if found else name

    def find_source(self, name: str) -> Source | None:
        key = self._source_names.get(name.strip().lower())
        return self.sources[key] if key else None

    def source(self, name: str) -> Source:
        """The known dataset ``name`` names; ``UnknownKeyError`` with a suggestion otherwise."""
        found = self.find_source(name)
        if found is None:
            hint = "licenses/sources.yaml, or set the input's `license:` yourself"
            raise UnknownKeyError(_unknown("dataset", name, self._source_names, hint))
        return found

    def terms_by_key(self, key: str) -> Terms:
        for terms in self.terms:
            if terms.key == key:
                return terms
        known = ", ".join(t.key for t in self.terms)
        raise UnknownKeyError(f"unknown model terms {key!r}; known: {known}")

    def terms_for(self, model: str | None) -> Terms | None:
        """The terms that reach outputs of ``model``: the first entry with a matching pattern."""
        if not model:
            return None
        if model not in self._model_terms:
            name = model.strip().lower().rsplit("/", 1)[-1]
            self._model_terms[model] = next(
                (t for t in self.terms if any(fnmatch.fnmatchcase(name, p) for p in t.models)), None
            )
        return self._model_terms[model]

    def default_source_for_format(self, format_name: str) -> Source | None:
        """The known dataset a format identifies on its own (``wildchat`` -> WildChat-1M)."""
        return next((s for s in self.sources.values() if s.format_default and s.format == format_name), None)

    def sources_for_format(self, format_name: str) -> list[Source]:
        """Every known dataset read with ``format_name``, in registry order."""
        return [source for source in self.sources.values() if source.format == format_name]


def registry_dir() -> Path:
    """The folder the registry is read from: the installed package's first, then the checkout's."""
    candidates = [Path(str(files("curate"))) / "licenses", Path(__file__).resolve().parents[2] / "licenses"]
    for folder in candidates:
        if (folder / "licenses.yaml").is_file():
            return folder
    raise LicenseError(
        "the license registry is missing: looked for licenses.yaml in "
        + " and ".join(str(folder) for folder in candidates)
        + " (reinstall curate)"
    )


@cache
def registry() -> LicenseRegistry:
    """The registry shipped with curate, read once per process."""
    return load_registry(registry_dir())


def load_registry(folder: Path) -> LicenseRegistry:
    """Read and check the three registry files in ``folder``."""
    licenses = _entries(folder / "licenses.yaml", KnownLicense)
    terms = _entries(folder / "terms.yaml", Terms)
    sources = _entries(folder / "sources.yaml", Source)
    license_names = _names(licenses, folder / "licenses.yaml")
    source_names = _names(sources, folder / "sources.yaml")
    result = LicenseRegistry(
        folder=folder,
        licenses={entry.key: entry for entry in licenses},
        terms=tuple(terms),
        sources={entry.key: entry for entry in sources},
        _license_names=license_names,
        _source_names=source_names,
    )
    _check_references(result)
    return result


def _entries(path: Path, model: type[M]) -> list[M]:
    from curate.yaml_source import load_yaml

    try:
        document = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, CurateError) as exc:
        raise LicenseError(f"cannot read the license registry file {path}: {exc}") from exc
    if document.duplicates:
        loc, line = document.duplicates[0]
        raise LicenseError(f"{path}:{line}: duplicate key {loc[-1]!r}")
    if not isinstance(document.data, list):
        raise LicenseError(f"{path}: expected a list of entries")
    entries = []
    for index, raw in enumerate(document.data):
        try:
            entries.append(model.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            at = document.line_of((index,))
            raise LicenseError(f"{path}:{at}: entry {index}: {where}: {first['msg']}") from exc
    return entries


def _names(entries: Iterable[KnownLicense | Source], path: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    keys: set[str] = set()
    for entry in entries:
        if entry.key in keys:
            raise LicenseError(f"{path}: the key {entry.key!r} names two entries")
        keys.add(entry.key)
        hub = (entry.hub,) if isinstance(entry, Source) else ()  # a dataset is known by its Hub repo too
        for name in (entry.key, *entry.aliases, *hub):
            if isinstance(entry, KnownLicense):
                _check_plain_name(name, entry.key, path)
            folded = name.strip().lower()
            if names.get(folded, entry.key) != entry.key:
                raise LicenseError(f"{path}: {name!r} names both {names[folded]!r} and {entry.key!r}")
            names[folded] = entry.key
    return names


def _check_plain_name(name: str, key: str, path: Path) -> None:
    """A license's key or alias must read as one license inside an expression."""
    try:
        plain = parse_expression(name) == Term(name.strip())
    except LicenseError:
        plain = False
    if not plain:
        raise LicenseError(
            f"{path}: {key}: {name!r} does not read as one license in an expression; keys and "
            "aliases are letters, digits, spaces, '.', '-', '_', ':' or '+', without AND, OR or WITH"
        )


def _check_references(result: LicenseRegistry) -> None:
    folder = result.folder
    for entry in result.licenses.values():
        for target in entry.upgrades_to:
            upgraded = result.licenses.get(target)
            if upgraded is None or not upgraded.share_alike or not entry.share_alike:
                raise LicenseError(
                    f"{folder / 'licenses.yaml'}: {entry.key}: upgrades_to {target!r} must name "
                    "a share-alike license, from a share-alike license"
                )
    keys = [terms.key for terms in result.terms]
    if len(keys) != len(set(keys)):
        raise LicenseError(f"{folder / 'terms.yaml'}: terms keys must be unique")
    for source in result.sources.values():
        try:
            parse_expression(source.license)
        except LicenseError as exc:
            raise LicenseError(f"{folder / 'sources.yaml'}: {source.key}: {exc}") from None
        for part in license_parts(source.license):
            if result.find_license(part) is None:
                raise LicenseError(f"{folder / 'sources.yaml'}: {source.key}: unknown license {part!r}")
        for key in source.model_terms:
            if key not in keys:
                raise LicenseError(f"{folder / 'sources.yaml'}: {source.key}: unknown model terms {key!r}")
    defaults = [s.format for s in result.sources.values() if s.format_default]
    if None in defaults or len(defaults) != len(set(defaults)):
        raise LicenseError(f"{folder / 'sources.yaml'}: at most one format_default source per format")
    for format_name in defaults:
        assert format_name is not None
        releases = result.sources_for_format(format_name)
        if len({(s.license, s.model_terms) for s in releases}) > 1:
            raise LicenseError(
                f"{folder / 'sources.yaml'}: format {format_name!r} reads releases with different licenses "
                f"or model terms ({', '.join(s.key for s in releases)}), so none may be its format_default"
            )


def _unknown(kind: str, name: Any, names: dict[str, str], where: str) -> str:
    message = f"unknown {kind} {name!r}"
    close = difflib.get_close_matches(str(name).strip().lower(), list(names), n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {names[close[0]]!r}?"
    return f"{message}; see {where} for the known keys"
