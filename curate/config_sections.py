"""The settings of a pipeline file's sections: each input, the output and the executor.

``curate.config`` validates the file as a whole with these models (and re-exports them);
an input held in memory (``DataInput``) is one more input model, declared in Python.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ByteSize, Field, ValidationInfo, field_validator, model_validator

from curate import registry
from curate.licensing import check_dataset, check_license_key, resolve_input_license
from curate.options import AbsolutePath, StrictModel, base_dir
from curate.readers.discovery import files_of
from curate.readers.hub import parse_hub_path
from curate.readers.remote import check_protocol, is_remote, local_of, scheme_of
from curate.schema import ConsentValue, FormatVariant

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class InputConfig(StrictModel):
    """One input: a file, glob, folder or URL in one source format, or a Hub dataset."""

    name: str = Field(pattern=NAME_PATTERN, description="Becomes the `source` column.")
    path: str | None = Field(
        None,
        description=(
            "A file, glob or folder, relative to the pipeline file, or a URL: hf://datasets/ORG/NAME/<glob>,"
            " https://, s3://, gs://, memory:// (any fsspec protocol). Leave it out to read `dataset:`"
            " from the Hub."
        ),
    )
    format: str = Field(
        "auto", description="sharegpt | wildchat | lmsys | arena | oasst | openai | preference | auto"
    )
    license: str | None = Field(
        None, description="License key for records that carry none; `auto` for a known dataset."
    )
    dataset: str | None = Field(
        None,
        description=(
            "What the input is: a known dataset of licenses/sources.yaml (for `license: auto`) or a Hub"
            " repo id ORG/NAME. Without `path:`, the input reads this Hub dataset."
        ),
    )
    revision: str | None = Field(
        None, description="Branch, tag or commit of a Hub input (an hf:// path or `dataset:`); default main."
    )
    config: str | None = Field(
        None, description="Config of a Hub `dataset:` read; default the dataset card's default config."
    )
    split: str | None = Field(None, description="Split of a Hub `dataset:` read; default train.")
    consent: ConsentValue = Field("unknown", description="Consent for records that carry none.")
    consent_field: str | None = Field(
        None, description="Where records carry consent, as `meta.<path>` (dots between keys)."
    )
    consent_values: dict[str, ConsentValue] = Field(
        default_factory=dict, description="Maps the values found at `consent_field` to consent."
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Options of the format's reader.")
    max_record_bytes: int = Field(
        8 * 1024 * 1024, gt=0, description="Records larger than this are rejected as too_large."
    )
    limit: int | None = Field(None, gt=0, description="Read at most this many records.")

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value != "auto" and value not in registry.readers:
            raise ValueError(registry.readers.unknown_message(value))
        return value

    @field_validator("path")
    @classmethod
    def _path_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if is_remote(value):
            # No network at validation: a URL's files are listed when the run opens them.
            if scheme_of(value) == "hf":
                parse_hub_path(value)
            else:
                check_protocol(value)
            return value
        if not files_of(local_of(value), base_dir(info)):
            hint = "relative paths start at the pipeline file's folder"
            raise ValueError(f"no file matches {value!r} ({hint})")
        return value

    @field_validator("consent_field")
    @classmethod
    def _meta_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("meta."):
            raise ValueError("must start with 'meta.' (for example meta.consent)")
        return value

    @field_validator("license")
    @classmethod
    def _known_license(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() == "auto":
            return value
        return check_license_key(value)

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, value: str | None) -> str | None:
        return None if value is None else check_dataset(value)

    @model_validator(mode="after")
    def _one_place(self) -> InputConfig:
        problem = self.location_problem()
        if problem is not None:
            raise ValueError(problem)
        return self

    def location_problem(self) -> str | None:
        """Why the input names no place to read (the other keys check themselves)."""
        if self.path is None and self.dataset is None:
            return "give `path:` (a file, glob, folder or URL) or `dataset:` (a Hub dataset, ORG/NAME)"
        return None

    @field_validator("revision")
    @classmethod
    def _revision_of_hub(cls, value: str | None, info: ValidationInfo) -> str | None:
        path = info.data.get("path")
        if value is None or not path:
            return value
        if scheme_of(path) != "hf":
            raise ValueError("applies to hf:// paths and Hub datasets only")
        asked = parse_hub_path(path)[1]
        if asked is not None and asked != value:
            raise ValueError(f"the path says @{asked}; keep one of the two")
        return value

    @field_validator("config", "split")
    @classmethod
    def _files_of_dataset(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("path"):
            raise ValueError(
                "chooses the files of a Hub `dataset:` read without `path:`;"
                " with a `path:`, name the files in it"
            )
        return value

    @model_validator(mode="after")
    def _auto_license_resolves(self) -> InputConfig:
        if self.license is not None and self.license.strip().lower() == "auto":
            resolve_input_license(self)
        return self


class DataInput(InputConfig):
    """An input whose records are held in memory, given in Python: every setting of a file
    input but ``path``.

    ``data`` names what holds the records (``datasets.Dataset``, ``polars.DataFrame``, ...,
    ``list``); the records stay with the ``Pipeline`` that was given them, so this model (in
    the run's context, in the manifest's ``config``) never carries them. A pipeline file cannot
    declare one.
    """

    path: str = Field("", exclude=True, description="Empty: the records are in memory.")
    data: str = Field(description="What holds the records, e.g. `datasets.Dataset`.")

    @field_validator("path")
    @classmethod
    def _path_exists(cls, value: str | None, info: ValidationInfo) -> str:
        if value:
            raise ValueError("an input held in memory has no path")
        return ""

    def location_problem(self) -> str | None:
        if self.revision is not None or self.config is not None or self.split is not None:
            return "an input held in memory has no `revision:`, `config:` or `split:`"
        return None


class OutputConfig(StrictModel):
    """Where and how the result is written."""

    dir: AbsolutePath | None = Field(None, description="Output folder; default out/<name>.")
    formats: list[Literal["parquet", "jsonl"]] = Field(
        default_factory=lambda: list[Literal["parquet", "jsonl"]](["parquet"]),
        min_length=1,
        description="Files written per split.",
    )
    card: bool = Field(True, description="Write a dataset card (README.md).")
    shard_rows: int = Field(500_000, gt=0, description="Rows per data file.")
    format_variant: FormatVariant = Field(
        "conversational",
        description=(
            "How pairs are written, for the trainer that reads them: conversational (TRL's"
            " conversational preference format), standard (prompt, chosen and rejected as strings;"
            " prompts of one user turn only) or kto (one reply a row: prompt, completion, label)."
        ),
    )


class ExecutorConfig(StrictModel):
    """Which executor runs the steps; for Ray, the cluster to join or how to size the one started.

    Changing it never changes the output: the same file runs on either executor.
    """

    kind: Literal["local", "ray"] = Field(
        "local", description="local: processes on this machine; ray: a Ray cluster (`curate[ray]`)."
    )
    address: str | None = Field(
        None,
        description="The Ray cluster: `auto` (the one `ray start` made on this machine), `host:port`,"
        " `ray://host:10001`, or `local` (start one for the run). Default: RAY_ADDRESS, else `local`.",
    )
    num_cpus: int | None = Field(
        None, gt=0, description="CPUs of a Ray instance curate starts (default: this machine's)."
    )
    object_store_memory: ByteSize | None = Field(
        None,
        description="Object store of a Ray instance curate starts, e.g. `4GiB` (default: 30% of memory).",
    )
    spill_dir: AbsolutePath | None = Field(
        None, description="Where a Ray instance curate starts spills objects (default: Ray's temp folder)."
    )
    actor_cpus: float = Field(
        1.0, gt=0, description="CPUs each actor of a step that loads a model reserves (one model per actor)."
    )
    max_retries: int = Field(
        3,
        ge=0,
        description="Times Ray runs a task again, or restarts an actor, whose worker died (killed, out of"
        " memory, a lost node); curate's own errors are never retried.",
    )
    driver_memory: ByteSize | None = Field(
        None,
        description="Memory the driver may use to decide a whole-data step (dedup, pairs, split), e.g."
        " `64GiB`; a step that would need more stops before it starts. Default: the driver's available"
        " memory when the step starts.",
    )
    clusters: Literal["auto", "driver", "cluster"] = Field(
        "auto",
        description="Where dedup finds candidate pairs and joins them into clusters on Ray (and pairs and"
        " split join their linked rows): `driver`"
        " (in its memory), `cluster` (grouped and joined on the cluster: the driver holds no edges),"
        " or `auto`: the driver while the step, edges included, fits executor.driver_memory, else the"
        " cluster. The local executor always joins in its own process.",
    )
