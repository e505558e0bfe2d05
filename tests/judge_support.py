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

import re
from typing import Any

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
