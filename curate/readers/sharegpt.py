"""``sharegpt``: ``{id, conversations: [{from, value}]}``, as a JSON array or JSON Lines.

Roles ``human``/``user`` become ``user``; ``gpt``/``chatgpt``/``bard``/``bing``/``assistant``
become ``assistant``. Raw ShareGPT exports hold each answer as the chat page rendered it in
HTML; such values are turned back into Markdown (``options: {html: auto}``, the default, does
it only for values that hold HTML block markup, so plain text and Markdown pass untouched).
A top-level ``system`` string (LLaMA-Factory's ShareGPT layout) becomes the first message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from curate.readers.base import (
    Reader,
    ReaderOptions,
    RecordError,
    content_id,
    messages_of,
    optional,
    register_reader,
    turn_extras,
    unmapped,
)
from curate.readers.languages import take_language
from curate.readers.markup import has_html, to_markdown

MAPPED = frozenset({"id", "conversations", "system", "model"})


class ShareGPTOptions(ReaderOptions):
    html: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Turn HTML values into Markdown: when a value holds HTML markup (auto), "
        "for every value (always), or never.",
    )


@register_reader("sharegpt")
class ShareGPTReader(Reader):
    Options: ClassVar[type[ReaderOptions]] = ShareGPTOptions
    sniff_priority: ClassVar[int] = 50

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        turns = record.get("conversations")
        return (
            isinstance(turns, list)
            and bool(turns)
            and all(isinstance(turn, dict) and "from" in turn and "value" in turn for turn in turns)
            and "chosen" not in record
            and "rejected" not in record
        )

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        messages, extras = messages_of(record.get("conversations"), "conversations", "from", "value")
        html = self.options.html  # type: ignore[attr-defined]
        if html != "never":
            for index, message in enumerate(messages):
                if html == "always" or has_html(message["content"]):
                    message["content"] = _markdown(message["content"], f"conversations[{index}].value")
        system = optional(record, "system", str)
        if system:
            messages.insert(0, {"role": "system", "content": system})
            extras.insert(0, {})
        identifier = optional(record, "id", (str, int))
        meta = unmapped(record, MAPPED) | turn_extras(extras)
        return [
            {
                "id": str(identifier) if identifier is not None else content_id(messages),
                "messages": messages,
                "model": optional(record, "model", str),
                "language": take_language(meta, "lang", "language"),
                "meta": meta,
            }
        ]


def _markdown(text: str, field: str) -> str:
    try:
        return to_markdown(text)
    except RecursionError:  # markdownify recurses once per element level
        raise RecordError("too_deep", field, "HTML nested too deeply to turn into Markdown") from None
