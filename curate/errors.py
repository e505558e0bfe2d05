"""The exceptions curate raises.

Every error the library raises on purpose derives from one root, so a caller (and the CLI)
can catch ``CurateError`` and print one line instead of a traceback::

    CurateError
    ├── ConfigError              the pipeline file, or an argument of ``curate.read``, is invalid
    │                            (exit code 2, nothing written)
    ├── InputError               an input file cannot be read at all, or a record under --strict
    │   └── RemoteInputError         a remote input cannot be listed or read (exit code 2)
    ├── StageError               a stage cannot run with the data or options it was given
    ├── LicenseError             licenses of the output conflict, or the registry is malformed
    │   ├── UnknownKeyError          a license, dataset or model-terms key is not in the registry
    │   └── LicenseExpressionError   a license expression does not parse (``MIT AND``)
    ├── RegistryError            a stage or format name is unknown, or registered twice
    ├── DedupIndexError          an earlier release's dedup index is missing, foreign or made otherwise
    ├── PublishError             publishing was refused or failed
    ├── EndpointError            a model endpoint refused every request, or its API key is not set
    ├── OutputError              the output folder is refused, locked by another run, or not writable
    └── ExecutorError            the chosen executor cannot be used: Ray is not installed, or its
                                 cluster cannot be reached or started (exit code 2)

``UnknownKeyError`` and ``LicenseExpressionError`` (in ``curate.licensing``) are also
``ValueError``s, so pydantic validators report them as config issues; ``RegistryError`` (in
``curate.registry``) is also a ``KeyError``. Pydantic's ``ValidationError`` does not reach a
caller: the pipeline loader and ``curate.read`` turn it into a ``ConfigError``.

Messages say what was expected and how to fix it; they never quote record text, so a PII
value cannot leak through an error message.
"""

from __future__ import annotations

from dataclasses import dataclass


class CurateError(Exception):
    """Root of every error curate raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a pipeline file, located by YAML path and line."""

    path: str
    message: str
    line: int | None = None
    hint: str | None = None

    def render(self, file: str | None) -> str:
        where = f"{file}:{self.line}" if file and self.line else (file or "<pipeline>")
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(CurateError):
    """The pipeline file is invalid; raised before any data is read."""

    exit_code = 2

    def __init__(self, issues: list[ConfigIssue], file: str | None = None) -> None:
        self.issues = issues
        self.file = file
        super().__init__("\n".join(issue.render(file) for issue in issues))


class InputError(CurateError):
    """An input cannot be read, or (under ``--strict``) one of its records is malformed."""


class RemoteInputError(InputError):
    """A remote input (a URL, a Hub dataset) cannot be listed or read: no such file, access
    refused, no network, or the package of its file system is not installed."""

    exit_code = 2


class StageError(CurateError):
    """A stage cannot run with the data or the options it was given."""


class LicenseError(CurateError):
    """A license key is unknown, or the licenses of the output rows cannot be combined."""

    exit_code = 2


class PublishError(CurateError):
    """Publishing to the Hugging Face Hub was refused by a check, or failed."""


class EndpointError(CurateError):
    """A model endpoint (``generate``, the ``judge`` strategy) cannot be used: every request failed
    after its retries, it refused the API key or the model, or the key's variable is not set."""


class OutputError(CurateError):
    """The output folder cannot be written: refused to protect other files, locked, or not writable."""

    exit_code = 2


class ExecutorError(CurateError):
    """The chosen executor cannot be used: Ray is missing, or its cluster cannot be reached or started."""

    exit_code = 2
