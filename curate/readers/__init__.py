"""Readers: source records in, canonical conversation rows out.

``discovery``  which files a path, glob or folder names (the pipeline file checks paths with it)
``files``      raw records out of JSON, JSON Lines, Parquet and saved datasets, compressed or not
``raw``        ``RawRecord`` (one record as a file holds it) and the checks every layout applies
``ranges``     part of one file (a JSON Lines byte range, Parquet row groups), for Ray's pieces
``base``       ``Reader`` and the helpers formats share (roles, text, timestamps, signals)
``sharegpt`` ``wildchat`` ``lmsys`` ``arena`` ``oasst`` ``openai`` ``preference`` ``auto``
               one module per source format, each registered by name
``transcripts`` ``markup`` ``languages``   turn text shared by several formats
``load``       ``InputStream`` (an input as bounded shards), ``read_input`` and ``read``
``rows``       a reader's rows made the input's (defaults, unique ids) and its read rejects

Modules here import ``curate.errors``, ``curate.options``, ``curate.schema``,
``curate.registry`` and ``curate.licensing`` (an input's license); ``curate.config`` only for
type hints or inside a function, since the pipeline file's models sit above the readers.
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
