"""Readers: one module per source format, each registered by name.

``read_input`` reads one input of a pipeline; ``curate.read`` is the notebook shortcut.
"""

from curate.readers import openai  # noqa: F401  (registers the reader)
from curate.readers.base import Reader, ReaderOptions, RecordError, register_reader
from curate.readers.load import InputRead, read_input

__all__ = ["InputRead", "Reader", "ReaderOptions", "RecordError", "read_input", "register_reader"]
