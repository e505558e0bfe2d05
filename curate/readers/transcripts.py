"""Conversations written as one string, and the prompt two conversations share.

HH-RLHF stores a whole dialogue in one string: ``"\\n\\nHuman: ...\\n\\nAssistant: ..."``.
``parse_transcript`` splits it into messages; ``split_prompt`` finds the prompt two answers
share (their longest common prefix, cut back to end with a user turn).

>>> parse_transcript("\\n\\nHuman: hi\\n\\nAssistant: hello", "chosen")
[{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}]
"""

from __future__ import annotations

import re

from curate.readers.base import RecordError

Message = dict[str, str]

MARKER = re.compile(r"\n\n(Human|Assistant):[ ]?")
TRANSCRIPT_START = re.compile(r"^\s*(Human|Assistant):")
SPEAKERS = {"Human": "user", "Assistant": "assistant"}


def is_transcript(value: object) -> bool:
    """True for a string holding HH-RLHF ``Human:`` / ``Assistant:`` turns."""
    return isinstance(value, str) and (TRANSCRIPT_START.match(value) is not None or "\n\nHuman:" in value)


def parse_transcript(text: str, field: str) -> list[Message]:
    """Messages of an HH-RLHF transcript; text before the first marker is refused."""
    parts = MARKER.split("\n\n" + text.lstrip("\n") if not text.startswith("\n\n") else text)
    if parts[0].strip():
        raise RecordError("invalid_value", field, "text before the first Human:/Assistant: marker")
    messages = [
        {"role": SPEAKERS[speaker], "content": content}
        for speaker, content in zip(parts[1::2], parts[2::2], strict=True)
    ]
    if not messages:
        raise RecordError("no_messages", field, "no Human:/Assistant: turn in the transcript")
    return messages


def split_prompt(
    first: list[Message], second: list[Message], fields: tuple[str, str]
) -> tuple[list[Message], list[Message], list[Message]]:
    """``(prompt, rest of first, rest of second)``: the shared prefix up to its last user turn.

    Both rests must start with an assistant turn, so a prompt always ends with the user.
    """
    shared = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        shared += 1
    while shared and first[shared - 1]["role"] != "user":
        shared -= 1
    if not shared:
        raise RecordError("no_shared_prompt", f"{fields[0]}, {fields[1]}", "no user turn starts both sides")
    for side, field in zip((first, second), fields, strict=True):
        if len(side) == shared:
            raise RecordError("invalid_value", field, "no assistant turn after the shared prompt")
    return first[:shared], first[shared:], second[shared:]
