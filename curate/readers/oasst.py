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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from curate.readers.base import (
    Finished,
    Origin,
    Reader,
    RecordError,
    optional,
    register_reader,
    require,
    signal,
    timestamp,
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


@register_reader("oasst")
class OASSTReader(Reader):
    sniff_priority: ClassVar[int] = 15

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
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
            return _tree_rows(record, "", {})
        identifier = _check(record, "")
        optional(record, "parent_id", str)
        if identifier in self._messages:
            raise RecordError("invalid_value", "message_id", "repeats the id of an earlier message")
        self._messages[identifier] = (record, origin)
        return []

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Rows of one nested tree record (the tree export layout)."""
        return _tree_rows(require(record, "prompt", dict), "prompt", unmapped(record, {"prompt"}))

    def finish(self) -> Finished:
        """Rows of the flat layout: one per assistant message whose whole path is present."""
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
            answered.update(m["message_id"] for m in path)
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
        """Messages whose path up to a root prompt cannot be built, and why."""
        known: dict[str, RecordError | None] = {}
        for start in self._messages:
            chain: list[str] = []
            current = start
            found: RecordError | None = None
            culprit: str | None = None
            while current not in known:
                if current in chain:
                    found = LOOP
                    break
                chain.append(current)
                message = self._messages[current][0]
                parent = message.get("parent_id")
                if parent is None:
                    if message["role"] != "prompter":
                        found = RecordError("invalid_value", "role", NOT_A_ROOT)
                    break
                if parent not in self._messages:
                    missing = f"parent message {parent} is not among the messages read"
                    found = RecordError("orphan", "parent_id", missing)
                    break
                current = parent
            else:
                culprit = current if known[current] is not None else None
            if found is not None and found is not LOOP:
                known[chain.pop()] = found
                culprit = current
            for identifier in chain:
                known[identifier] = found if culprit is None else _broken_ancestor(culprit)
        return {identifier: error for identifier, error in known.items() if error is not None}

    def _path_to(self, identifier: str) -> list[dict[str, Any]]:
        path = []
        current: str | None = identifier
        while current is not None:
            message = self._messages[current][0]
            path.append(message)
            current = message.get("parent_id")
        return path[::-1]


def _tree_rows(root: dict[str, Any], where: str, tree: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the tree under ``root`` (at field ``where``), each with the tree's fields in ``meta``."""
    prefix = f"{where}." if where else ""
    _check(root, prefix)
    if root["role"] != "prompter":
        raise RecordError("invalid_value", f"{prefix}role", NOT_A_ROOT)
    rows = [_row(path, tree) for path in _paths([root], where) if path[-1]["role"] == "assistant"]
    if not rows:
        raise RecordError("unanswered", f"{prefix}replies", "no assistant message answers the prompt")
    return rows


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


def _paths(path: list[dict[str, Any]], where: str) -> Iterator[list[dict[str, Any]]]:
    """Every path from the root of a nested tree, depth first, in the export's order."""
    yield path
    replies = optional(path[-1], "replies", list, f"{where}.replies" if where else "replies") or []
    for index, reply in enumerate(replies):
        field = f"{where}.replies[{index}]" if where else f"replies[{index}]"
        if not isinstance(reply, dict):
            raise RecordError("wrong_type", field, f"expected an object, got {type(reply).__name__}")
        _check(reply, f"{field}.")
        yield from _paths([*path, reply], field)


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
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise RecordError("wrong_type", "rank", "expected a whole number")
    return int(value)


def _thumbs(emojis: Any) -> Thumb | None:
    """``up`` / ``down`` from emoji counts, in either the dataset or the export layout."""
    if not isinstance(emojis, dict):
        return None
    if isinstance(emojis.get("name"), list) and isinstance(emojis.get("count"), list):
        counts = dict(zip(emojis["name"], emojis["count"], strict=False))
    else:
        counts = emojis
    up, down = counts.get("+1") or 0, counts.get("-1") or 0
    if not isinstance(up, int | float) or not isinstance(down, int | float) or up == down:
        return None
    return "up" if up > down else "down"
