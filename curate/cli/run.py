"""``curate run``: run a pipeline file and write its output folder."""

from __future__ import annotations

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
def run(
    pipeline: str, output_dir: str | None, strict: bool, quiet: bool, workers: int | None, overwrite: bool
) -> None:
    """Run a pipeline file and write its output folder.

    The output folder is replaced whole at the end of the run, so it must be new, empty, or
    an earlier curate output; anything else is refused unless --overwrite.

    Example: curate run pipelines/demo.yaml
    """
    from curate.runner import Pipeline

    result = Pipeline.from_yaml(pipeline).run(
        output_dir=output_dir, strict=strict, quiet=quiet, workers=workers, overwrite=overwrite
    )
    if not quiet:
        click.echo(f"wrote {result.output.height:,} {result.kind} to {result.output_dir}", err=True)
