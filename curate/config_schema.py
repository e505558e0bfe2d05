"""The JSON Schema of pipeline files (``curate schema``), with one entry per registered stage."""

from __future__ import annotations

from typing import Any

from curate import registry
from curate.config import PipelineFile


def pipeline_json_schema() -> dict[str, Any]:
    """JSON Schema of the pipeline file, with one entry per registered stage."""
    schema = PipelineFile.model_json_schema()
    definitions = schema.setdefault("$defs", {})
    choices = []
    for name in registry.stages.names():
        options_schema = registry.stages.get(name).Options.model_json_schema(ref_template="#/$defs/{model}")
        definitions.update(options_schema.pop("$defs", {}))
        choices.append(
            {
                "type": "object",
                "properties": {name: {"anyOf": [options_schema, {"type": "null"}]}},
                "required": [name],
                "additionalProperties": False,
            }
        )
    schema["properties"]["stages"]["items"] = {"oneOf": choices}
    schema["title"] = "curate pipeline"
    return schema
