"""Flags a source set on a record, read from the ``meta`` JSON column.

Each flag is a top-level key of ``meta`` as the source wrote it. A value may also be a list
(one entry per turn), and then any entry counts. A flag set on any entry of a ``turns``
list counts too: the oasst reader keeps there the fields of every message on the path to
the reply (a reply under a deleted prompt is as tainted as a deleted reply).

=========== =================== =============================================================
flag        key                 set when
=========== =================== =============================================================
toxic       ``toxic``           true (WildChat)
moderation  ``openai_moderation`` a dict, or any dict of a list, has ``flagged: true`` (WildChat)
redacted    ``redacted``        true (WildChat: PII was replaced in the text)
deleted     ``deleted``         true (OpenAssistant)
review      ``review_result``   false: reviewers rejected the message (OpenAssistant; null is
                                "not reviewed yet" and does not count)
=========== =================== =============================================================

>>> flags_of('{"toxic": false, "openai_moderation": [{"flagged": false}, {"flagged": true}]}')
['moderation']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

import orjson

Flag = Literal["toxic", "moderation", "redacted", "deleted", "review"]
FLAGS: Final[tuple[Flag, ...]] = ("toxic", "moderation", "redacted", "deleted", "review")
KEYS: Final[dict[Flag, str]] = {
    "toxic": "toxic",
    "moderation": "openai_moderation",
    "redacted": "redacted",
    "deleted": "deleted",
    "review": "review_result",
}


class UnreadableMetaError(ValueError):
    """``meta`` is not a JSON object."""


def flags_of(meta: str | None, wanted: tuple[Flag, ...] = FLAGS) -> list[Flag]:
    """The flags of ``wanted`` that ``meta`` sets, in ``FLAGS`` order.

    Raises ``UnreadableMetaError`` when ``meta`` is not a JSON object.
    """
    if not meta:
        return []
    try:
        data = orjson.loads(meta)
    except orjson.JSONDecodeError as exc:
        raise UnreadableMetaError("meta is not valid JSON") from exc
    if not isinstance(data, dict):
        raise UnreadableMetaError("meta is not a JSON object")
    turns = data.get("turns")
    scopes = (
        [data, *(turn for turn in turns if isinstance(turn, dict))] if isinstance(turns, list) else [data]
    )
    return [
        flag
        for flag in FLAGS
        if flag in wanted and any(_any(scope.get(KEYS[flag]), _TESTS[flag]) for scope in scopes)
    ]


def _any(value: Any, test: Callable[[Any], bool]) -> bool:
    if isinstance(value, list):
        return any(test(item) for item in value)
    return test(value)


def _flagged_by_moderation(value: Any) -> bool:
    return isinstance(value, dict) and value.get("flagged") is True


_TESTS: Final[dict[Flag, Callable[[Any], bool]]] = {
    "toxic": lambda value: value is True,
    "moderation": _flagged_by_moderation,
    "redacted": lambda value: value is True,
    "deleted": lambda value: value is True,
    "review": lambda value: value is False,
}
