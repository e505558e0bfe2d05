"""Where a text holds code, so that training data keeps its code intact.

Pasted code is the bulk of many chat turns, and a recognizer that reads it as prose
corrupts it: ``window.scrollTo(0, offset)`` is not a person, nor ``Event.COMPLETE``, nor a
version or port shaped like a phone number. ``code_regions`` returns the spans a reader
would call code:

- fenced blocks (````` ``` ````` or ``~~~``, an unclosed fence runs to the end) and inline
  code in backticks;
- lines that read as code: ending in ``;``, ``{`` or ``}``, starting with a keyword of a
  common language (``def``, ``import``, ``const``, ``#include``, ``SELECT``...), or
  holding an operator prose never uses (``=>``, ``->``, ``::``, ``==``, ``!=``, ``&&``,
  ``||``, ``+=``, ``</``);
- identifiers anywhere: dotted names (``a.b``, ``Event.COMPLETE``), ``snake_case``,
  ``camelCase`` and ``PascalCase`` with an inner capital (but not ``McDonald``,
  ``DiCaprio``, ``O'Neil``), and a name called like a function (``scrollTo(``).

``masked`` blanks those spans with spaces (newlines kept), so NER reads the prose around
code with every offset unchanged.

>>> text = "Ask Ada: call `window.scrollTo(0, y)` or obj.reset() now"
>>> [text[s:e] for s, e in code_regions(text)]
['`window.scrollTo(0, y)`', 'obj.reset']
"""

from __future__ import annotations

from typing import Final

import regex

FENCE: Final = regex.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", regex.DOTALL)
INLINE: Final = regex.compile(r"`[^`\n]+`")
KEYWORDS: Final = (
    r"def|class|import|from\s+\S+\s+import|return|const|let|var|function|public|private|protected|static"
    r"|async|await|elif|else:|try:|except|catch|finally|package|using|namespace|struct|enum|interface"
    r"|template|typedef|#include|#define|#import|@\w+|SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP"
    r"|print\(|console\.|System\.|fn|func|impl|pub|val|echo|sudo|pip|npm|git|cd|export"
)
CODE_LINE: Final = regex.compile(
    rf"^[ \t]*(?:(?:{KEYWORDS})(?![\w-]).*"
    r"|.*(?:=>|->|::|==|!=|&&|\|\||\+=|</|/>).*"
    r"|.*[;{}][ \t]*)$",
    regex.MULTILINE,
)
NAME_PREFIX: Final = r"(?:Mc|Mac|Di|De|Da|Du|Le|La|Lo|Van|Von|Fitz|O['’])"
IDENTIFIER: Final = regex.compile(
    r"(?<![\w.])(?:"
    r"[\p{L}_$][\w$]*(?:\.[\p{L}_$][\w$]*)+(?:\(\)?)?"  # a.b, obj.method(
    r"|[\w$]*_[\w$]*\p{L}[\w$]*"  # snake_case
    r"|\p{Ll}+\p{Lu}[\w$]*"  # camelCase
    rf"|(?!{NAME_PREFIX}\p{{Lu}}\p{{Ll}}+(?![\w$]))\p{{Lu}}\p{{Ll}}+\p{{Lu}}[\w$]*"  # PascalCase
    r"|[\p{L}_$][\w$]*(?=\()"  # a call: name(
    r")(?![\w$])"
)
IN_CODE: Final = frozenset({"EMAIL_ADDRESS", "IBAN_CODE", "PROFILE_URL"})
"""Entities still reported inside code: personal wherever they appear, and self-validating (a
URL's host is a dotted name, which this module counts as code)."""
ABBREVIATION: Final = regex.compile(r"^(?:\p{L}{1,3}\.)+\p{L}{0,3}$")
"""``e.g``, ``i.e``, ``U.S``, ``Ph.D``: dotted, but abbreviations of prose."""


def code_regions(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are code, sorted by start (they may overlap)."""
    if not text:
        return []
    regions = [match.span() for match in FENCE.finditer(text)] if "```" in text or "~~~" in text else []
    if "`" in text:
        regions += [match.span() for match in INLINE.finditer(text)]
    regions += [match.span() for match in CODE_LINE.finditer(text)]
    regions += [match.span() for match in IDENTIFIER.finditer(text) if not ABBREVIATION.match(match.group())]
    return sorted(regions)


def inside(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    """True when ``[start, end)`` overlaps any region."""
    return any(r_start < end and start < r_end for r_start, r_end in regions)


def masked(text: str, regions: list[tuple[int, int]]) -> str:
    """``text`` with every region blanked by spaces (newlines kept), same length."""
    if not regions:
        return text
    chars = list(text)
    for start, end in regions:
        for index in range(start, end):
            if chars[index] != "\n":
                chars[index] = " "
    return "".join(chars)
