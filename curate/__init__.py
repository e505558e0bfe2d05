"""curate: raw chat logs in, license-annotated DPO preference pairs out.

>>> import curate
>>> result = curate.Pipeline.from_yaml("pipelines/demo.yaml").run(write=False)  # doctest: +SKIP
"""

from __future__ import annotations

# Registration order matters only in that readers and stages must be imported before a
# pipeline file is validated against them.
from curate import readers, stages  # noqa: F401
from curate.config import InputConfig, OutputConfig, PipelineConfig, load_pipeline
from curate.errors import (
    ConfigError,
    CurateError,
    InputError,
    LicenseError,
    PublishError,
    StageError,
)
from curate.readers.base import Reader, register_reader
from curate.readers.load import read
from curate.result import RunResult, StageStats
from curate.runner import Pipeline, run
from curate.stages.base import FilterStage, Stage, StageOutput, register

__all__ = [
    "ConfigError",
    "CurateError",
    "FilterStage",
    "InputConfig",
    "InputError",
    "LicenseError",
    "OutputConfig",
    "Pipeline",
    "PipelineConfig",
    "PublishError",
    "Reader",
    "RunResult",
    "Stage",
    "StageError",
    "StageOutput",
    "StageStats",
    "load_pipeline",
    "read",
    "register",
    "register_reader",
    "run",
]
