"""Corpora and span bookkeeping shared by the pii benchmarks (not part of curate).

Detectors are judged by what they write, not by what they report: a replaced span is
recovered by aligning a scrubbed text (``<ENTITY>`` placeholders) with its original, so the
stage's echo removal, merging and skips count exactly as a user gets them, and presidio's
anonymizer output is read the same way.

The judges of "inside code" and "a technology name" here are the benchmark's own, written
independently of the stage's rules, so a figure cannot be improved by editing one list.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final, NamedTuple

import regex

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
LABELLED: Final = {
    "generated_large (development set)": SHARED / "pii" / "presidio_research_generated_large.json",
    "generated_small": SHARED / "pii" / "presidio_research_generated_small.json",
}
SHAREGPT_FIRST_TURNS: Final = SHARED / "sharegpt" / "mlenergy_sharegpt_first_turns.json"
WILDCHAT_SAMPLE: Final = SHARED / "wildchat" / "convotopo_wildchat_50_sample.json"
LANGUAGE_CODES: Final = {"English": "en", "Chinese": "zh", "Russian": "ru", "French": "fr", "Spanish": "es"}
STREET_WORD: Final = regex.compile(
    r"(?i)\b(?:street|st|road|rd|avenue|ave|boulevard|blvd|lane|ln|drive|dr|court|ct|place|way|terrace|"
    r"rue|via|calle|avenida|rua|\w+(?:straße|strasse|gasse|weg|platz|straat|gata|gatan))\b"
)
"""The benchmark's own test of an ADDRESS label holding a street (with a number): the labels the
stage's STREET_ADDRESS is meant to find; others label a postal code, a suite or a city alone."""
TITLE_ONLY: Final = regex.compile(r"(?i)^(?:mr|mrs|ms|miss|mx|dr|prof)\.?$")
"""A PERSON label that is a title alone (``Mr.``, ``dr.``): generated_large labels 42 titles
as PERSON and 13 others as PREFIX. The stage leaves titles in place by design (``Mr.
<PERSON>``: a title identifies no one), so these labels are counted apart (``name_label``)."""
GOALS: Final = {  # issue 13: the recall each entity type must reach
    "PERSON": 0.90,
    "PHONE_NUMBER": 0.95,
    "CREDIT_CARD": 0.98,
    "EMAIL_ADDRESS": 1.0,
    "IBAN_CODE": 1.0,
    "IP_ADDRESS": 1.0,
    "US_SSN": 1.0,
}

Messages = list[dict[str, str]]


class Replaced(NamedTuple):
    """One span of an original text that a detector's output replaced."""

    entity: str
    start: int
    end: int


def labelled(path: Path, entities: frozenset[str]) -> tuple[list[str], list[list[Replaced]]]:
    """Texts of a presidio-research file and their labelled spans of ``entities``."""
    records = json.loads(path.read_text("utf-8"))
    texts = [record["full_text"] for record in records]
    gold = [
        [
            Replaced(span["entity_type"], span["start_position"], span["end_position"])
            for span in record["spans"]
            if span["entity_type"] in entities
        ]
        for record in records
    ]
    return texts, gold


def name_label(text: str, label: Replaced) -> bool:
    """A PERSON label that holds a name, not a title alone (``TITLE_ONLY``)."""
    return label.entity == "PERSON" and TITLE_ONLY.match(text[label.start : label.end]) is None


def sharegpt_first_turns(limit: int | None = None) -> list[dict[str, Any]]:
    """Real ShareGPT first user turns, one single-turn conversation each (no language given)."""
    records = json.loads(SHAREGPT_FIRST_TURNS.read_text("utf-8"))[:limit]
    return [
        {"id": record["id"], "messages": [{"role": "user", "content": turn["value"]}]}
        for record in records
        for turn in record["conversations"][:1]
    ]


def wildchat_sample(limit: int | None = None) -> list[dict[str, Any]]:
    """The 50 real WildChat conversations, user and assistant turns, with their language."""
    records = json.loads(WILDCHAT_SAMPLE.read_text("utf-8"))[:limit]
    return [
        {
            "id": record["id"],
            "language": LANGUAGE_CODES.get(record["metadata"].get("language") or ""),
            "messages": [{"role": m["role"], "content": m["content"]} for m in record["messages"]],
        }
        for record in records
    ]


PLACEHOLDER: Final = regex.compile(r"<([A-Z][A-Z0-9_]*)>")


def replaced_spans(original: str, scrubbed: str) -> list[Replaced]:
    """The spans of ``original`` that became ``<ENTITY>`` placeholders in ``scrubbed``."""
    if original == scrubbed:
        return []
    parts = PLACEHOLDER.split(scrubbed)
    pattern = "".join(regex.escape(part) if index % 2 == 0 else "(.+?)" for index, part in enumerate(parts))
    try:
        match = regex.fullmatch(pattern, original, flags=regex.DOTALL, timeout=5)
    except TimeoutError:
        match = None
    if match is None:
        print(f"warning: could not align a scrubbed text of {len(original)} chars", file=sys.stderr)
        return []
    return [Replaced(parts[2 * k + 1], match.start(k + 1), match.end(k + 1)) for k in range(len(parts) // 2)]


FENCE: Final = regex.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", regex.DOTALL)
INLINE: Final = regex.compile(r"`[^`\n]+`")
CODE_LINE: Final = regex.compile(
    r"^[ \t]*(?:[{}()\[\];]"
    r"|(?:def|class|import|from|return|const|let|var|function|public|private|if|for|while)\b.*[:;{(]).*$"
    r"|.*[;{}][ \t]*$",
    regex.MULTILINE,
)


def code_regions(text: str) -> list[tuple[int, int]]:
    """Fenced blocks, inline code and lines that read as code (the benchmark's own judge)."""
    regions = [match.span() for match in FENCE.finditer(text)]
    regions += [match.span() for match in INLINE.finditer(text)]
    regions += [match.span() for match in CODE_LINE.finditer(text)]
    return regions


def in_code(text: str, span: Replaced, regions: list[tuple[int, int]]) -> bool:
    """Inside a code region, or glued to code punctuation (``a.Name``, ``Name(``, ``snake_Name``)."""
    if any(start <= span.start and span.end <= end for start, end in regions):
        return True
    before = text[max(0, span.start - 1) : span.start]
    after = text[span.end : span.end + 2]
    value = text[span.start : span.end]
    if before in {".", "_", "$", "#", "@"} or after[:1] in {"(", "_", "["} or regex.match(r"\.\w", after):
        return True
    return "_" in value or bool(regex.search(r"\p{Ll}\p{Lu}", value))


TECH_NAMES: Final = frozenset(
    name.casefold()
    for name in (  # noqa: SIM905
        "Firefox Chrome Safari Edge Opera Java JavaScript Python Linux Windows Ubuntu Debian Git GitHub "
        "GitLab Docker Kubernetes React Angular Vue Django Flask Spring Node Rust Kotlin Swift Ruby "
        "Rails Perl Haskell Scala Excel Word PowerPoint Outlook Photoshop Figma Slack Discord Zoom "
        "Teams Jira Notion Shopify WordPress Salesforce HubSpot Tableau Unity Unreal Android iOS macOS "
        "Siri Alexa Google Amazon Microsoft Apple Meta Facebook Instagram TikTok Twitter LinkedIn "
        "YouTube Netflix Spotify Tesla Uber Airbnb Mykonos Chennai Mumbai Dubai Paris London Tokyo "
        "Berlin Bali "
    ).split()
)


def counts_of(text: str, spans: list[Replaced]) -> dict[str, int]:
    """Replacements, and how many of them are in code or are a listed technology or place name."""
    regions = code_regions(text) if spans else []
    return {
        "replacements": len(spans),
        "person": sum(span.entity == "PERSON" for span in spans),
        "address": sum(span.entity == "STREET_ADDRESS" for span in spans),
        "profile": sum(span.entity == "PROFILE_URL" for span in spans),
        "in_code": sum(in_code(text, span, regions) for span in spans),
        "tech_names": sum(text[span.start : span.end].casefold() in TECH_NAMES for span in spans),
    }
