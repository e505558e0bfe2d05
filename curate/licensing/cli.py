"""``curate licenses``: the license registry and a pipeline's license check, from the shell.

Each command is one call into ``curate.licensing.describe``. The group is added to the
``curate`` command; it also runs on its own (``python -m curate.licensing.cli``).
"""

from __future__ import annotations

from typing import Any

import click

from curate.errors import CurateError


class LicensesGroup(click.Group):
    """Prints a ``CurateError`` as the ``curate`` command does, when the group runs on its own."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CurateError as exc:
            # Imported here: curate.cli imports this module to add the group.
            from curate.cli import print_error

            print_error(exc)


def _console() -> Any:
    from rich.console import Console

    terminal = Console()
    # Piped output (a file, a test) gets wide rows rather than names folded over lines.
    return Console(highlight=False, width=terminal.width if terminal.is_terminal else 160)


@click.group(cls=LicensesGroup, invoke_without_command=True)
@click.option(
    "--list",
    "listing",
    type=click.Choice(["licenses", "terms", "sources"]),
    default="licenses",
    show_default=True,
    help="What to list: licenses, model-output terms, or known datasets.",
)
@click.pass_context
def licenses(ctx: click.Context, listing: str) -> None:
    """List the license registry: each license's use class, attribution and share-alike.

    Example: curate licenses --list terms
    """
    if ctx.invoked_subcommand is None:
        from curate.licensing.describe import registry_table

        _console().print(registry_table(listing))  # type: ignore[arg-type]


@licenses.command()
@click.argument("key")
def show(key: str) -> None:
    """Show one license (any alias works), model-terms key or known dataset.

    Example: curate licenses show cc-by-nc-4.0
    """
    from curate.licensing.describe import describe

    click.echo(describe(key))


@licenses.command()
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
def check(pipeline: str) -> None:
    """Show, before running, which inputs the pipeline's `license` stage would drop.

    Example: curate licenses check pipelines/demo.yaml
    """
    from curate.licensing.describe import check_pipeline

    result = check_pipeline(pipeline)
    console = _console()
    console.print(result.headline())
    console.print(result.table())
    console.print(result.footnote())


if __name__ == "__main__":
    licenses(prog_name="curate licenses")
