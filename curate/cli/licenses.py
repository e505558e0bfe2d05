"""``curate licenses``: the license registry and a pipeline's license check, from the shell.

``curate.licensing.describe`` returns the data; this module renders it: rich tables for the
listings and the check, aligned fields for one entry. The group also runs on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import click

from curate.cli.errors import CurateGroup

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from curate.licensing.describe import Description, InputCheck, Listing, PipelineCheck

FOOTNOTE = (
    "Judged from each input's declared license before reading any data; records that carry "
    "their own license or model are judged again when the pipeline runs."
)


@click.group(cls=CurateGroup, invoke_without_command=True)
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
        from curate.licensing.describe import registry_rows

        rows = registry_rows(cast("Listing", listing))
        console().print(table(rows.columns, rows.rows))


@licenses.command()
@click.argument("key")
def show(key: str) -> None:
    """Show one license (any alias works), model-terms key or known dataset.

    Example: curate licenses show cc-by-nc-4.0
    """
    from curate.licensing.describe import describe

    click.echo(text_of(describe(key)))


@licenses.command()
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
def check(pipeline: str) -> None:
    """Show, before running, which inputs the pipeline's `license` stage would drop.

    Example: curate licenses check pipelines/demo.yaml
    """
    from curate.licensing.describe import check_pipeline

    result = check_pipeline(pipeline)
    rows = [(each.name, each.license or "-", each.use or "-", verdict(each)) for each in result.inputs]
    out = console()
    out.print(headline(result))
    out.print(table(("input", "license", "use class", "verdict"), rows))
    out.print(FOOTNOTE)


def console() -> Console:
    """A console for stdout; piped output (a file, a test) gets wide rows, not names folded over lines."""
    from rich.console import Console

    terminal = Console()
    return Console(highlight=False, width=terminal.width if terminal.is_terminal else 160)


def table(columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Table:
    """Rows under bold headers, without borders; the first column never wraps."""
    from rich.table import Table

    result = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        result.add_column(column, no_wrap=index == 0, overflow="fold")
    for row in rows:
        result.add_row(*row)
    return result


def text_of(description: Description) -> str:
    """The title, then one ``label value`` line per field with the values aligned."""
    lines = [description.title, *(f"  {label:<14} {value}" for label, value in description.fields)]
    return "\n".join(lines)


def headline(result: PipelineCheck) -> str:
    """The policy the check applied, or that there is none."""
    if result.policy is None:
        return "The pipeline has no license stage: no record is dropped for its license."
    policy = result.policy
    extras = [f"model_terms: {policy.model_terms}", f"unknown: {policy.unknown}"]
    if not policy.require_attribution:
        extras.append("require_attribution: false")
    return f"license stage: use {policy.use} ({', '.join(extras)})"


def verdict(each: InputCheck) -> str:
    """What the license stage would do with one input's records, in words."""
    if each.error:
        return f"cannot tell: {each.error}"
    if each.dropped_by:
        return f"dropped ({each.dropped_by})"
    if each.terms_dropped:
        return f"kept; replies by models under {', '.join(each.terms_dropped)} would be dropped"
    return "kept"
