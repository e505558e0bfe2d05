"""HTML in chat exports, turned into the Markdown the model originally wrote.

Raw ShareGPT exports hold the ChatGPT page's rendering of each answer
(``<div class="markdown prose ..."><p>...``, ``<pre>`` blocks with a "Copy code" header,
lists, tables). ``has_html`` tells such a value from plain text or Markdown that merely
mentions a tag; ``to_markdown`` converts it with markdownify, without escaping ``*`` or
``_`` (the text is training data, not a page to render).

>>> has_html("Use `<p>` for paragraphs, and **bold** for emphasis.")
False
>>> to_markdown("<div><p>Hi <strong>there</strong></p><ul><li>one</li></ul></div>")
'Hi **there**\\n\\n- one'
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import Any

_BLOCKS = "p|div|pre|ol|ul|li|table|tr|td|th|h[1-6]|blockquote"
_OPEN = re.compile(rf"<({_BLOCKS})(?:\s[^<>]*)?>", re.IGNORECASE)
_CLOSE = re.compile(rf"</({_BLOCKS})\s*>", re.IGNORECASE)
_FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LANGUAGE_CLASS = re.compile(r"^(?:language|lang)-(.+)$")


def has_html(text: str) -> bool:
    """True when ``text`` holds a block element opened and closed outside Markdown code."""
    if "</" not in text:
        return False
    prose = _INLINE_CODE.sub("", _FENCED.sub("", text))
    opened = {match.lower() for match in _OPEN.findall(prose)}
    return any(match.lower() in opened for match in _CLOSE.findall(prose))


@functools.cache
def _converter() -> Any:
    """The converter, built on first use: most inputs hold no HTML, and bs4 is slow to import."""
    from markdownify import MarkdownConverter

    class ChatMarkdown(MarkdownConverter):
        def convert_button(self, el: Any, text: str, parent_tags: set[str]) -> str:
            return ""

        def convert_svg(self, el: Any, text: str, parent_tags: set[str]) -> str:
            return ""

    return ChatMarkdown(
        heading_style="atx",
        bullets="-",
        escape_asterisks=False,
        escape_underscores=False,
        escape_misc=False,
        code_language_callback=_code_language,
    )


def to_markdown(text: str) -> str:
    """Markdown for an HTML fragment; code blocks keep their language, page chrome is dropped."""
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

    with warnings.catch_warnings():
        # A short value that looks like a URL is still a message, not a file to open.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(text, "html.parser")
    for pre in soup.find_all("pre"):
        code = pre.find("code")
        if code is not None:
            # ChatGPT wraps each block in a header holding the language and a copy button.
            code.extract()
            pre.clear()
            pre.append(code)
    return str(_converter().convert_soup(soup)).strip()


def _code_language(pre: Any) -> str:
    code = pre.find("code")
    for name in (code.get("class") or []) if code is not None else []:
        match = _LANGUAGE_CLASS.match(name)
        if match:
            return match.group(1)
    return ""
