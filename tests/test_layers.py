"""The package's layers, read from its source with ``ast`` (nothing under ``curate`` is imported).

Two rules for the package's layers: nothing below the command line imports it, and no two
modules import each other, directly or around a loop, while they load. Imports inside
functions and under ``if TYPE_CHECKING:`` run later or never, so they may point anywhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "curate"
CLI = "curate.cli"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def sources() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@cache
def modules() -> dict[str, bool]:
    """Every module of the package by dotted name, True for a package's ``__init__``."""
    return {name: path.name == "__init__.py" for name, path in sources().items()}


@cache
def tree_of(name: str) -> ast.Module:
    return ast.parse(sources()[name].read_text(encoding="utf-8"), filename=str(sources()[name]))


def absolute(node: ast.ImportFrom, importer: str, known: Mapping[str, bool]) -> str:
    """The module a ``from ... import`` names, with relative imports resolved against ``importer``."""
    if not node.level:
        return node.module or ""
    package = importer if known.get(importer) else importer.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def targets(node: ast.Import | ast.ImportFrom, importer: str, known: Mapping[str, bool]) -> Iterator[str]:
    """The modules one import statement names: ``from p import m`` names ``p.m`` when ``m`` is a module."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    module = absolute(node, importer, known)
    for alias in node.names:
        submodule = f"{module}.{alias.name}"
        yield submodule if submodule in known else module


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run when the module loads: not in a function, not for type checkers."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            yield from load_time_imports(node.orelse)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(node, field, []):
                    inner = child.body if isinstance(child, ast.ExceptHandler | ast.match_case) else [child]
                    yield from load_time_imports(inner)


def ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def load_edges(importer: str, tree: ast.Module, known: Mapping[str, bool]) -> frozenset[str]:
    """The modules of ``known`` that loading ``importer`` makes Python load.

    Loading ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, so they count as
    imported too, except the importer's own packages: they are already loading when it runs,
    and count only when it names them itself (``from a.b import name_defined_there``).
    """
    own = set(ancestors(importer))
    edges: set[str] = set()
    for node in load_time_imports(tree.body):
        for target in targets(node, importer, known):
            edges.add(target)
            edges.update(package for package in ancestors(target) if package not in own)
    return frozenset(edge for edge in edges if edge in known and edge != importer)


@cache
def load_graph() -> dict[str, frozenset[str]]:
    """Each curate module -> the curate modules it makes Python load while it loads."""
    return {name: load_edges(name, tree_of(name), modules()) for name in modules()}


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """One loop through each strongly connected group of modules (Tarjan), in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for edge in sorted(graph[node]):
            if edge not in index:
                visit(edge)
                low[node] = min(low[node], low[edge])
            elif edge in stack:
                low[node] = min(low[node], index[edge])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted((loop_through(group, graph) for group in groups), key=lambda loop: loop[0])


def loop_through(group: set[str], graph: dict[str, frozenset[str]]) -> list[str]:
    """The shortest loop from the group's first module back to itself, for the failure message."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in sorted(graph[node] & group):
                if edge == start:
                    return [*paths[node], start]
                if edge not in paths:
                    paths[edge] = [*paths[node], edge]
                    following.append(edge)
        frontier = following
    raise AssertionError(f"no loop through {start}")  # pragma: no cover - a group always has one


def imports_cli(node: ast.Import | ast.ImportFrom, importer: str, known: Mapping[str, bool]) -> bool:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        module = absolute(node, importer, known)
        names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return any(name == CLI or name.startswith(f"{CLI}.") for name in names)


def test_nothing_below_the_command_line_imports_it() -> None:
    offenders = [
        f"{sources()[name].relative_to(PACKAGE.parent)}:{node.lineno}"
        for name in modules()
        if name != CLI and not name.startswith(f"{CLI}.")
        for node in ast.walk(tree_of(name))
        if isinstance(node, ast.Import | ast.ImportFrom) and imports_cli(node, name, modules())
    ]
    assert not offenders, "these modules import curate.cli:\n" + "\n".join(offenders)


def test_no_import_cycle_at_module_load() -> None:
    found = cycles(load_graph())
    assert not found, "import cycles at module load:\n" + "\n".join(" -> ".join(loop) for loop in found)


GRAPH = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (GRAPH, [["a", "b", "c", "a"]]),
        ({**GRAPH, "c": set()}, []),
        ({"x": {"y"}, "y": {"x", "z"}, "z": {"y"}}, [["x", "y", "x"]]),
    ],
)
def test_cycles_finds_each_loop_once(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles({node: frozenset(edges) for node, edges in graph.items()}) == expected


IMPORTS = """
import os
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import typed.only
else:
    import typed.otherwise
try:
    import fast
except ImportError:
    import slow
class Holder:
    import in_class
def later():
    import in_function
"""


def test_load_time_imports_skip_functions_and_type_checking() -> None:
    found = [alias.name for node in load_time_imports(ast.parse(IMPORTS).body) for alias in node.names]
    assert found == ["os", "TYPE_CHECKING", "typed.otherwise", "fast", "slow", "in_class"]


KNOWN = {
    "pkg": True,
    "pkg.a": False,
    "pkg.sub": True,
    "pkg.sub.b": False,
    "pkg.sub.c": False,
    "pkg.other": True,
    "pkg.other.d": False,
}


@pytest.mark.parametrize(
    ("importer", "source", "edges"),
    [
        ("pkg.a", "import os\nfrom pkg.sub.b import f", {"pkg.sub", "pkg.sub.b"}),
        ("pkg.a", "from pkg.sub import b, c", {"pkg.sub", "pkg.sub.b", "pkg.sub.c"}),
        ("pkg.a", "from pkg.sub import name", {"pkg.sub"}),
        ("pkg.a", "from pkg import sub", {"pkg.sub"}),
        ("pkg.sub.b", "from pkg.sub.c import f", {"pkg.sub.c"}),
        ("pkg.sub.b", "from pkg.sub import name", {"pkg.sub"}),
        ("pkg.sub.b", "from pkg.other.d import f", {"pkg.other", "pkg.other.d"}),
        ("pkg.sub.b", "from . import c\nfrom ..other import d", {"pkg.sub.c", "pkg.other", "pkg.other.d"}),
        ("pkg.sub", "from pkg.sub import b\nfrom pkg.sub.c import f", {"pkg.sub.b", "pkg.sub.c"}),
        ("pkg.a", "def f():\n    import pkg.sub.b", set()),
        ("pkg.a", "if TYPE_CHECKING:\n    import pkg.sub.b", set()),
    ],
)
def test_load_edges_skip_the_importers_own_packages(importer: str, source: str, edges: set[str]) -> None:
    assert load_edges(importer, ast.parse(source), KNOWN) == edges


@pytest.mark.parametrize(
    ("source", "importer", "imports"),
    [
        ("import curate.cli", "curate.runner", True),
        ("import curate.cli.run", "curate.runner", True),
        ("from curate.cli import print_error", "curate.runner", True),
        ("from curate.cli.errors import print_error", "curate.runner", True),
        ("from curate import cli", "curate.runner", True),
        ("from . import cli", "curate.runner", True),
        ("from .. import cli", "curate.licensing.describe", True),
        ("from ..cli import main", "curate.licensing.describe", True),
        ("from curate import config", "curate.runner", False),
        ("import curate.client", "curate.runner", False),
        ("from curate.clients import cli", "curate.runner", False),
    ],
)
def test_every_form_of_importing_the_cli_is_caught(source: str, importer: str, imports: bool) -> None:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.Import | ast.ImportFrom)
    assert imports_cli(node, importer, {"curate": True, "curate.licensing": True}) is imports


BELOW = ("curate.runner", "curate.result", "curate.executors", "curate.cli")
LAYERS = [
    ("curate.record", ("curate.stages", "curate.card", "curate.writers", "curate.readers", *BELOW)),
    ("curate.writers", ("curate.stages", "curate.card", *BELOW)),
    ("curate.card", ("curate.runner", "curate.result", "curate.executors", "curate.cli")),
    ("curate.stages", ("curate.card", "curate.writers", *BELOW)),
    ("curate.readers", ("curate.stages", "curate.card", "curate.writers", *BELOW)),
    ("curate.licensing", ("curate.stages", "curate.card", "curate.readers", *BELOW)),
    *[
        (mechanics, ("curate.stages", "curate.card", *BELOW))
        for mechanics in (
            "curate.text",
            "curate.dedup",
            "curate.pii",
            "curate.pairing",
            "curate.splitting",
            "curate.decontamination",
        )
    ],
]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


@pytest.mark.parametrize(("package", "forbidden"), LAYERS, ids=[package for package, _ in LAYERS])
def test_each_layer_imports_only_what_is_below_it(package: str, forbidden: tuple[str, ...]) -> None:
    graph = load_graph()
    offenders = sorted(
        f"{importer} -> {imported}"
        for importer, imported_set in graph.items()
        if within(importer, package)
        for imported in imported_set
        if any(within(imported, other) for other in forbidden)
    )
    assert not offenders, f"{package} reaches above itself at module load:\n" + "\n".join(offenders)
