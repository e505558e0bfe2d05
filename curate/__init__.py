"""curate: raw chat logs in, license-annotated DPO preference pairs out.

>>> import curate
>>> result = curate.Pipeline.from_yaml("pipelines/demo.yaml").run(write=False)  # doctest: +SKIP

or, from objects and records already in memory:

>>> from curate.stages import Dedup, Normalize, Pairs                            # doctest: +SKIP
>>> stages = [Normalize(), Dedup(threshold=0.8), Pairs(strategies=["battle"])]  # doctest: +SKIP
>>> pipeline = curate.Pipeline(stages=stages)                                   # doctest: +SKIP
>>> result = pipeline.run(data=dataset, format="arena", license="CC-BY-4.0")    # doctest: +SKIP
>>> print(pipeline.to_yaml())                                                   # doctest: +SKIP
"""

from __future__ import annotations

# Registration order matters only in that readers and stages must be imported before a
# pipeline file is validated against them.
from curate import readers, stages  # noqa: F401
from curate.config import DataInput, InputConfig, OutputConfig, PipelineConfig, load_pipeline
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
from curate.stages.base import FilterStage, Stage, StageOutput, StageResult, register

__all__ = [
    "ConfigError",
    "CurateError",
    "DataInput",
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
    "StageResult",
    "StageStats",
    "load_pipeline",
    "read",
    "register",
    "register_reader",
    "run",
]
