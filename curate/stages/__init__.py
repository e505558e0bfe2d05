"""Stages: one module per stage, each registered by name with ``@register``.

``curate.stages.base`` is the stage contract (options, reasons, report, lifecycle), with
``checks`` (what a stage's output is held to) and ``keywords`` (a stage built from keyword
options); each other module is one stage: its options, its report, its one method and its
card section (``pii``, the largest, is a package with a module for each).
Stages may import the mechanics packages (``text``, ``dedup``, ``pii``, ``pairing``,
``splitting``, ``decontamination``, ``licensing``), ``record``, ``markdown``, ``schema``,
``errors``, ``registry``, ``options`` and ``config_issues`` (options given as keywords are
validated as a pipeline file's are); never the runner, the executors, the writers, the
card or the CLI.
"""

from curate.stages.base import (
    FilterStage,
    RunContext,
    Stage,
    StageOutput,
    StageResult,
    register,
    split_by_reason,
)
from curate.stages.consent import Consent
from curate.stages.decontaminate import Decontaminate
from curate.stages.dedup import Dedup
from curate.stages.generate import Generate
from curate.stages.language import Language
from curate.stages.license import License
from curate.stages.normalize import Normalize
from curate.stages.pairs import Pairs
from curate.stages.pii import Pii
from curate.stages.quality import Quality
from curate.stages.split import Split

__all__ = [
    "Consent",
    "Decontaminate",
    "Dedup",
    "FilterStage",
    "Generate",
    "Language",
    "License",
    "Normalize",
    "Pairs",
    "Pii",
    "Quality",
    "RunContext",
    "Split",
    "Stage",
    "StageOutput",
    "StageResult",
    "register",
    "split_by_reason",
]
