"""Support for the pairs / split / decontaminate tests: a reader of canonical rows, and data.

``canonical_rows`` reads records that already have curate's columns (``messages``,
``group``, ``signal``, ``model``...), so pipeline tests can state the evidence directly
instead of depending on how each source reader maps it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from curate.readers.base import Reader, register_reader

FORMAT = "canonical_rows"
FIELDS = ("id", "messages", "model", "language", "license", "group", "prompt_cluster", "signal", "meta")


@register_reader(FORMAT)
class CanonicalRows(Reader):
    """Records in curate's own column layout (test data only)."""

    def convert(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        row = {key: record.get(key) for key in FIELDS}
        if isinstance(row["meta"], dict):
            row["meta"] = orjson.dumps(row["meta"]).decode()
        return [row]


def turn(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


TOPICS = (
    "how tides work",
    "why the sky is blue",
    "how to boil an egg",
    "what a prime number is",
    "how bees make honey",
    "why leaves change colour",
    "how a bicycle stays upright",
    "what causes thunder",
    "how vaccines train the body",
    "why bread rises",
    "how compilers read code",
    "what a black hole is",
)


def preference_records(copies: int = 1) -> list[dict[str, Any]]:
    """Records whose evidence yields pairs by four strategies, plus groups that yield none."""
    records: list[dict[str, Any]] = []
    for copy in range(copies):
        for number, topic in enumerate(TOPICS):
            prompt = f"Please explain {topic}, in two sentences. (variant {copy})"
            good = f"Here is a clear answer about {topic}: it follows from simple physics and biology. " * 2
            bad = f"I do not know much about {topic}."
            key = f"{copy}-{number}"
            kind = number % 4
            if kind == 0:
                sides = [("win", good, "model-a"), ("loss", bad, "model-b")]
                records += [
                    {
                        "id": f"battle-{key}-{side}",
                        "messages": [turn("user", prompt), turn("assistant", text)],
                        "model": model,
                        "group": f"battle-{key}",
                        "signal": {"outcome": outcome},
                        "license": "CC-BY-4.0",
                        "language": "en",
                    }
                    for side, (outcome, text, model) in enumerate(sides)
                ]
            elif kind == 1:
                records += [
                    {
                        "id": f"oasst-{key}-{rank}",
                        "messages": [turn("user", prompt), turn("assistant", text)],
                        "group": f"parent-{key}",
                        "signal": {"rank": rank},
                        "license": "Apache-2.0",
                        "language": "en",
                    }
                    for rank, text in enumerate([good, good + " In short: yes.", bad])
                ]
            elif kind == 2:
                records += [
                    {
                        "id": f"log-{key}-{model}",
                        "messages": [
                            turn("system", "Be brief."),
                            turn("user", prompt),
                            turn("assistant", text),
                        ],
                        "model": model,
                        "license": "ODC-BY-1.0",
                        "language": "en",
                    }
                    for model, text in (("gpt-4-0613", good), ("gpt-3.5-turbo", bad))
                ]
            else:
                records += [
                    {
                        "id": f"pref-{key}-{label}",
                        "messages": [turn("user", prompt), turn("assistant", text)],
                        "group": f"pref-{key}",
                        "signal": {"label": label},
                        "license": "MIT",
                        "language": "en",
                    }
                    for label, text in (("chosen", good), ("rejected", bad))
                ]
        records += [
            {
                "id": f"tie-{copy}-{side}",
                "messages": [turn("user", f"Say hello ({copy})"), turn("assistant", text)],
                "group": f"tie-{copy}",
                "signal": {"outcome": "tie"},
                "license": "CC-BY-4.0",
            }
            for side, text in enumerate(["Hello!", "Hi there!"])
        ]
    return records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


PIPELINE = """\
name: pairs-test
seed: 7
inputs:
  - name: mixed
    path: {data}
    format: canonical_rows
    license: MIT
    consent: granted
stages:
  - pairs:
      strategies: [battle, ranked, model_rank, given]
      model_rank: {{ranking: ["gpt-4*", "gpt-3.5*"]}}
  - decontaminate: {{against: [{evals}]}}
  - split: {{test_size: 0.25}}
output:
  dir: {out}
  formats: {formats}
  card: false
"""
