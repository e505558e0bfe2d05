"""Stages: one module per stage, each registered by name with ``@register``."""

from curate.stages import (  # noqa: F401  (importing a module registers its stage)
    consent,
    decontaminate,
    dedup,
    generate,
    language,
    license,
    normalize,
    pairs,
    pii,
    quality,
    split,
)
from curate.stages.base import FilterStage, RunContext, Stage, StageOutput, register, split_by_reason

__all__ = ["FilterStage", "RunContext", "Stage", "StageOutput", "register", "split_by_reason"]
