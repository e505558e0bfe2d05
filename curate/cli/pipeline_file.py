"""``curate validate`` and ``curate schema``: pipeline files checked before any data is read."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--input",
    "inputs",
    metavar="NAME=PATH",
    multiple=True,
    help="Check input NAME as read from PATH, as `curate run --input` would; repeatable.",
)
def validate(pipeline: str, inputs: tuple[str, ...]) -> None:
    """Check a pipeline file without reading any data (nor listing remote files).

    Example: curate validate pipelines/demo.yaml
    """
    from curate.config_inputs import parse_overrides
    from curate.runner import Pipeline

    checked = Pipeline.from_yaml(pipeline, inputs=parse_overrides(inputs))
    checked.check_output(overwrite=True)
    config = checked.config
    stages = " -> ".join(spec.name for spec in config.stages) or "(no stages)"
    click.echo(f"{pipeline}: valid ({len(config.inputs)} inputs; {stages})")


@click.command()
def schema() -> None:
    """Print the JSON Schema of pipeline files, for editors to autocomplete.

    Example: curate schema > pipeline.schema.json
    """
    from curate.config_schema import pipeline_json_schema

    click.echo(json.dumps(pipeline_json_schema(), indent=2))
