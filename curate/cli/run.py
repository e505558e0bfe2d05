"""``curate run``: run a pipeline file and write its output folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

import click


@click.command()
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out", "output_dir", type=click.Path(file_okay=False), help="Output folder (overrides output.dir)."
)
@click.option("--strict", is_flag=True, help="Stop at the first record that cannot be read.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars and no summary table.")
@click.option("--workers", type=click.IntRange(min=1), help="Processes for parallel stages (default: cores).")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace the output folder even if it is not a curate output (never /, home, or an input's folder).",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its work folder.")
@click.option("--restart", is_flag=True, help="Discard an interrupted run's work folder and start over.")
@click.option(
    "--work-dir", type=click.Path(file_okay=False), help="Where finished shards are kept (default: OUT.work)."
)
@click.option("--keep-work", is_flag=True, help="Keep the work folder after a successful run.")
@click.option("--limit", type=click.IntRange(min=1), help="Read at most N records of each input (a sample).")
@click.option(
    "--shard-rows",
    type=click.IntRange(min=1),
    default=5_000,
    show_default=True,
    help="Rows per shard: the unit of parallel work and of checkpoints.",
)
@click.option("--force", is_flag=True, help="Run on although the pairs stage could pair nothing read.")
@click.option(
    "--input",
    "inputs",
    metavar="NAME=PATH",
    multiple=True,
    help="Read input NAME from PATH (a file, glob, folder or URL), keeping its other settings; repeatable.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    help="Run the steps here (local) or on a Ray cluster (ray); default: the file's executor.kind.",
)
@click.option(
    "--ray-address",
    metavar="ADDR",
    help="The Ray cluster to join (auto, host:port, ray://host:10001); default: RAY_ADDRESS, else start one.",
)
@click.option(
    "--ray-cpus",
    type=click.IntRange(min=1),
    help="CPUs of a Ray instance curate starts (executor.num_cpus; default: this machine's).",
)
@click.option(
    "--object-store-memory",
    metavar="SIZE",
    help="Object store of a Ray instance curate starts, e.g. 8GiB (executor.object_store_memory).",
)
@click.option(
    "--spill-dir",
    type=click.Path(file_okay=False),
    help="Where a Ray instance curate starts spills its object store (executor.spill_dir).",
)
@click.option(
    "--clusters",
    type=click.Choice(["auto", "driver", "cluster"]),
    help="Where dedup joins its clusters (and pairs and split their linked rows) on Ray"
    " (executor.clusters): the driver's memory, the cluster,"
    " or auto (the driver while they fit).",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help="Append structured events (JSON lines: steps, shards, counts, resume decisions) to this file.",
)
def run(
    pipeline: str,
    output_dir: str | None,
    strict: bool,
    quiet: bool,
    workers: int | None,
    overwrite: bool,
    resume: bool,
    restart: bool,
    work_dir: str | None,
    keep_work: bool,
    limit: int | None,
    shard_rows: int,
    force: bool,
    inputs: tuple[str, ...],
    executor: Literal["local", "ray"] | None,
    ray_address: str | None,
    ray_cpus: int | None,
    object_store_memory: str | None,
    spill_dir: str | None,
    clusters: str | None,
    log_file: str | None,
) -> None:
    """Run a pipeline file and write its output folder.

    The output folder is replaced whole at the end of the run, so it must be new, empty, or
    an earlier curate output; anything else is refused unless --overwrite. Finished shards
    are kept in a work folder while the run goes on: after a kill, a crash or Ctrl-C,
    `--resume` continues from them and writes the same output an uninterrupted run would.
    With `--executor ray` the record stages run on a Ray cluster; the output is the same.
    `--ray-cpus`, `--object-store-memory` and `--spill-dir` size a Ray instance curate starts,
    over the file's `executor` block.

    `--input NAME=PATH` reads an input from another place than the file says (a local
    sample of a Hub dataset, say), keeping its format, license and other settings.

    Example: curate run pipelines/demo.yaml --resume --log-file run.log

    Example: curate run pipelines/hh-rlhf-dpo.yaml --input hh_rlhf=samples/hh.jsonl.gz
    """
    from curate.config_inputs import parse_overrides
    from curate.runner import Pipeline

    if resume and restart:
        raise click.UsageError("--resume and --restart exclude each other")
    if log_file:
        _log_to(Path(log_file))
    result = Pipeline.from_yaml(pipeline, inputs=parse_overrides(inputs)).run(
        output_dir=output_dir,
        strict=strict,
        quiet=quiet,
        workers=workers,
        overwrite=overwrite,
        resume=resume,
        restart=restart,
        work_dir=work_dir,
        keep_work=keep_work,
        limit=limit,
        shard_rows=shard_rows,
        force=force,
        collect=False,
        executor=executor,
        ray_address=ray_address,
        executor_options={
            "num_cpus": ray_cpus,
            "object_store_memory": object_store_memory,
            "spill_dir": spill_dir,
            "clusters": clusters,
        },
    )
    published = result.manifest.output.rows
    if not quiet:
        click.echo(f"wrote {published:,} {result.kind} to {result.output_dir}", err=True)
    if published == 0:
        from curate.errors import CurateError

        raise CurateError(_why_empty(result.stats) + f"; see the rejects in {result.output_dir}/rejects/")


def _why_empty(stats: list[Any]) -> str:
    """Which stage took the last rows of a run that published none."""
    emptied = next((s for s in stats if s.rows_in > 0 and s.rows_out == 0), None)
    if emptied is None:
        return "the run published no rows: the inputs gave none"
    top = sorted(emptied.reasons.items(), key=lambda item: (-item[1], item[0]))[:3]
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in top) or "no reason recorded"
    return (
        f"the run published no rows: the {emptied.name} stage took the last {emptied.rows_in:,} ({reasons})"
    )


class _JsonLines(logging.Formatter):
    """One JSON object a line: time, event and its fields (names and counts, never record text)."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {})
        return json.dumps({"time": round(record.created, 3), "event": record.getMessage(), **fields})


def _log_to(path: Path) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_JsonLines())
    logger = logging.getLogger("curate")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
