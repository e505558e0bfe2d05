"""The run record: what ``manifest.json`` holds, as pydantic models.

The runner builds one ``Manifest`` per run (``curate.manifest.build_manifest``), the writer
writes it as JSON, and everything that reads an output folder back (the card, ``inspect``,
``publish``) validates it through ``read_manifest``, so a folder whose record does not fit
gives one error naming the file and the field, not a ``KeyError`` deep in the card.

A stage's ``report`` is stored as the JSON its report model dumps (``StageReport``, declared
by each stage as ``Report``); the stage that wrote it reads it back, through the registry.
Counts and settings only: never a value taken from a record.

This module imports only pydantic and ``curate.errors`` / ``curate.schema``: every layer may
use it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, Literal, Self

from pydantic import (
    Field,
    ValidationError,
    field_serializer,
)

from curate.errors import CurateError
from curate.record_base import Record
from curate.record_executor import ExecutorRecord
from curate.schema import FormatVariant, Kind

MANIFEST_FILE: Final = "manifest.json"
MANIFEST_VERSION: Final = 1
SCHEMA_VERSION: Final = 1
"""The version of these models. Folders written before it existed have no ``schema_version``."""


SETTING: Final = "setting"
"""Field metadata for a figure that is a setting, not a count: ``Annotated[int, SETTING]``.

Shards' reports keep a setting's one value instead of adding it up."""


class StageReport(Record):
    """Base of a stage's report (its ``Report``) and of the parts of one: counts and settings.

    Reports of disjoint shards of rows combine with ``merged``: counts (ints, mappings of
    counts, nested reports, and lists of reports item by item) add up; everything else, and
    fields marked ``SETTING``, is a setting that every shard must share.
    """

    def merged(self, other: Self) -> Self:
        """The figures of this report's rows and ``other``'s together."""
        if type(other) is not type(self):
            raise CurateError(f"cannot combine a {type(self).__name__} with a {type(other).__name__}")
        values = {
            name: _combined(
                getattr(self, name), getattr(other, name), SETTING in info.metadata, type(self).__name__, name
            )
            for name, info in type(self).model_fields.items()
        }
        return type(self).model_validate(values)


class KeptDropped(StageReport):
    """Rows kept and rows dropped, of one kind (a consent value, a license...)."""

    kept: int
    dropped: int


class CountsReport(StageReport):
    """A report of counters, each present only once it counted something."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.optional_keys = frozenset(cls.model_fields)


class InputFile(Record):
    """One file of an input, fingerprinted: a local file by its bytes' SHA-256, a remote file by
    what its store says of it (read before the run, without downloading it)."""

    optional_keys = frozenset({"error", "url", "etag", "modified"})

    path: str = Field(
        description="As the pipeline file names it: relative to the file's folder, or a public URL."
    )
    bytes: int | None = Field(
        description="Size in bytes (of every file, for a saved-dataset folder); null if a server hid it."
    )
    sha256: str | None = Field(
        description=(
            "SHA-256 of the bytes; for a remote file only when its store states it (a Hub LFS file);"
            " null too when a local file could not be opened (see `error`)."
        )
    )
    error: str | None = Field(None, description="Why the file could not be opened.")
    url: str | None = Field(
        None,
        description=(
            "A remote file: where its bytes were read, without credentials or query string (a Hub"
            " file's `resolve` URL at the commit read)."
        ),
    )
    etag: str | None = Field(
        None, description="A remote file: its store's tag of this version (Hub blob or LFS id, ETag)."
    )
    modified: str | None = Field(None, description="A remote file: when its store says it last changed.")


class InputHub(Record):
    """The Hub repository an input was read from, pinned to one commit."""

    optional_keys = frozenset({"config", "split"})

    repo: str = Field(description="The dataset repository, ORG/NAME.")
    revision: str = Field(description="The revision asked for: `main`, a branch, a tag or a commit.")
    sha: str = Field(description="The commit that revision was when the run listed the files.")
    config: str | None = Field(None, description="The config read, for a `dataset:` input that names one.")
    split: str | None = Field(None, description="The split read, for a `dataset:` input.")


class InputData(Record):
    """Records an input held in memory (given in Python) instead of files."""

    type: str = Field(description="What held them: `datasets.Dataset`, `polars.DataFrame`, `list`, ...")
    sha256: str = Field(description="SHA-256 of the records read, each as JSON text followed by a newline.")


class InputRecord(Record):
    """What one input gave: records read, rows out, records that could not be read."""

    optional_keys = frozenset({"data", "hub"})

    name: str = Field(description="The input's name; the rows' `source`.")
    format: str = Field(description="The source format read.")
    format_detected: bool = Field(description="Whether `format: auto` chose it.")
    files: list[InputFile] = Field(description="Every file read, in reading order.")
    data: InputData | None = Field(
        None, description="Set when the records were held in memory: then `files` is empty."
    )
    records: int = Field(description="Records read.")
    rows: int = Field(description="Conversation rows made from them.")
    rejected: int = Field(description="Records that could not be read (see `rejects/read.parquet`).")
    reasons: dict[str, int] = Field(description="Those records by reason.")
    license: str = Field(description="The license of records that carry none (declared or resolved).")
    consent: str = Field(description="The consent of records that carry none: granted, withheld or unknown.")
    hub: InputHub | None = Field(
        None, description="Set for an input read from the Hub: the repository and the commit read."
    )


class StageStats(Record):
    """Counts and time of one stage (or of reading, as the pseudo-stage ``read``)."""

    optional_keys = frozenset({"rows_consumed", "report"})

    name: str = Field(description="The stage's name (`read` for reading).")
    rows_in: int = Field(description="Rows given to the stage.")
    rows_out: int = Field(description="Rows it passed on, in its output unit.")
    rows_rejected: int = Field(description="Rows it dropped, each with a reason.")
    seconds: float = Field(description="Wall time; written rounded to milliseconds.")
    unit_in: str = Field("conversations", description="records, conversations or pairs.")
    unit_out: str = Field("conversations", description="conversations or pairs.")
    reasons: dict[str, int] = Field(default_factory=dict, description="Rows dropped, by reason.")
    rows_consumed: int | None = Field(
        None, description="Where the unit changes: input rows that went into the output."
    )
    report: dict[str, Any] = Field(
        default_factory=dict, description="The stage's own figures: its `Report`, dumped."
    )

    @field_serializer("seconds")
    def _milliseconds(self, seconds: float) -> float:
        return round(seconds, 3)

    @property
    def balanced(self) -> bool:
        """rows in = rows out (or rows consumed, where the unit changes) + rows rejected."""
        kept = self.rows_out if self.rows_consumed is None else self.rows_consumed
        return self.rows_in == kept + self.rows_rejected


class LicenseEntry(Record):
    """One license the output rows carry, as the license registry describes it."""

    key: str = Field(description="Registry key (or the raw key, when the registry lacks it).")
    name: str = Field(description="Full name.")
    url: str | None = Field(description="Where the license text is.")
    rows: int = Field(description="Output rows that carry it.")
    use: str = Field(description="The widest use it allows (or `unknown`).")
    attribution: bool = Field(description="Whether the licensor must be credited.")
    share_alike: bool = Field(description="Whether adaptations must keep the license.")


class Attribution(Record):
    """Credit owed under one license, and the inputs it is owed for."""

    license: str = Field(description="Registry key of the license.")
    sources: list[str] = Field(description="Inputs whose rows carry it.")
    text: str = Field(description="The attribution to reproduce.")


class TermsEntry(Record):
    """A model provider's terms that apply to some output rows."""

    provider: str = Field(description="Terms key of the provider.")
    rows: int = Field(description="Output rows holding its models' outputs.")
    note: str = Field(description="The clause that matters for training.")
    url: str | None = Field(description="Where the terms are.")


class LicenseSummary(Record):
    """The license of the dataset as a whole, derived from its rows (``curate.licensing``)."""

    id: str = Field(description="The Hugging Face Hub license id (`other` for a combination).")
    expression: str = Field(description="SPDX-style expression of every license of the rows.")
    use: str = Field(description="The widest use every license (and applied model terms) allows.")
    attribution_required: bool = Field(description="Whether any license or terms require credit.")
    share_alike: bool = Field(description="Whether a share-alike license applies.")
    redistribution_allowed: bool = Field(description="Whether every license allows passing the data on.")
    licenses: list[LicenseEntry] = Field(description="Licenses of the rows, most rows first.")
    attributions: list[Attribution] = Field(description="Credit owed, by license.")
    terms: list[TermsEntry] = Field(description="Model providers' terms on the rows.")
    derivation: list[str] = Field(description="How the license was derived, step by step.")


class OutputRecord(Record):
    """What the run published under ``data/``."""

    optional_keys = frozenset({"format_variant"})

    kind: Kind = Field(description="pairs, or conversations when the pipeline has no pairs stage.")
    format_variant: FormatVariant | None = Field(
        None,
        description=(
            "How the data files hold the pairs (`output.format_variant`); absent for the default,"
            " conversational. `rows` and `splits` count the rows of the files."
        ),
    )
    rows: int = Field(description="Rows published, all splits together.")
    splits: dict[str, int] = Field(description="Rows per split, train first.")
    formats: list[str] = Field(description="File formats written.")
    files: list[str] = Field(default_factory=list, description="Data files, relative to the folder.")


class Manifest(Record):
    """``manifest.json``: what ran, on what, with which versions, and where every row went."""

    optional_keys = frozenset({"schema_version", "license", "sample_limit", "executor"})

    manifest_version: Literal[1] = Field(description="The layout of this file.")
    schema_version: int | None = Field(
        None, description="The version of the record models that wrote it; absent before they existed."
    )
    name: str = Field(description="The pipeline's name.")
    description: str | None = Field(description="The pipeline's description.")
    curate_version: str = Field(description="The curate that ran it.")
    config_hash: str = Field(description="SHA-256 of the parsed pipeline file.")
    config: dict[str, Any] = Field(
        description="The parsed pipeline file, local paths relative to its folder (`curate.config_public`)."
    )
    pipeline_text: str = Field(
        description="`config` as YAML, without comments (before curate 0.2: the file as written)."
    )
    seed: int = Field(description="The pipeline's seed.")
    sample_limit: int | None = Field(
        None, description="Set when the run read at most this many records of each input (`--limit`)."
    )
    inputs: list[InputRecord] = Field(description="Every input, in pipeline order.")
    stages: list[StageStats] = Field(description="Reading, then every stage, in order.")
    license: LicenseSummary | None = Field(None, description="The derived license of the output.")
    output: OutputRecord = Field(description="What was published.")
    versions: dict[str, str] = Field(description="Python and package versions.")
    executor: ExecutorRecord | None = Field(
        None, description="Set when a Ray cluster ran the steps; absent for the local executor."
    )

    def stage(self, name: str) -> StageStats | None:
        """The first stage called ``name``, or None when none ran."""
        return next((stage for stage in self.stages if stage.name == name), None)

    def to_json(self) -> str:
        """The text of ``manifest.json``."""
        return json.dumps(self.model_dump(), indent=2, ensure_ascii=False, default=str) + "\n"


def merge_reports(reports: Iterable[StageReport | None]) -> StageReport | None:
    """The report of all shards, from theirs in shard order (None when none reported)."""
    found = [report for report in reports if report is not None]
    if not found:
        return None
    return functools.reduce(lambda total, report: total.merged(report), found)


def _combined(mine: Any, theirs: Any, setting: bool, model: str, name: str) -> Any:
    if mine is None or theirs is None:
        return theirs if mine is None else mine
    counted = isinstance(mine, int | dict | StageReport) and not isinstance(mine, bool)
    reports = isinstance(mine, list) and bool(mine) and all(isinstance(item, StageReport) for item in mine)
    if reports and not setting and isinstance(theirs, list) and len(theirs) == len(mine):
        # One report per configured thing (a model, an opt-out list): merged item by item.
        return [item.merged(other) for item, other in zip(mine, theirs, strict=True)]
    if setting or not counted:
        if mine != theirs:
            raise CurateError(f"shards disagree on the setting {model}.{name}: {mine!r} and {theirs!r}")
        return mine
    if isinstance(mine, StageReport):
        return mine.merged(theirs)
    if isinstance(mine, dict):
        keys = list(mine) + [key for key in theirs if key not in mine]
        if list(mine) == sorted(mine) and list(theirs) == sorted(theirs):
            keys.sort()
        return {key: _combined(mine.get(key), theirs.get(key), False, model, f"{name}.{key}") for key in keys}
    return mine + theirs


def read_manifest(folder: Path) -> Manifest:
    """The record of the output folder ``folder``, validated; ``CurateError`` names what is wrong."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise CurateError(f"{folder} is not a curate output folder: it has no {MANIFEST_FILE}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CurateError(f"{path}: not valid JSON ({exc})") from exc
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise CurateError(
            f"{path}: schema_version {version} was written by a newer curate (this one reads up to"
            f" {SCHEMA_VERSION}); upgrade curate to read it"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise record_error(path, exc) from None


def record_error(path: Path | str, exc: ValidationError, within: Iterable[str | int] = ()) -> CurateError:
    """A ``CurateError`` naming the file and, for each problem, the field (``stages[3].report.x``)."""
    lines = [f"{path}: {field_path([*within, *error['loc']])}: {error['msg']}" for error in exc.errors()]
    return CurateError("\n".join(lines))


def field_path(loc: Iterable[str | int]) -> str:
    """``("stages", 3, "report")`` as ``stages[3].report``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the whole file)"
