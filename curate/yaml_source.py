"""Load YAML and remember the line of every key, so errors can point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from curate.errors import ConfigError, ConfigIssue

Loc = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed YAML data plus the 1-based line of each path in it, and the text it came from."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicates: list[tuple[Loc, int]] = field(default_factory=list)
    text: str | None = None

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest ancestor the file has."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None


def load_yaml(text: str, file: str | None = None) -> YamlDocument:
    """Parse ``text``; a syntax error becomes a ``ConfigError`` that names the line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or "invalid YAML"
        raise ConfigError([ConfigIssue("", f"invalid YAML: {problem}", line)], file) from exc
    finally:
        loader.dispose()
    document = YamlDocument(data, text=text)
    if node is not None:
        _walk(node, (), document)
    return document


def _walk(node: yaml.Node, loc: Loc, document: YamlDocument) -> None:
    document.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*loc, key)
            if key in seen:
                document.duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            document.lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, document)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), document)


def render_loc(loc: Loc) -> str:
    """``("stages", 2, "dedup", "threshold")`` -> ``stages[2].dedup.threshold``.

    >>> render_loc(("stages", 2, "dedup", "threshold"))
    'stages[2].dedup.threshold'
    """
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
