"""Pydantic validation errors as ``ConfigIssue``s: a path, a plain message and a hint."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from curate.errors import ConfigError, ConfigIssue
from curate.yaml_source import Loc, YamlDocument, render_loc

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: dict[str, Any], where: str, prefix: Loc = (), context: Any = None) -> M:
    """``model`` validated from ``data``, or a ``ConfigError`` naming ``where`` and each bad key.

    For settings given in Python rather than in a pipeline file, such as ``curate.read``'s
    arguments: ``read(): license: unknown license 'CC-BY-4'; did you mean 'CC-BY-4.0'?``.
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(issues_from(exc, prefix, model, YamlDocument(data)), where) from exc


def issues_from(
    exc: ValidationError, prefix: Loc, model: type[BaseModel], document: YamlDocument
) -> list[ConfigIssue]:
    issues = []
    for error in exc.errors(include_url=False):
        loc: Loc = (*prefix, *error["loc"])
        message, hint = _describe(error, model, tuple(error["loc"]))
        merged_at = document.merged_at(loc)
        if merged_at is not None:
            via = f"merged in by `<<` on line {merged_at}"
            hint = f"{hint}; {via}" if hint else via
        issues.append(ConfigIssue(render_loc(loc), message, document.line_of(loc), hint))
    return issues


def _describe(error: Any, model: type[BaseModel], loc: Loc) -> tuple[str, str | None]:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]!r}?" if close else (f"known keys: {', '.join(known)}" if known else None)
        )
        return f"unknown key {key!r}", hint
    if kind == "missing":
        return f"missing required key {str(loc[-1])!r}", None
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float | bool) and kind != "value_error":
        message += f" (got {value!r})"
    return message, None


def _fields_at(model: Any, loc: Loc) -> list[str]:
    """The keys a model accepts at ``loc``, for 'did you mean' hints."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip ``X | None`` down to ``X``."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return options[0] if len(options) == 1 else annotation
    return annotation
