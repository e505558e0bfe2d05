"""Trace one output row back to the records it came from, their inputs and their licenses.

``explain(result, pair_id)`` (or ``result.explain(pair_id)``) finds a pair, the two
conversations its sides came from (as they entered the ``pairs`` stage), the inputs that held
them with their files' fingerprints, and what the license registry and the ``license`` stage
say about the licenses involved. For a pipeline without ``pairs`` it explains one conversation.
The user key of a record is never shown, only whether there is one.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from curate.licensing import license_parts
from curate.schema import MESSAGE_COLUMNS

if TYPE_CHECKING:
    from curate.record import LicenseSummary
    from curate.result import RunResult

PREVIEW_CHARS = 200


@dataclass(frozen=True)
class SourceRecord:
    """One conversation an output row came from (``found`` is False if it is not in the run)."""

    side: str
    id: str
    source: str
    found: bool
    model: str | None = None
    language: str | None = None
    license: str | None = None
    consent: str | None = None
    has_user: bool = False
    group: str | None = None


@dataclass(frozen=True)
class InputTrace:
    """The input a record was read from: its format, declared defaults and file fingerprints."""

    name: str
    format: str
    declared_license: str | None
    declared_consent: str
    records: int
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    """Where one output row came from; prints as text and renders as HTML in Jupyter."""

    kind: str
    id: str
    row: dict[str, Any]
    records: list[SourceRecord]
    inputs: list[InputTrace]
    licenses: list[dict[str, Any]]
    """Registry entries (from the run's derived license) of every license key involved."""
    license_stage: dict[str, Any] | None
    """The ``license`` stage's counts, or None when the run had no license stage."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"{self._headline()}"]
        for column in MESSAGE_COLUMNS[self.kind]:
            for message in self.row.get(column) or []:
                lines.append(f"  {column:<9}[{message['role']}] {_preview(message['content'])}")
        lines.append("source records:")
        lines += [f"  {_record_text(record)}" for record in self.records]
        lines.append("inputs:")
        lines += [f"  {_input_text(item)}" for item in self.inputs]
        if self.licenses:
            lines.append("licenses:")
            lines += [f"  {_license_text(entry)}" for entry in self.licenses]
        lines.append(f"license stage: {_stage_text(self.license_stage)}")
        return "\n".join(lines)

    def _headline(self) -> str:
        labels = ("strategy", "source", "license", "language")
        details = ", ".join(f"{name} {self.row[name]}" for name in labels if self.row.get(name) is not None)
        unit = "pair" if self.kind == "pairs" else "conversation"
        return f"{unit} {self.id} ({details})"

    def _repr_html_(self) -> str:
        escape = html.escape
        messages = "".join(
            f"<tr><td>{escape(column)}</td><td>{escape(message['role'])}</td>"
            f"<td>{escape(_preview(message['content']))}</td></tr>"
            for column in MESSAGE_COLUMNS[self.kind]
            for message in self.row.get(column) or []
        )
        records = "".join(f"<li>{escape(_record_text(record))}</li>" for record in self.records)
        inputs = "".join(f"<li>{escape(_input_text(item))}</li>" for item in self.inputs)
        licenses = "".join(f"<li>{escape(_license_text(entry))}</li>" for entry in self.licenses)
        return (
            f"<div><b>{escape(self._headline())}</b>"
            f"<table><tbody>{messages}</tbody></table>"
            f"<p>Source records</p><ul>{records}</ul><p>Inputs</p><ul>{inputs}</ul>"
            + (f"<p>Licenses</p><ul>{licenses}</ul>" if licenses else "")
            + f"<p>License stage: {escape(_stage_text(self.license_stage))}</p></div>"
        )


def explain(result: RunResult, row_id: str) -> Explanation:
    """Explain the output row (pair, or conversation) whose ``id`` is ``row_id``.

    Raises ``KeyError`` when the output has no such row.
    """
    kind = result.kind
    matches = result.output.filter(pl.col("id") == row_id)
    if matches.is_empty():
        unit = "pair" if kind == "pairs" else "conversation"
        raise KeyError(f"the output has no {unit} with id {row_id!r}")
    row = matches.row(0, named=True)
    if kind == "pairs":  # a kto output's row is one reply: the other side's id is null
        records = [
            _find(result.conversations, side, row[f"{side}_id"], row.get("source"))
            for side in ("chosen", "rejected")
            if row.get(f"{side}_id") is not None
        ]
    else:
        records = [_record("conversation", row)]
    names = list(dict.fromkeys(record.source for record in records))
    keys = {row.get("license"), *(record.license for record in records)}
    return Explanation(
        kind=kind,
        id=row_id,
        row={name: value for name, value in row.items() if not name.startswith("_")},
        records=records,
        inputs=[trace for name in names if (trace := _input(result, name)) is not None],
        licenses=_registry_entries(result.manifest.license, keys),
        license_stage=_license_stage(result),
    )


def _find(conversations: pl.DataFrame, side: str, identifier: str | None, source: str | None) -> SourceRecord:
    found = conversations.filter(pl.col("id") == identifier)
    if found.height > 1 and source is not None:
        found = found.filter(pl.col("source") == source)
    if found.is_empty():
        return SourceRecord(side=side, id=str(identifier), source=str(source), found=False)
    return _record(side, found.row(0, named=True))


def _record(side: str, row: dict[str, Any]) -> SourceRecord:
    return SourceRecord(
        side=side,
        id=str(row["id"]),
        source=str(row["source"]),
        found=True,
        model=row.get("model"),
        language=row.get("language"),
        license=row.get("license"),
        consent=row.get("consent"),
        has_user=row.get("user") is not None,
        group=row.get("group"),
    )


def _input(result: RunResult, name: str) -> InputTrace | None:
    for read, spec in zip(result.manifest.inputs, result.config.inputs, strict=True):
        if read.name == name:
            return InputTrace(
                name=name,
                format=read.format,
                declared_license=spec.license,
                declared_consent=spec.consent,
                records=read.records,
                files=[file.model_dump() for file in read.files],
            )
    return None


def _registry_entries(derived: LicenseSummary | None, keys: set[str | None]) -> list[dict[str, Any]]:
    parts = {part for key in keys for part in license_parts(key)}
    entries = derived.licenses if derived else []
    return [entry.model_dump() for entry in entries if entry.key in parts]


def _license_stage(result: RunResult) -> dict[str, Any] | None:
    stats = result.manifest.stage("license")
    if stats is None:
        return None
    return {
        "rows_in": stats.rows_in,
        "rows_rejected": stats.rows_rejected,
        "reasons": dict(stats.reasons),
        "report": dict(stats.report),
    }


def _preview(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS] + " [...]"


def _record_text(record: SourceRecord) -> str:
    if not record.found:
        return f"{record.side}: id {record.id} from {record.source} (not among the conversations of this run)"
    return (
        f"{record.side}: id {record.id} from {record.source}: model {record.model or 'unknown'},"
        f" license {record.license}, consent {record.consent},"
        f" user key {'present' if record.has_user else 'absent'}"
        + (f", group {record.group}" if record.group else "")
    )


def _input_text(item: InputTrace) -> str:
    files = "; ".join(f"{f['path']} ({_file_facts(f)})" for f in item.files)
    return (
        f"{item.name}: format {item.format}, {item.records:,} records, declared license"
        f" {item.declared_license or 'none'}, declared consent {item.declared_consent}; files {files}"
    )


def _file_facts(file: dict[str, Any]) -> str:
    size = "size unknown" if file.get("bytes") is None else f"{file['bytes']:,} bytes"
    if file.get("sha256") is None and file.get("etag"):
        return f"{size}, etag {str(file['etag'])[:12]}"
    return f"{size}, sha256 {str(file.get('sha256'))[:12]}"


def _license_text(entry: dict[str, Any]) -> str:
    return (
        f"{entry.get('key')}: {entry.get('name')} (use {entry.get('use')},"
        f" attribution {'required' if entry.get('attribution') else 'not required'},"
        f" share-alike {'yes' if entry.get('share_alike') else 'no'}) {entry.get('url') or ''}"
    ).rstrip()


def _stage_text(stage: dict[str, Any] | None) -> str:
    if stage is None:
        return "did not run: the licenses above are the inputs' declared ones, unchecked"
    reasons = sorted(stage["reasons"].items(), key=lambda item: (-item[1], item[0]))[:5]
    text = f"checked {stage['rows_in']:,} rows and rejected {stage['rows_rejected']:,}"
    if reasons:
        text += " (" + ", ".join(f"{reason} {count:,}" for reason, count in reasons) + ")"
    return text
