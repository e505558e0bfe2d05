"""Readers: one module per source format, each registered by name.

``read_input`` reads one input of a pipeline; ``read`` reads a path from a notebook.
"""

from curate.readers import (  # noqa: F401  (importing a module registers its reader)
    arena,
    lmsys,
    oasst,
    openai,
    preference,
    sharegpt,
    wildchat,
)
from curate.readers.base import (
    READ_REASONS,
    Finished,
    Origin,
    Reader,
    ReaderOptions,
    RecordError,
    register_reader,
)
from curate.readers.load import InputRead, read, read_input

__all__ = [
    "READ_REASONS",
    "Finished",
    "InputRead",
    "Origin",
    "Reader",
    "ReaderOptions",
    "RecordError",
    "read",
    "read_input",
    "register_reader",
]
