"""``${VAR}`` references in a pipeline file's string values, filled in from the environment.

Three forms, in string scalars only (never in keys, never turning a string into a number):

- ``${NAME}``: the variable's value; a variable that is not set is an error.
- ``${NAME:-default}``: the value, or ``default`` when the variable is unset or empty.
- ``$${``: a literal ``${``.

Any other ``${`` is an error, so a typo never passes through as text. A value that needs a
number or a boolean (``seed: ${SEED}``) is converted by the option's model, as a quoted
``"7"`` would be.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

_REFERENCE = re.compile(
    r"\$\$\{"  # an escaped ${
    r"|\$\{(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|(?P<bad>))"
)
INVALID = "a `${` that is not `${NAME}` or `${NAME:-default}` (write `$${` for a literal `${`)"


class Expansion(NamedTuple):
    """A string with its references filled in, and what could not be filled."""

    text: str
    unset: tuple[str, ...]
    """Variables referenced without a default and not set, in order of appearance."""
    invalid: bool
    """True when the string holds a ``${`` of neither form."""


def expand(text: str, environ: Mapping[str, str]) -> Expansion:
    """Fill in the references of ``text`` from ``environ``.

    >>> expand("${ROOT}/a.jsonl", {"ROOT": "/data"}).text
    '/data/a.jsonl'
    >>> expand("${MISSING:-fallback} costs $${ONE}", {}).text
    'fallback costs ${ONE}'
    >>> expand("${MISSING}", {}).unset
    ('MISSING',)
    """
    unset: list[str] = []
    invalid = False

    def replace(match: re.Match[str]) -> str:
        nonlocal invalid
        if match.group(0) == "$${":
            return "${"
        if match.group("bad") is not None:
            invalid = True
            return match.group(0)
        name = match["name"]
        value = environ.get(name)
        default = match["default"]
        if default is not None and not value:
            return default
        if value is None:
            unset.append(name)
            return match.group(0)
        return value

    return Expansion(_REFERENCE.sub(replace, text), tuple(dict.fromkeys(unset)), invalid)
