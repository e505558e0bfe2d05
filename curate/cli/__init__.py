"""The ``curate`` command: a thin shell over the library, one call per command.

This package owns the command line: the group (here), error printing (``errors``) and one
module per command family: ``run``; ``pipeline_file`` (``validate``, ``schema``);
``inspect``; ``folders`` (``card``, ``publish``); ``licenses``. A command may call any part
of curate, importing it inside the command so that ``curate --help`` loads little; no module
of curate outside this package imports it.

Errors the library raises on purpose (``CurateError``) are printed as red lines, without a
traceback; the exit code is 2 for an invalid pipeline file and 1 for other failures.
"""

from __future__ import annotations

import click

from curate.cli import folders, inspect, licenses, pipeline_file, run
from curate.cli.errors import CurateGroup, print_error

__all__ = ["CurateGroup", "cli", "main", "print_error"]


@click.group(cls=CurateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="curate")
def cli() -> None:
    """Turn raw chat logs into license-annotated preference pairs for DPO training."""


for command in (
    run.run,
    pipeline_file.validate,
    pipeline_file.schema,
    inspect.inspect,
    folders.card,
    folders.publish,
    licenses.licenses,
):
    cli.add_command(command)


def main() -> None:
    """The ``curate`` console script."""
    cli(prog_name="curate")
