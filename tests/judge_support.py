"""A scripted world for generation and judging tests: who writes what, and which answer wins.

``referee`` is a ``ChatServer`` reply function. Generation requests get an answer whose
quality the model's name decides (``strong-*`` writes a thorough answer, any other model a
lazy one). Judge requests (they show answers between MT-Bench's markers) are decided by
quality: a thorough answer beats a lazy one, in whichever position; equal quality is a tie.
Two markers script the judge's failings: an answer containing ``BIAS`` makes the judge
always prefer the first answer shown (so the two orders disagree), and one containing
``GARBLE`` makes it answer without a verdict or rating.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.chat_server import Reply

ANSWER = re.compile(
    r"\[The Start of Assistant(?: (?P<side>[AB]))?'s Answer\]\n(?P<text>.*?)\n\[The End", re.S
)


def quality(answer: str) -> int:
    return 2 if "thorough" in answer.lower() else 1


def referee(body: dict[str, Any]) -> Reply:
    request = body["messages"][-1]["content"]
    answers = ANSWER.findall(request)
    if not answers:
        return Reply(write(body["model"], request, body.get("seed")))
    texts = [text for _, text in answers]
    if any("GARBLE" in text for text in texts):
        return Reply("Both have merits; hard to say.")
    if len(texts) == 1:
        return Reply(f"Assessed. Rating: [[{9 if quality(texts[0]) == 2 else 4}]]")
    a, b = texts
    if "BIAS" in a or "BIAS" in b:
        return Reply("The first answer reads better. [[A]]")
    if quality(a) == quality(b):
        return Reply("Equally good. [[C]]")
    return Reply("A is better. [[A]]" if quality(a) > quality(b) else "B is better. [[B]]")


def write(model: str, question: str, seed: Any) -> str:
    if model.startswith("strong"):
        return f"A thorough answer to '{question}' by {model} (sample {seed}), with reasons and an example."
    return f"Dunno, ask {model} later (sample {seed})."


QUESTIONS = (
    "How do tides work?",
    "Why is the sky blue?",
    "How do bees make honey?",
    "What is a prime number?",
    "Why does bread rise?",
    "What causes thunder?",
)
GENERATOR_KEY = "sk-gen-6b0f2e71-must-not-be-written"
JUDGE_KEY = "sk-judge-91c3aa5d-must-not-be-written"
PIPELINE = """\
name: judged
seed: 3
inputs:
  - name: logs
    path: logs.jsonl
    format: openai
    license: CC-BY-4.0
    consent: granted
stages:
  - normalize: {{}}
  - generate:
      models:
        - {{base_url: "{url}", model: strong-olmo, api_key_env: GEN_API_KEY, n: 1, backoff: 0.01}}
        - {{base_url: "{url}", model: weak-olmo, api_key_env: GEN_API_KEY, n: 2, backoff: 0.01}}
      send_unscrubbed: true
      cache_dir: cache
  - license: {{use: noncommercial}}
  - pairs:
      strategies: [judge]
      judge:
        base_url: "{url}"
        model: gpt-4o
        api_key_env: JUDGE_API_KEY
        backoff: 0.01
        send_unscrubbed: true
        cache_dir: cache
  - split: {{test_size: 0.34, seed: 0}}
output:
  dir: out
  formats: [parquet, jsonl]
"""


def log_records() -> list[dict[str, Any]]:
    """One logged reply per question (WildChat-like): lazy, thorough, one the judge garbles."""
    replies = [
        "Dunno.",
        "A thorough reply: light scatters.",
        "GARBLE",
        "Dunno, sorry.",
        "Yeast.",
        "Ask later.",
    ]
    return [
        {"id": f"log-{n}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": r}]}
        for n, (q, r) in enumerate(zip(QUESTIONS, replies, strict=True))
    ]


def write_judged_pipeline(folder: Path, url: str) -> Path:
    """The logs and the pipeline file (generate with two models, then the judge) in ``folder``."""
    (folder / "logs.jsonl").write_text("".join(json.dumps(record) + "\n" for record in log_records()))
    path = folder / "pipeline.yaml"
    path.write_text(PIPELINE.format(url=url), encoding="utf-8")
    return path


def set_keys(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("GEN_API_KEY", GENERATOR_KEY)
    monkeypatch.setenv("JUDGE_API_KEY", JUDGE_KEY)
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "xdg-cache"))
