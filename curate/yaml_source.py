"""Load YAML and remember the line of every key, so errors can point at it.

Anchors, aliases and merge keys (``<<: *defaults``) work as YAML 1.1 defines them: keys
written in a mapping win over merged ones, and of several merged mappings
(``<<: [*a, *b]``) the earlier wins. A merged key keeps the line it is written on, and
``merged_at`` tells the line of the ``<<`` that brought it in.

Aliases can make a small file expand into a huge document ("billion laughs"): a file whose
expansion passes ``MAX_NODES`` nodes (every scalar, mapping and list, counted at every place
an alias repeats it) is refused before anything is built from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from curate.errors import ConfigError, ConfigIssue
from curate.yaml_env import INVALID, expand

Loc = tuple[str | int, ...]
Pair = tuple[yaml.Node, yaml.Node]

MAX_NODES = 100_000
"""The most nodes a YAML document may expand to through its aliases."""
MAX_DEPTH = 100
"""The deepest a YAML document may nest (an alias inside its own anchor nests without end)."""
MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class YamlDocument:
    """Parsed YAML data plus the 1-based line of each path in it, and the text it came from."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    duplicates: list[tuple[Loc, int]] = field(default_factory=list)
    text: str | None = None
    merges: dict[Loc, int] = field(default_factory=dict)
    """Paths that came in through a ``<<`` merge -> the line of that ``<<``."""
    variables: list[ConfigIssue] = field(default_factory=list)
    """``${VAR}`` references that could not be filled in, one issue each."""

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc``, or of its nearest ancestor the file has."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None

    def merged_at(self, loc: Loc) -> int | None:
        """The line of the ``<<`` that brought ``loc`` (or its nearest merged ancestor) in."""
        for end in range(len(loc), 0, -1):
            line = self.merges.get(loc[:end])
            if line is not None:
                return line
        return None


def load_yaml(text: str, file: str | None = None, environ: Mapping[str, str] | None = None) -> YamlDocument:
    """Parse ``text``; a syntax error becomes a ``ConfigError`` that names the line.

    With ``environ``, ``${VAR}`` references in string values are filled in from it
    (``curate.yaml_env``); those that cannot be are listed in ``variables``.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        document = YamlDocument(None, text=text)
        if node is not None:
            merged = _resolve_merges(node)
            problems = _expand_variables(node, environ) if environ is not None else {}
            _walk(node, document, merged, problems, file)
            document.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or "invalid YAML"
        raise ConfigError([ConfigIssue("", f"invalid YAML: {problem}", line)], file) from exc
    except RecursionError as exc:
        raise ConfigError([ConfigIssue("", "invalid YAML: nested too deeply")], file) from exc
    finally:
        loader.dispose()
    return document


def _mappings(root: yaml.Node) -> list[yaml.MappingNode]:
    """Every distinct mapping node under ``root``, children before their parents."""
    seen: set[int] = set()
    order: list[yaml.MappingNode] = []
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)  # type: ignore[arg-type]
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.append((node, True))
            stack.extend((child, False) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, False) for child in node.value)
    return order


def _resolve_merges(root: yaml.Node) -> dict[int, dict[str, int]]:
    """Replace every ``<<`` by the pairs it merges; return, per mapping, merged key -> ``<<`` line.

    Written keys win over merged ones, and an earlier merged mapping over a later one; merged
    keys follow the written ones. A mapping is resolved after every mapping it contains, so a
    merged mapping that merges others is already whole when it is merged.
    """
    merged: dict[int, dict[str, int]] = {}
    for node in _mappings(root):
        written = [(key, value) for key, value in node.value if key.tag != MERGE_TAG]
        if len(written) == len(node.value):
            continue
        seen = {str(key.value) for key, _ in written}
        brought: list[Pair] = []
        via: dict[str, int] = {}
        for key, value in node.value:
            if key.tag != MERGE_TAG:
                continue
            for source in _merge_sources(node, key, value):
                for pair in source.value:
                    name = str(pair[0].value)
                    if name not in seen:
                        seen.add(name)
                        brought.append(pair)
                        via[name] = key.start_mark.line + 1
        node.value = written + brought
        merged[id(node)] = via
    return merged


def _merge_sources(node: yaml.MappingNode, key: yaml.Node, value: yaml.Node) -> list[yaml.MappingNode]:
    """The mappings a ``<<`` merges, in order; anything else is an error at the ``<<``."""
    sources: list[yaml.Node] = value.value if isinstance(value, yaml.SequenceNode) else [value]
    mappings = []
    for source in sources:
        if not isinstance(source, yaml.MappingNode) or source is node:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "`<<` takes a mapping or a list of mappings (other than the one it is in)",
                key.start_mark,
            )
        mappings.append(source)
    return mappings


def _expand_variables(root: yaml.Node, environ: Mapping[str, str]) -> dict[int, tuple[str, str | None]]:
    """Fill in ``${VAR}`` in every string value under ``root``; return node id -> (problem, hint)."""
    problems: dict[int, tuple[str, str | None]] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(value for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif node.tag == STR_TAG and "${" in node.value:
            expansion = expand(node.value, environ)
            node.value = expansion.text
            if expansion.invalid:
                problems[id(node)] = (INVALID, None)
            elif expansion.unset:
                names = ", ".join(expansion.unset)
                verb = "are" if len(expansion.unset) > 1 else "is"
                problems[id(node)] = (
                    f"environment variable {names} {verb} not set",
                    f"set it, or give a default: ${{{expansion.unset[0]}:-value}}",
                )
    return problems


def _walk(
    root: yaml.Node,
    document: YamlDocument,
    merged: dict[int, dict[str, int]],
    problems: dict[int, tuple[str, str | None]],
    file: str | None,
) -> None:
    """Record the line of every path, as the document expands, within ``MAX_NODES`` nodes."""
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    reported: set[int] = set()
    visited = 0
    while stack:
        node, loc = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            raise ConfigError(
                [
                    ConfigIssue(
                        "",
                        f"the file expands to more than {MAX_NODES:,} YAML nodes through its aliases",
                        None,
                        "a pipeline file never needs that many; is an alias repeating another alias?",
                    )
                ],
                file,
            )
        if len(loc) > MAX_DEPTH:
            issue = ConfigIssue(
                render_loc(loc[:3]),
                f"nested more than {MAX_DEPTH} levels deep",
                node.start_mark.line + 1,
                "is an alias used inside its own anchor?",
            )
            raise ConfigError([issue], file)
        document.lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in problems and id(node) not in reported:
            reported.add(id(node))
            message, hint = problems[id(node)]
            document.variables.append(ConfigIssue(render_loc(loc), message, node.start_mark.line + 1, hint))
        if isinstance(node, yaml.MappingNode):
            via = merged.get(id(node), {})
            seen: set[str] = set()
            children = []
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = (*loc, key)
                if key in seen and id(key_node) not in reported:
                    reported.add(id(key_node))
                    document.duplicates.append((child, key_node.start_mark.line + 1))
                seen.add(key)
                document.lines[child] = key_node.start_mark.line + 1
                if key in via:
                    document.merges[child] = via[key]
                children.append((value_node, child))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(item, (*loc, index)) for index, item in enumerate(node.value)]))


def render_loc(loc: Loc) -> str:
    """``("stages", 2, "dedup", "threshold")`` -> ``stages[2].dedup.threshold``.

    >>> render_loc(("stages", 2, "dedup", "threshold"))
    'stages[2].dedup.threshold'
    """
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
