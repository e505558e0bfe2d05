"""What the analyser is asked for a batch of rows, and where each answer belongs.

Each row contributes a list of texts: its turns (none when the source's redaction is
trusted), then its strings outside the messages (``curate.pii.fields``). Turns of the
scanned roles and every side string become requests, each with its mode; the findings come
back indexed by row and by position in the row's texts, which is what the scrubber and the
links between rows (``curate.pii.links``) read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from curate.pii.entities import Finding
from curate.pii.fields import SideText, believable, search_mode
from curate.pii.modes import name_mode, searched_language

Findings = tuple[Finding, ...]


@dataclass
class Batch:
    texts: list[list[str]] = field(default_factory=list)
    """Per row: the turns given to the scrubber, then the side strings."""
    requests: list[tuple[str, int]] = field(default_factory=list)
    """``(text, mode)`` for the analyser."""
    where: list[tuple[int, int, SideText | None]] = field(default_factory=list)
    """Per request: row, position in the row's texts, and the side string (None for a turn)."""
    messages_scanned: int = 0
    chars_scanned: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    """Turns searched for names, by the row's language (``und`` when unknown)."""

    def first_side(self, row: int, sides: int) -> int:
        """Where the row's side strings start in its texts (``sides``: how many it has)."""
        return len(self.texts[row]) - sides

    def by_row(self, found: Sequence[Findings]) -> dict[int, dict[int, Findings]]:
        """The analyser's answers to ``requests`` by row and position; side strings keep only
        believable findings (``fields.believable``)."""
        rows: dict[int, dict[int, Findings]] = {}
        for (row, index, side), findings in zip(self.where, found, strict=True):
            kept = believable(side, findings) if side else findings
            if kept:
                rows.setdefault(row, {})[index] = kept
        return rows


def batch_requests(
    conversations: Sequence[Sequence[dict[str, Any]]],
    sides: Sequence[Sequence[SideText]],
    skip: Sequence[bool],
    languages: Sequence[str | None],
    roles: frozenset[str],
    ner_roles: frozenset[str],
) -> Batch:
    """The requests of a batch: turns of ``roles`` (NER mode for ``ner_roles``) of rows not in
    ``skip``, and every side string (names searched unless ``ner_roles`` is empty)."""
    batch = Batch()
    for row, messages in enumerate(conversations):
        own: list[str] = []
        if not skip[row]:
            own = [message["content"] or "" for message in messages]
            for turn, message in enumerate(messages):
                if message["role"] in roles and message["content"]:
                    mode = name_mode(message["role"] in ner_roles, languages[row])
                    batch.requests.append((message["content"], mode))
                    batch.where.append((row, turn, None))
                    batch.messages_scanned += 1
                    batch.chars_scanned += len(message["content"])
                    searched = searched_language(mode, languages[row])
                    if searched is not None:
                        batch.languages[searched] += 1
        for side in sides[row]:
            batch.requests.append((side.text, search_mode(side.search, bool(ner_roles), languages[row])))
            batch.where.append((row, len(own), side))
            own.append(side.text)
        batch.texts.append(own)
    return batch
