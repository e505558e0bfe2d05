"""Name -> class registries for stages and readers.

A decorator registers a class under a name; a second class under the same name is refused,
so two plugins cannot silently shadow each other. Third-party stages are found through the
``curate.stages`` entry-point group and third-party readers through ``curate.readers``.

>>> from curate.registry import Registry
>>> shapes: Registry[type] = Registry("shape")
>>> @shapes.register("square")
... class Square: ...
>>> shapes.get("square") is Square
True
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from curate.errors import CurateError

if TYPE_CHECKING:
    from curate.readers.base import Reader
    from curate.stages.base import Stage

T = TypeVar("T")


class RegistryError(CurateError, KeyError):
    """A stage or format name is unknown, or registered twice (also a ``KeyError``, for lookups)."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Classes by name, for one kind of plug-in (``stage`` or ``reader``)."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self._entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._plugins_loaded = entry_point_group is None

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(item: T) -> T:
            self.add(name, item)
            return item

        return decorate

    def add(self, name: str, item: T) -> None:
        existing = self._items.get(name)
        if existing is not None and existing is not item:
            raise RegistryError(f"{self.kind} {name!r} is already registered by {existing!r}")
        self._items[name] = item

    def get(self, name: str) -> T:
        self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            raise RegistryError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        message = f"unknown {self.kind} {name!r}"
        suggestion = self.suggest(name)
        if suggestion:
            return f"{message}; did you mean {suggestion!r}?"
        return f"{message}; known: {', '.join(self.names())}"

    def suggest(self, name: str) -> str | None:
        matches = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        assert self._entry_point_group is not None
        for entry_point in entry_points(group=self._entry_point_group):
            self.add(entry_point.name, entry_point.load())


stages: Registry[type[Stage[Any]]] = Registry("stage", "curate.stages")
readers: Registry[type[Reader]] = Registry("format", "curate.readers")
