"""A stage built from keywords, its options validated as a pipeline file's are.

``Dedup(threshold=0.8)`` goes through ``StageMeta``, the metaclass of every stage; a bad option
raises the ``ConfigError`` a pipeline file would get, naming the stage.
"""

from __future__ import annotations

from abc import ABCMeta
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from curate.config_issues import validated
from curate.options import StageOptions


class StageMeta(ABCMeta):
    """Lets a stage class take its options as keywords: ``Dedup(threshold=0.8)``.

    Called with an options model first (as the runner does), a class is built as any other.
    Otherwise the keywords (and a mapping given first, as a pipeline file would hold them) are
    validated by the stage's ``Options``, with the same messages a pipeline file gets
    (``Dedup(): threshold: Input should be less than or equal to 1 (got 1.5)``), and kept as
    ``keywords`` so that a pipeline can write them back as YAML. ``context=`` is the run context.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if (args and isinstance(args[0], StageOptions)) or "options" in kwargs:
            return super().__call__(*args, **kwargs)
        if len(args) > 1 or (args and not isinstance(args[0], Mapping)):
            raise TypeError(f"{cls.__name__}() takes its options as keywords, or as one mapping")
        context = kwargs.pop("context", None)
        given = {**(args[0] if args else {}), **kwargs}
        options = options_of(cls, given)
        stage = super().__call__(options) if context is None else super().__call__(options, context)
        stage.keywords = given
        return stage


def options_of(stage_class: type, given: Mapping[str, Any]) -> StageOptions:
    """``given`` validated by the options model of ``stage_class``, or a ``ConfigError`` naming
    each bad option as a pipeline file's error does; relative paths start at the current folder."""
    model: type[StageOptions] = getattr(stage_class, "Options", StageOptions)
    return validated(model, dict(given), f"{stage_class.__name__}()", context={"base_dir": Path.cwd()})
