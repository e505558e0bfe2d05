"""Where a JSON value ends, found without parsing it: brackets and quotes only.

A JSON array's elements are parsed one by one so that a bad element costs only itself. The
standard library's decoder finds an element's end by parsing it, which fails on the very
elements that must be skipped (nested thousands deep, a number of 5,000 digits, a syntax
error inside): ``value_end`` finds the end by matching brackets outside strings, in a loop
(no recursion), so the reading goes on after such an element.

>>> text = '[{"a": [1, "]"]}, 2]'
>>> text[1:value_end(text, 1)]
'{"a": [1, "]"]}'
>>> value_end('[{"a": 1', 1) is None
True
>>> value_end('[{"a": ]', 1) is None
True
"""

from __future__ import annotations

import re
from typing import Final

_STRUCTURE: Final = re.compile(r'["\[\]{}]')
_STRING_STOP: Final = re.compile(r'["\\]')
_SCALAR_END: Final = re.compile(r"[\s,\]}]")
_CLOSER: Final = {"[": "]", "{": "}"}


def value_end(text: str, position: int) -> int | None:
    """The index just after the JSON value that starts at ``text[position]``; ``None`` when the
    text ends first or a bracket closes what it did not open. Nothing else is checked: a value
    with a syntax error inside still ends where its brackets close."""
    first = text[position]
    if first == '"':
        return _string_end(text, position + 1)
    if first not in "[{":
        scalar = _SCALAR_END.search(text, position)
        return scalar.start() if scalar else len(text)
    closers: list[str] = []
    index = position
    while True:
        found = _STRUCTURE.search(text, index)
        if found is None:
            return None
        char = found.group()
        index = found.end()
        if char == '"':
            end = _string_end(text, index)
            if end is None:
                return None
            index = end
        elif char in _CLOSER:
            closers.append(_CLOSER[char])
        elif char != closers.pop():
            return None  # a bracket closes what it did not open: where the value ends is unknown
        elif not closers:
            return index


def _string_end(text: str, index: int) -> int | None:
    """The index after the closing quote of a string whose content starts at ``index``."""
    while True:
        found = _STRING_STOP.search(text, index)
        if found is None:
            return None
        if found.group() == '"':
            return found.end()
        index = found.end() + 1  # the escaped character, whatever it is
