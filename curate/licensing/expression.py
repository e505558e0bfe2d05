"""License expressions: parsing, the licenses one names, combining them, writing them out.

A row's license is an SPDX-style expression over registry keys::

    A AND B         both apply (a pair whose sides come from two sources)
    A OR B          the licensee may choose either
    A WITH E        A, with the exception E (``GPL-2.0 WITH Classpath-exception-2.0``)
    (A OR B) AND C  parentheses group; AND binds tighter than OR

Parsing goes through the ``license-expression`` library with no symbol table: any name that
is not an operator is a license, so registry keys that are not SPDX ids (``unspecified``,
``research-only``), aliases (``cc by 4.0``) and keys the registry does not know parse as
written; the registry (``curate.licensing.registry``) then resolves each name. Nothing is
loaded or fetched: the library's bundled SPDX list is never read.

Expressions are written out in one canonical form: nested ``AND`` (and ``OR``) flattened,
repeated operands dropped, operands sorted, parentheses only where needed. An ``AND`` of
plain keys is therefore ``A AND B``, sorted, as before ``OR`` and ``WITH`` were known.

What the operators mean for a row's use is ``curate.licensing.policy``'s business: ``AND`` the
most restrictive part, ``OR`` the least restrictive alternative, ``WITH`` its base license.

>>> combine_licenses(["ODC-BY-1.0", "CC-BY-4.0 AND MIT", None])
'CC-BY-4.0 AND MIT AND ODC-BY-1.0'
>>> str(parse_expression("mit or (apache-2.0 and cc0-1.0)"))
'(apache-2.0 AND cc0-1.0) OR mit'
>>> license_parts("GPL-2.0 WITH Classpath-exception-2.0 OR MIT")
['GPL-2.0', 'MIT']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from license_expression import ExpressionError, LicenseSymbol, LicenseWithExceptionSymbol, Licensing

from curate.errors import LicenseError

UNSPECIFIED = "unspecified"
"""The license of content that states none (a registry key)."""

_LICENSING = Licensing()
T = TypeVar("T")


class LicenseExpressionError(LicenseError, ValueError):
    """A license expression does not parse (also a ``ValueError``, for validators)."""


@dataclass(frozen=True)
class Term:
    """One license, with the exception that amends it, if any."""

    key: str
    exception: str | None = None

    def __str__(self) -> str:
        return f"{self.key} WITH {self.exception}" if self.exception else self.key


@dataclass(frozen=True)
class AllOf:
    """Every operand applies (``AND``); build with ``all_of``."""

    operands: tuple[Expression, ...]

    def __str__(self) -> str:
        return " AND ".join(f"({o})" if isinstance(o, AnyOf) else str(o) for o in self.operands)


@dataclass(frozen=True)
class AnyOf:
    """The licensee may choose any one operand (``OR``); build with ``any_of``."""

    operands: tuple[Expression, ...]

    def __str__(self) -> str:
        return " OR ".join(f"({o})" if isinstance(o, AllOf) else str(o) for o in self.operands)


Expression = Term | AllOf | AnyOf


def all_of(operands: Iterable[Expression]) -> Expression | None:
    """``A AND B ...`` in canonical form; the operand itself when there is one, ``None`` for none."""
    return _join(AllOf, operands)


def any_of(operands: Iterable[Expression]) -> Expression | None:
    """``A OR B ...`` in canonical form; the operand itself when there is one, ``None`` for none."""
    return _join(AnyOf, operands)


def _join(kind: type[AllOf] | type[AnyOf], operands: Iterable[Expression]) -> Expression | None:
    flat: dict[str, Expression] = {}
    for operand in operands:
        for item in operand.operands if isinstance(operand, kind) else (operand,):
            flat.setdefault(str(item), item)
    if len(flat) <= 1:
        return next(iter(flat.values()), None)
    return kind(tuple(flat[text] for text in sorted(flat)))


def parse_expression(text: str | None, *, strict: bool = True) -> Expression | None:
    """The expression ``text`` writes, in canonical form; ``None`` for null or blank.

    A ``text`` that does not parse raises ``LicenseExpressionError`` naming it and the
    problem (``'MIT AND' is not a license expression: AND requires two or more licenses...``);
    with ``strict=False`` it is one license named by the whole text, as a record's odd
    ``license`` field is (the registry will not know it).

    >>> parse_expression("MIT AND", strict=False)
    Term(key='MIT AND', exception=None)
    """
    if text is None or not text.strip():
        return None
    try:
        return _parse(text.strip())
    except LicenseExpressionError:
        if strict:
            raise
        return Term(text.strip())


@lru_cache(maxsize=4096)
def _parse(text: str) -> Expression:
    try:
        node = _LICENSING.parse(text)
    except ExpressionError as exc:
        raise LicenseExpressionError(f"{text!r} is not a license expression: {_problem(exc)}") from None
    except Exception as exc:  # the parser fails on some malformed text, "( )" an IndexError
        raise LicenseExpressionError(f"{text!r} is not a license expression: {_problem(None)}") from exc
    if node is None:  # pragma: no cover - blank text is handled by the caller
        raise LicenseExpressionError(f"{text!r} is not a license expression: it names no license")
    return _convert(node)


def _problem(exc: Exception | None) -> str:
    message = str(exc).strip().rstrip(".") if exc else "the parser cannot read it"
    return f"{message}; write license keys joined by AND, OR or WITH, with parentheses around groups"


def _convert(node: Any) -> Expression:
    """The library's parse tree as ``Term`` / ``AllOf`` / ``AnyOf``."""
    if isinstance(node, LicenseWithExceptionSymbol):
        return Term(str(node.license_symbol.key), str(node.exception_symbol.key))
    if isinstance(node, LicenseSymbol):
        return Term(str(node.key))
    operands = [_convert(arg) for arg in node.args]
    joined = all_of(operands) if isinstance(node, _LICENSING.AND) else any_of(operands)
    assert joined is not None  # the library's AND and OR have two operands or more
    return joined


def evaluate(
    expression: Expression,
    term: Callable[[Term], T],
    both: Callable[[Sequence[T]], T],
    either: Callable[[Sequence[T]], T],
) -> T:
    """Fold ``expression``: ``term`` of each license, ``both`` of ``AND`` operands, ``either`` of ``OR``'s.

    >>> evaluate(parse_expression("A OR (B AND C)"), lambda t: 1, sum, max)
    2
    """
    if isinstance(expression, Term):
        return term(expression)
    values = [evaluate(operand, term, both, either) for operand in expression.operands]
    return both(values) if isinstance(expression, AllOf) else either(values)


def rename(expression: Expression, key: Callable[[str], str]) -> Expression:
    """``expression`` with each license key replaced by ``key(it)`` (exceptions as written)."""
    if isinstance(expression, Term):
        return Term(key(expression.key), expression.exception)
    operands = [rename(operand, key) for operand in expression.operands]
    joined = all_of(operands) if isinstance(expression, AllOf) else any_of(operands)
    assert joined is not None  # joining one operand or more gives an expression
    return joined


def terms(expression: Expression | None) -> list[Term]:
    """Every license of ``expression`` with its exception, in canonical order, each once."""
    if expression is None:
        return []
    found = evaluate(expression, lambda t: [t], _concat, _concat)
    return list(dict.fromkeys(found))


def has_choice(expression: Expression | None) -> bool:
    """True when ``expression`` offers a choice of licenses somewhere (an ``OR``)."""
    return expression is not None and evaluate(expression, lambda t: False, any, lambda _: True)


def license_parts(text: str | None) -> list[str]:
    """The license keys ``text`` names, as written: each once, exceptions left out.

    Null or blank names none; text that does not parse is one key (see ``parse_expression``).
    """
    return list(dict.fromkeys(t.key for t in terms(parse_expression(text, strict=False))))


def combine_licenses(texts: Iterable[str | None]) -> str:
    """The license of content made of parts under ``texts``: all of them, as one ``AND``.

    ``unspecified`` when no part states a license.

    >>> combine_licenses(["MIT", "MIT"])
    'MIT'
    >>> combine_licenses(["MIT OR Apache-2.0", "CC-BY-4.0"])
    '(Apache-2.0 OR MIT) AND CC-BY-4.0'
    """
    parsed = (parse_expression(text, strict=False) for text in texts)
    combined = all_of(expression for expression in parsed if expression is not None)
    return str(combined) if combined is not None else UNSPECIFIED


def _concat(lists: Sequence[list[T]]) -> list[T]:
    return [item for items in lists for item in items]
