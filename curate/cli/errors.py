"""How the ``curate`` command reports a ``CurateError``: red lines on stderr and its exit code."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from curate.errors import CurateError


def print_error(exc: CurateError) -> NoReturn:
    """Print a curate error as red lines on stderr and exit with its code (no traceback)."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=sys.stderr, highlight=False)
    for line in str(exc).splitlines() or [type(exc).__name__]:
        # Escaped: a message may hold brackets rich would take for markup (`curate[ray]`).
        console.print(f"[red]error:[/red] {escape(line)}", markup=True, soft_wrap=True)
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
