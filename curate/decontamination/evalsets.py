"""Evaluation sets as plain texts, from the layouts benchmarks ship in.

- MT-Bench: ``{"question_id", "turns": [str, ...]}``: each turn is a text.
- Arena-Hard: ``{"question_id", "turns": [{"content": str}, ...]}``.
- Chat: ``{"messages": [{"role", "content"}, ...]}``: the user turns.
- Plain: ``{"prompt": str}`` (the field name is an option).

A record's id is its ``question_id``, ``uid`` or ``id``, else its line number. Files may be
JSON Lines, a JSON array or Parquet, optionally compressed, as for inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.errors import StageError
from curate.readers.files import iter_raw_records

ID_FIELDS = ("question_id", "uid", "id")
MAX_RECORD_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class EvalText:
    """One text of an evaluation set, named by its file and the id of its record."""

    file: str
    id: str
    text: str


def read_eval_set(path: Path, text_field: str = "prompt") -> list[EvalText]:
    """Every text of the evaluation set at ``path``; ``StageError`` names a record it cannot use."""
    texts: list[EvalText] = []
    for raw in iter_raw_records(path, path.name, MAX_RECORD_BYTES):
        where = f"evaluation set {path.name}, line {raw.line}"
        if not raw.ok:
            raise StageError(f"{where}: {raw.reason} ({raw.detail})")
        if not isinstance(raw.value, dict):
            raise StageError(f"{where}: expected a JSON object per record")
        found = texts_of(raw.value, text_field)
        if found is None:
            raise StageError(
                f"{where}: no `turns`, `messages` or `{text_field}` field "
                "(expected MT-Bench, Arena-Hard, chat messages or plain prompt records)"
            )
        identifier = next((raw.value[key] for key in ID_FIELDS if raw.value.get(key) is not None), raw.line)
        texts.extend(EvalText(path.name, str(identifier), text) for text in found if text.strip())
    return texts


def texts_of(record: dict[str, Any], text_field: str) -> list[str] | None:
    """The texts of one record, or ``None`` when it has none of the known layouts."""
    turns = record.get("turns")
    if isinstance(turns, list):
        return [_content(turn) for turn in turns if _content(turn)]
    messages = record.get("messages")
    if isinstance(messages, list):
        return [
            _content(message)
            for message in messages
            if isinstance(message, dict) and message.get("role") in ("user", "human") and _content(message)
        ]
    value = record.get(text_field)
    if isinstance(value, str):
        return [value]
    return None


def _content(turn: Any) -> str:
    if isinstance(turn, str):
        return turn
    if isinstance(turn, dict) and isinstance(turn.get("content"), str):
        return str(turn["content"])
    return ""
