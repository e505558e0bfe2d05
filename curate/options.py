"""Building blocks for option models: the strict base class and path types.

Paths in a pipeline file are relative to the file's own folder. The loader passes that
folder to pydantic as validation context, and the path types below resolve against it, so
an option declared as ``ExistingPath`` arrives as an absolute path that exists, or the file
is rejected before any data is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys (typos are errors, not silent defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class StageOptions(StrictModel):
    """Base class of every stage's options."""

    def unscrubbed_endpoints(self) -> list[Outbound]:
        """Servers this stage sends record text to without the user's ``send_unscrubbed: true``.

        Validation refuses them when no ``pii`` stage runs before the stage: personal data
        stays on the machine by default.
        """
        return []

    def variant_options(self) -> list[VariantOption]:
        """Options set here that apply to one ``output.format_variant`` only.

        Validation refuses them under another variant, where they would be ignored.
        """
        return []


class VariantOption(NamedTuple):
    """An option that only one output format variant uses, and that variant."""

    where: tuple[str | int, ...]
    """The option's YAML path, under the stage's options."""
    variant: str


class Outbound(NamedTuple):
    """A server a stage would send record text to, and the switch that allows it unscrubbed."""

    where: tuple[str | int, ...]
    """The YAML path of the server's URL, under the stage's options."""
    url: str
    switch: tuple[str | int, ...]
    """The YAML path of the ``send_unscrubbed`` that allows it, under the stage's options."""


def base_dir(info: ValidationInfo) -> Path:
    context: Any = info.context or {}
    return Path(context.get("base_dir", Path.cwd()))


def _resolve(value: Path, info: ValidationInfo) -> Path:
    path = value.expanduser()
    return path if path.is_absolute() else (base_dir(info) / path).resolve()


def _absolute(value: Path, info: ValidationInfo) -> Path:
    path = value.expanduser()
    # abspath, not resolve(): the output check must still see a final symbolic link.
    return Path(os.path.abspath(path if path.is_absolute() else base_dir(info) / path))  # noqa: PTH100


def _resolve_existing(value: Path, info: ValidationInfo) -> Path:
    path = _resolve(value, info)
    if not path.exists():
        raise ValueError(f"no such file or folder: {path}")
    return path


ResolvedPath = Annotated[Path, AfterValidator(_resolve)]
"""A path resolved against the pipeline file's folder."""

AbsolutePath = Annotated[Path, AfterValidator(_absolute)]
"""A path made absolute against the pipeline file's folder, a final symbolic link kept as it is.

For the output folder: curate refuses to write through a link, so it must still see it.
"""

ExistingPath = Annotated[Path, AfterValidator(_resolve_existing)]
"""A path resolved against the pipeline file's folder that must exist when validated."""
