"""``curate inspect``: how curate reads an input file, or what an output folder holds."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", default="auto", show_default=True, help="Source format of an input file.")
@click.option("--rows", "-n", default=3, show_default=True, help="Rows to show.")
def inspect(path: str, fmt: str, rows: int) -> None:
    """Show how curate reads an input file, or summarise an output folder.

    Example: curate inspect data/wildchat.jsonl
    """
    from curate.inspect import inspect_path

    click.echo(inspect_path(Path(path), fmt, rows))
