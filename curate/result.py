"""What a run returns: the output, the rejects, and the figures of every stage."""

from __future__ import annotations

import html
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from curate import schema
from curate.errors import CurateError, PublishError
from curate.record import Manifest, read_manifest
from curate.record import StageStats as StageStats
from curate.writers.dataset import DataFile
from curate.writers.streams import Frames, SplitSize
from curate.writers.variants import export_splits

if TYPE_CHECKING:
    from datasets import DatasetDict

    from curate.card.examples import Scanner
    from curate.config import PipelineConfig
    from curate.explain import Explanation
    from curate.publish import HubClient, PublishPlan


@dataclass
class RunResult:
    """The outcome of ``Pipeline.run``: explore it in a notebook without touching files.

    ``output`` holds the published rows (pairs, or conversations when the pipeline has no
    ``pairs`` stage), with a ``_split`` column when a ``split`` stage ran, as the stages made
    them: with ``output.format_variant: kto`` a row is one reply, in ``chosen`` (desirable) or
    ``rejected``. ``published_splits()`` and ``to_datasets()`` give them as the data files hold
    them, in the format variant. ``conversations`` holds the conversations as they entered
    the ``pairs`` stage (the output, if none ran), so that a pair can be traced back to its
    sources. ``manifest`` is the run's record, as ``manifest.json`` holds it (written or not).

    A run made with ``collect=False`` (the command line's) keeps no rows in memory: ``output``
    and ``rejects_by_stage`` are read back from the output folder when first used (as the
    data files hold them: published columns, in the format variant), and ``conversations``
    are not kept.
    """

    config: PipelineConfig
    manifest: Manifest
    frames: dict[str, Any] = field(default_factory=dict)
    """``output``, ``conversations`` and ``rejects_by_stage`` as given (or read once)."""
    output_dir: Path | None = None

    @property
    def output(self) -> pl.DataFrame:
        if "output" not in self.frames:
            self.frames["output"] = self._read_output()
            self.frames["published"] = True
        frame: pl.DataFrame = self.frames["output"]
        return frame

    @property
    def conversations(self) -> pl.DataFrame:
        if "conversations" not in self.frames:
            raise CurateError(
                "this run kept no conversations in memory (collect=False): run it with collect=True"
                " (the default of Pipeline.run) to trace pairs back to their sources"
            )
        frame: pl.DataFrame = self.frames["conversations"]
        return frame

    @property
    def rejects_by_stage(self) -> dict[str, pl.DataFrame]:
        if "rejects_by_stage" not in self.frames:
            folder = self._folder()
            self.frames["rejects_by_stage"] = {
                path.stem: pl.read_parquet(path) for path in sorted((folder / "rejects").glob("*.parquet"))
            }
        found: dict[str, pl.DataFrame] = self.frames["rejects_by_stage"]
        return found

    def _folder(self) -> Path:
        if self.output_dir is None:
            raise CurateError("this run kept no rows in memory and wrote no output folder to read them from")
        return self.output_dir

    def _read_output(self) -> pl.DataFrame:
        """The published rows from the data files (parquet if written, else JSON Lines)."""
        folder, record = self._folder(), self.manifest.output
        kind = "parquet" if "parquet" in record.formats else "jsonl"
        with_split = any(stats.name == "split" for stats in self.manifest.stages)
        frames = []
        for path in record.files:
            found = DataFile.parse(Path(path).name)
            if found is None or found.format != kind:
                continue
            frame = pl.read_parquet(folder / path) if kind == "parquet" else pl.read_ndjson(folder / path)
            frames.append(frame.with_columns(_split=pl.lit(found.split)) if with_split else frame)
        if not frames:
            return schema.empty(record.kind)
        return pl.concat(frames, how="vertical_relaxed")

    @property
    def stats(self) -> list[StageStats]:
        """Counts and time of reading and of every stage, in order (the manifest's ``stages``)."""
        return self.manifest.stages

    @property
    def kind(self) -> str:
        return self.manifest.output.kind

    @property
    def rejects(self) -> pl.DataFrame:
        """Every rejected row of every stage (columns differ by stage; absent ones are null)."""
        frames = [frame for frame in self.rejects_by_stage.values() if frame.height]
        if not frames:
            return pl.DataFrame(schema=schema.REJECT_COLUMNS)
        return pl.concat(frames, how="diagonal_relaxed")

    def rejects_of(self, stage: str) -> pl.DataFrame:
        """The rejects of one stage (``read`` for records that could not be read)."""
        return self.rejects_by_stage[stage]

    def splits(self) -> dict[str, pl.DataFrame]:
        """The output by split (``train`` only when no ``split`` stage ran)."""
        return schema.by_split(self.output)

    def published_splits(self) -> dict[str, pl.DataFrame]:
        """The output by split as the data files hold it: in the pipeline's ``output.format_variant``."""
        if self.frames.get("published"):  # read back from the data files: exported already
            return self.splits()
        return export_splits(self.splits(), self.config.output.format_variant)

    def to_datasets(self) -> DatasetDict:
        """The output as a ``datasets.DatasetDict`` of its splits, with the features its Parquet
        files have (``datasets.load_dataset`` on the output folder gives the same), built in
        memory whether or not the run was written.

        >>> result.to_datasets()["train"].features  # doctest: +SKIP
        """
        from datasets import Dataset, DatasetDict, NamedSplit

        from curate.writers.dataset import hub_table

        return DatasetDict(
            {
                name: Dataset(hub_table(frame), split=NamedSplit(name))
                for name, frame in self.published_splits().items()
            }
        )

    def push_to_hub(
        self,
        repo_id: str,
        *,
        private: bool = False,
        revision: str | None = None,
        create_pr: bool = False,
        message: str | None = None,
        allow_unscrubbed: bool = False,
        allow_weak_hash: bool = False,
        dry_run: bool = False,
        api: HubClient | None = None,
        scanner: Scanner | None = None,
    ) -> PublishPlan:
        """Publish this run to the Hub dataset repo ``repo_id`` as ``curate publish`` does: the
        same checks and refusals (``PublishError``), the same files, the same options.

        A written run is published from its output folder, which must still hold this run (its
        ``manifest.json`` is this result's record). A run made with ``write=False`` is first
        written to a temporary folder (data files and ``manifest.json``; rejects and stage
        artifacts are never published), published from there, and the folder removed: the
        returned plan's ``folder`` no longer exists. ``api`` is a ``huggingface_hub.HfApi``
        (by default one with the token of ``HF_TOKEN`` or the user's login).

        >>> result.push_to_hub("acme/demo-dpo", dry_run=True).render()  # doctest: +SKIP
        """
        from curate.publish import publish

        def publish_from(folder: Path) -> PublishPlan:
            return publish(
                folder,
                repo_id,
                private=private,
                dry_run=dry_run,
                allow_unscrubbed=allow_unscrubbed,
                api=api,
                scanner=scanner,
                allow_weak_hash=allow_weak_hash,
                revision=revision,
                create_pr=create_pr,
                message=message,
            )

        if self.output_dir is not None:
            self._check_written(self.output_dir)
            return publish_from(self.output_dir)
        with tempfile.TemporaryDirectory(prefix="curate-publish-") as scratch:
            folder = Path(scratch) / self.config.name
            self._write_for_publishing(folder)
            return publish_from(folder)

    def funnel(self) -> pl.DataFrame:
        """Rows into and out of every stage, reading first."""
        return pl.DataFrame(
            [
                {
                    "stage": s.name,
                    "rows_in": s.rows_in,
                    "rows_out": s.rows_out,
                    "rows_rejected": s.rows_rejected,
                    "unit_out": s.unit_out,
                }
                for s in self.stats
            ]
        )

    def reasons(self) -> pl.DataFrame:
        """How many rows each stage rejected, by reason, most frequent first."""
        rows = [
            {"stage": s.name, "reason": reason, "rows": count}
            for s in self.stats
            for reason, count in s.reasons.items()
        ]
        frame = pl.DataFrame(rows, schema={"stage": pl.String, "reason": pl.String, "rows": pl.Int64})
        return frame.sort(["rows", "stage", "reason"], descending=[True, False, False])

    def explain(self, pair_id: str) -> Explanation:
        """Trace an output row (a pair, or a conversation) back to its source records and licenses.

        >>> result.explain(result.output["id"][0])  # doctest: +SKIP
        """
        from curate.explain import explain

        return explain(self, pair_id)

    def card(self, repo_id: str | None = None) -> str:
        """The dataset card (Markdown) this run writes as ``README.md``, built in memory."""
        from curate.card import CardSource, build_card

        return build_card(CardSource.in_memory(self.manifest, self.published_splits()), repo_id)

    def _check_written(self, folder: Path) -> None:
        """``folder`` still holds this run: its record is this result's, byte for byte."""
        try:
            written = read_manifest(folder).to_json()
        except CurateError as exc:
            raise PublishError(f"cannot publish this run from {folder}: {exc}") from exc
        if written != self.manifest.to_json():
            raise PublishError(
                f"{folder} no longer holds this run: its manifest.json is another run's; run the"
                " pipeline again, or publish the folder as it is with `curate publish`"
            )

    def _write_for_publishing(self, folder: Path) -> None:
        """What publishing uploads of a run: its data files and its record (the card is rebuilt)."""
        from curate.writers.output import write_output

        splits = {
            name: (_frames_of(frame), SplitSize.of([frame]))
            for name, frame in self.published_splits().items()
        }
        write_output(folder, self.manifest, splits, {}, shard_rows=self.config.output.shard_rows)

    def _repr_html_(self) -> str:
        escape = html.escape
        widest = max((s.rows_in for s in self.stats), default=0) or 1
        funnel = "".join(
            f"<tr><td>{escape(s.name)}</td><td>{s.rows_in:,} {escape(s.unit_in)}</td>"
            f"<td>{_bar(s, widest)}</td><td>{s.rows_rejected:,}</td>"
            f"<td>{s.rows_out:,} {escape(s.unit_out)}</td><td>{escape(_top_reasons(s))}</td></tr>"
            for s in self.stats
        )
        splits = ", ".join(f"{name}: {frame.height:,}" for name, frame in self.splits().items())
        where = (
            f" written to <code>{escape(str(self.output_dir))}</code>"
            if self.output_dir
            else " (not written)"
        )
        staged = [name for name, frame in self.rejects_by_stage.items() if frame.height]
        hints = [f"<code>result.rejects_of({escape(repr(name))})</code>" for name in staged[:3]]
        hints += ["<code>result.reasons()</code>", "<code>result.explain(result.output['id'][0])</code>"]
        return (
            f"<div><p><b>curate run {escape(self.config.name)}</b>: {self.output.height:,} {self._unit()}"
            f" ({splits}){where}</p><p>License: {escape(_license_line(self.manifest))}</p>"
            "<table><thead><tr><th>stage</th><th>in</th><th>passed on / rejected</th><th>rejected</th>"
            f"<th>out</th><th>top reasons</th></tr></thead><tbody>{funnel}</tbody></table>"
            f"<p>{self._rejected():,} rejected rows in all. Explore: {', '.join(hints)}</p></div>"
        )

    def __repr__(self) -> str:
        rejected = self._rejected()
        return f"<RunResult {self.config.name!r}: {self.output.height} {self._unit()}, {rejected} rejected>"

    def _unit(self) -> str:
        """What a row is: a kto output's rows are single replies, not pairs."""
        return "labelled replies" if self.config.output.format_variant == "kto" else self.kind

    def _rejected(self) -> int:
        """How many rows all stages rejected, without concatenating the frames as ``rejects`` does."""
        return sum(frame.height for frame in self.rejects_by_stage.values())


def _frames_of(frame: pl.DataFrame) -> Frames:
    return lambda: iter([frame])


def _bar(stats: StageStats, widest: int, pixels: int = 160) -> str:
    """An inline bar: rows passed on in blue, rejected in red, scaled to the largest stage."""
    rejected = round(pixels * stats.rows_rejected / widest)
    passed = round(pixels * (stats.rows_in - stats.rows_rejected) / widest)
    return (
        f'<span style="display:inline-block;height:0.8em;width:{passed}px;background:#4c78a8"></span>'
        f'<span style="display:inline-block;height:0.8em;width:{rejected}px;background:#e45756"></span>'
    )


def _license_line(manifest: Manifest) -> str:
    derived = manifest.license
    if derived is None:
        return "none derived"
    return f"{derived.expression or derived.id} (use {derived.use})"


def _top_reasons(stats: StageStats, limit: int = 3) -> str:
    ranked = sorted(stats.reasons.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return ", ".join(f"{reason} ({count:,})" for reason, count in ranked)
