"""``oasst``: OpenAssistant conversation trees (oasst1, oasst2), flat or nested.

Every assistant message becomes one row whose messages are the path from the tree's root
prompt down to it; replies to the same message share ``group`` (the parent's id), carry
their ``signal.rank`` and, when emoji reactions exist, ``signal.thumbs`` (more ``+1`` than
``-1`` is up, fewer is down). ``user`` is the reply's author; the fields of every message on
the path other than its text and role stay in ``meta.turns``, the reply's own in ``meta``.

Two layouts:

- flat message rows (the Hugging Face datasets): ``{message_id, parent_id, user_id,
  created_date, text, role, lang, review_count, review_result, deleted, rank, synthetic,
  model_name, emojis, labels, message_tree_id, tree_state, ...}``. A path needs messages
  from anywhere in the input, so the reader keeps them and builds rows in ``finish``: a
  message whose parent (or an ancestor) is missing is an ``orphan`` reject, a prompt no
  reply answers is an ``unanswered`` reject, each with its own file and line.
- nested trees, one per record: the tree export ``{message_tree_id, tree_state, prompt:
  {..., replies: [...]}}``, or the root message itself with its nested ``replies`` (a
  message with no ``parent_id`` whose ``replies`` is a list).

A row holds its whole path, so a chain of n messages would give rows of n/2 messages on
average: ``options: {max_depth: N}`` (default 100) caps a path's length. A flat message
deeper than that is a ``too_deep`` reject (and so a prompt whose replies all are, an
``unanswered`` one); a nested tree deeper than that is a ``too_deep`` reject whole. Either
way the work is linear in the input's size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Final

from pydantic import Field

from curate.readers.base import (
    Finished,
    Origin,
    Reader,
    ReaderOptions,
    RecordError,
    optional,
    register_reader,
    require,
    signal,
    timestamp,
    unexpected,
    unmapped,
)
from curate.readers.languages import take_language
from curate.schema import Thumb

ROLES = {"prompter": "user", "assistant": "assistant"}
REPLY_MAPPED = frozenset(
    {"message_id", "parent_id", "text", "role", "user_id", "created_date", "rank", "model_name", "replies"}
)
TURN_MAPPED = frozenset({"text", "role", "replies"})
NOT_A_ROOT = "a tree must start with a prompter message"
LOOP = RecordError("orphan", "parent_id", "the chain of parent messages loops")
MAX_DEPTH: Final = 100
INT64: Final = 2**63


class OASSTOptions(ReaderOptions):
    max_depth: int = Field(
        MAX_DEPTH,
        ge=2,
        description="Most messages on a path from the root prompt: deeper messages are too_deep rejects "
        "(a row holds its whole path, so this bounds the work per row).",
    )


@register_reader("oasst")
class OASSTReader(Reader):
    Options: ClassVar[type[ReaderOptions]] = OASSTOptions
    sniff_priority: ClassVar[int] = 15

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.max_depth: int = self.options.max_depth  # type: ignore[attr-defined]
        self._messages: dict[str, tuple[dict[str, Any], Origin]] = {}

    @classmethod
    def sniff(cls, record: Mapping[str, Any]) -> bool:
        if "message_tree_id" in record and isinstance(record.get("prompt"), dict):
            return True
        return "message_id" in record and "text" in record and record.get("role") in ROLES

    def read(self, record: dict[str, Any], origin: Origin) -> list[dict[str, Any]]:
        if "prompt" in record and "message_id" not in record:
            return self.convert(record)
        if isinstance(record.get("replies"), list) and record.get("parent_id") is None:
            return _tree_rows(record, "", {}, self.max_depth)
        identifier = _check(record, "")
        optional(record, "parent_id", str)
        if identifier in self._messages:
            raise RecordError("invalid_value", "message_id", "repeats the id of an earlier message")
        self._messages[identifier] = (record, origin)
        return []

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Rows of one nested tree record (the tree export layout)."""
        prompt = require(record, "prompt", dict)
        return _tree_rows(prompt, "prompt", unmapped(record, {"prompt"}), self.max_depth)

    def finish(self) -> Finished:
        """Rows of the flat layout: one per assistant message whose whole path is present.

        Time and memory are linear in the number of messages times ``max_depth``: each
        message's depth is found once, and no path is longer than the cap.
        """
        refused = self._broken_paths()
        answered: set[str] = set()
        finished = Finished()
        for identifier, (message, origin) in self._messages.items():
            if identifier in refused or message["role"] != "assistant":
                continue
            path = self._path_to(identifier)
            try:
                row = _row(path, {})
            except RecordError as exc:  # the reply's own fields (rank, created_date, ...)
                refused[identifier] = exc
                continue
            except Exception as exc:  # one message never ends the run
                refused[identifier] = unexpected(exc, "oasst")
                continue
            for step in reversed(path):  # the ancestors up to one marked before
                if step["message_id"] in answered:
                    break
                answered.add(step["message_id"])
            finished.rows.append((origin, [row]))
        for identifier, (_, origin) in self._messages.items():
            if identifier in refused:
                finished.rejects.append((origin, refused[identifier]))
            elif identifier not in answered:
                error = RecordError("unanswered", "message_id", "no assistant message answers this prompt")
                finished.rejects.append((origin, error))
        self._messages = {}
        return finished

    def _broken_paths(self) -> dict[str, RecordError]:
        """Messages whose path up to a root prompt cannot be built, or is longer than
        ``max_depth``, and why; every message is walked over once."""
        depth: dict[str, int] = {}
        broken: dict[str, RecordError] = {}
        for start in self._messages:
            chain: list[str] = []
            on_chain: set[str] = set()
            current = start
            base, found, culprit = 0, None, None
            while True:
                if current in depth:
                    base = depth[current]
                    break
                if current in broken:
                    culprit = current
                    break
                if current in on_chain:
                    found = LOOP
                    break
                chain.append(current)
                on_chain.add(current)
                message = self._messages[current][0]
                parent = message.get("parent_id")
                if parent is None:
                    if message["role"] != "prompter":
                        found, culprit = RecordError("invalid_value", "role", NOT_A_ROOT), current
                    break
                if parent not in self._messages:
                    missing = f"parent message {parent} is not among the messages read"
                    found, culprit = RecordError("orphan", "parent_id", missing), current
                    break
                current = parent
            if found is LOOP:
                broken.update(dict.fromkeys(chain, LOOP))
                continue
            if culprit is not None:
                if found is not None:
                    broken[chain.pop()] = found
                broken.update(dict.fromkeys(chain, _broken_ancestor(culprit)))
                continue
            for step, identifier in enumerate(reversed(chain), start=base + 1):
                depth[identifier] = step
        for identifier, steps in depth.items():
            if steps > self.max_depth:
                broken[identifier] = _too_deep("parent_id", self.max_depth)
        return broken

    def _path_to(self, identifier: str) -> list[dict[str, Any]]:
        path = []
        current: str | None = identifier
        while current is not None:
            message = self._messages[current][0]
            path.append(message)
            current = message.get("parent_id")
        return path[::-1]


def _tree_rows(
    root: dict[str, Any], where: str, tree: dict[str, Any], max_depth: int
) -> list[dict[str, Any]]:
    """Rows of the tree under ``root`` (at field ``where``), each with the tree's fields in ``meta``."""
    prefix = f"{where}." if where else ""
    _check(root, prefix)
    if root["role"] != "prompter":
        raise RecordError("invalid_value", f"{prefix}role", NOT_A_ROOT)
    paths = _paths(root, where, max_depth)
    rows = [_row(path, tree) for path in paths if path[-1]["role"] == "assistant"]
    if not rows:
        raise RecordError("unanswered", f"{prefix}replies", "no assistant message answers the prompt")
    return rows


def _too_deep(field: str, max_depth: int) -> RecordError:
    return RecordError("too_deep", field, f"a path holds more than max_depth {max_depth} messages")


def _broken_ancestor(identifier: str) -> RecordError:
    return RecordError("orphan", "parent_id", f"ancestor message {identifier} has no path to a root prompt")


def _check(message: Mapping[str, Any], where: str) -> str:
    """Validate the fields a message must have; return its id."""
    identifier = require(message, "message_id", str, f"{where}message_id")
    role = require(message, "role", str, f"{where}role")
    if role not in ROLES:
        raise RecordError("invalid_value", f"{where}role", "expected prompter or assistant")
    require(message, "text", str, f"{where}text")
    return str(identifier)


def _paths(root: dict[str, Any], where: str, max_depth: int) -> Iterator[list[dict[str, Any]]]:
    """Every path from the root of a nested tree, depth first, in the export's order (a loop,
    not recursion, so a deep tree costs no stack; deeper than ``max_depth`` is a reject)."""
    stack: list[tuple[list[dict[str, Any]], str]] = [([root], where)]
    while stack:
        path, field = stack.pop()
        if len(path) > 1:
            reply = path[-1]
            if not isinstance(reply, dict):
                raise RecordError("wrong_type", field, f"expected an object, got {type(reply).__name__}")
            _check(reply, f"{field}.")
        yield path
        key = f"{field}.replies" if field else "replies"
        replies = optional(path[-1], "replies", list, key) or []
        if replies and len(path) >= max_depth:
            raise _too_deep(f"{where}.replies" if where else "replies", max_depth)
        stack.extend(
            ([*path, reply], f"{key}[{index}]") for index, reply in reversed(list(enumerate(replies)))
        )


def _row(path: list[dict[str, Any]], tree: dict[str, Any]) -> dict[str, Any]:
    reply = path[-1]
    meta = tree | unmapped(reply, REPLY_MAPPED)
    meta["turns"] = [unmapped(message, TURN_MAPPED) for message in path]
    return {
        "id": reply["message_id"],
        "messages": [{"role": ROLES[m["role"]], "content": m["text"]} for m in path],
        "model": optional(reply, "model_name", str),
        "language": take_language(meta, "lang"),
        "user": optional(reply, "user_id", str),
        "created_at": timestamp(reply.get("created_date"), "created_date"),
        "group": path[-2]["message_id"] if len(path) > 1 else None,
        "signal": signal(rank=_rank(reply.get("rank")), thumbs=_thumbs(reply.get("emojis"))),
        "meta": meta,
    }


def _rank(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError("wrong_type", "rank", "expected a whole number")
    if isinstance(value, float) and not math.isfinite(value):
        raise RecordError("invalid_value", "rank", "expected a finite whole number")
    if value != int(value):
        raise RecordError("wrong_type", "rank", "expected a whole number")
    if not -INT64 <= value < INT64:
        raise RecordError("invalid_value", "rank", "out of the 64-bit range")
    return int(value)


def _thumbs(emojis: Any) -> Thumb | None:
    """``up`` / ``down`` from emoji counts, in either the dataset or the export layout; counts
    that are not finite numbers (or names that are not strings) are no evidence."""
    if not isinstance(emojis, dict):
        return None
    if isinstance(emojis.get("name"), list) and isinstance(emojis.get("count"), list):
        pairs = zip(emojis["name"], emojis["count"], strict=False)
        counts = {name: count for name, count in pairs if isinstance(name, str)}
    else:
        counts = emojis
    up, down = counts.get("+1") or 0, counts.get("-1") or 0
    if not (_count(up) and _count(down)) or up == down:
        return None
    return "up" if up > down else "down"


def _count(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)
