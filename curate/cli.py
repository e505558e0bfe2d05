"""The ``curate`` command: a thin shell over the library, one call per command.

Errors the library raises on purpose (``CurateError``) are printed as red lines, without a
traceback; the exit code is 2 for an invalid pipeline file and 1 for other failures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from curate.errors import CurateError
from curate.licensing.cli import licenses


def print_error(exc: CurateError) -> None:
    """Print a curate error as red lines on stderr and exit with its code (no traceback)."""
    from rich.console import Console

    console = Console(file=sys.stderr, highlight=False)
    for line in str(exc).splitlines() or [type(exc).__name__]:
        console.print(f"[red]error:[/red] {line}", markup=True, soft_wrap=True)
    raise SystemExit(exc.exit_code)


class CurateGroup(click.Group):
    """Turns ``CurateError`` into one red line per problem and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CurateError as exc:
            print_error(exc)
        except KeyboardInterrupt:
            # The run's staged output folder is removed on the way out; the previous one stays.
            click.echo("interrupted: nothing was written", err=True)
            raise SystemExit(130) from None


@click.group(cls=CurateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="curate")
def cli() -> None:
    """Turn raw chat logs into license-annotated preference pairs for DPO training."""


@cli.command()
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


@cli.command()
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
def validate(pipeline: str) -> None:
    """Check a pipeline file without reading any data.

    Example: curate validate pipelines/demo.yaml
    """
    from curate.runner import Pipeline

    checked = Pipeline.from_yaml(pipeline)
    checked.check_output(overwrite=True)
    config = checked.config
    stages = " -> ".join(spec.name for spec in config.stages) or "(no stages)"
    click.echo(f"{pipeline}: valid ({len(config.inputs)} inputs; {stages})")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of pipeline files, for editors to autocomplete.

    Example: curate schema > pipeline.schema.json
    """
    from curate.config_schema import pipeline_json_schema

    click.echo(json.dumps(pipeline_json_schema(), indent=2))


@cli.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", default="auto", show_default=True, help="Source format of an input file.")
@click.option("--rows", "-n", default=3, show_default=True, help="Rows to show.")
def inspect(path: str, fmt: str, rows: int) -> None:
    """Show how curate reads an input file, or summarise an output folder.

    Example: curate inspect data/wildchat.jsonl
    """
    from curate.inspect import inspect_path

    click.echo(inspect_path(Path(path), fmt, rows))


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--repo-id", help="Name the Hub repo (ORG/NAME) in the card's loading snippets.")
def card(folder: str, repo_id: str | None) -> None:
    """Rebuild the dataset card (README.md) and funnel chart of an output folder.

    Example: curate card out/demo-dpo
    """
    from curate.card import write_card

    written = write_card(Path(folder), repo_id)
    click.echo(f"wrote {', '.join(written)} in {folder}")


@cli.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--repo-id", required=True, help="The dataset repo to publish to, as ORG/NAME.")
@click.option("--private", is_flag=True, help="Create the repo as private.")
@click.option("--dry-run", is_flag=True, help="Run the checks and list the files; upload nothing.")
@click.option(
    "--allow-unscrubbed", is_flag=True, help="Publish although the run had no pii stage (still scanned)."
)
def publish(folder: str, repo_id: str, private: bool, dry_run: bool, allow_unscrubbed: bool) -> None:
    """Publish an output folder to the Hugging Face Hub: card, data/, chart and manifest, never rejects/.

    Refused when the run had no pii stage, when structured PII remains in the data, or when
    the run derived no license (or one that forbids redistribution). The card is rebuilt to
    name the repo before the upload. The token comes from HF_TOKEN or `hf auth login`.

    Example: curate publish out/demo-dpo --repo-id acme/demo-dpo --dry-run
    """
    from curate.errors import PublishError
    from curate.publish import publish as publish_folder

    plan = publish_folder(
        folder, repo_id, private=private, dry_run=dry_run, allow_unscrubbed=allow_unscrubbed
    )
    click.echo(plan.render())
    if dry_run:
        if not plan.ok:
            failed = len(plan.refusals)
            raise PublishError(f"publishing would be refused: {failed} of {len(plan.checks)} checks failed")
        click.echo("dry run: nothing was uploaded")


cli.add_command(licenses)


def main() -> None:
    cli(prog_name="curate")


if __name__ == "__main__":
    main()
