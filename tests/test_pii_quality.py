"""The pii stage's quality held in place: recall on the development set, decoys, real code.

The development set (presidio-research's generated_large) is the one the stage's rules
were written against, so its figures are optimistic; these tests hold them so that they
cannot silently regress. The decoys and the real ShareGPT turns hold precision.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.pii_corpora import GOALS, Replaced, labelled, name_label, replaced_spans
from curate.pii.code import IN_CODE
from curate.pii.words import not_people
from curate.stages.base import RunContext, Stage
from curate.stages.pii import PiiOptions
from tests.helpers import conversation, frame

HELD = GOALS
"""What the development-set test holds, over the labels that could identify someone: IP
addresses but loopback ones (the file's 11 are all found), and PERSON labels that hold a
name (``name_label``: the file also labels 42 titles alone, ``Mr.``, as PERSON, which the
stage leaves in place by design). PERSON measured 0.929 there (1272 of 1369; 0.906 before
the accent-blind name list and the cues of issue 13's last pass, which were written while
reading this set's misses)."""
ALL_PERSON_LABELS = 0.90
"""PERSON over every label, titles alone included: 0.9015 (1272 of 1411; 0.879 before)."""


def default_stage() -> Stage[Any]:
    from curate import registry

    return registry.stages.get("pii")(PiiOptions(), RunContext(workers=1))


def scrub(texts: list[str], **columns: Any) -> list[str]:
    rows = frame(*(conversation(f"c{n}", ("user", text), **columns) for n, text in enumerate(texts)))
    kept = default_stage()(rows).kept
    return [messages[0]["content"] for messages in kept["messages"].to_list()]


def personal(span: Replaced, text: str) -> bool:
    """Labels that identify someone: loopback IPs and titles alone do not (the stage skips
    them by design)."""
    if span.entity == "IP_ADDRESS":
        return not ipaddress.ip_address(text[span.start : span.end]).is_loopback
    return span.entity != "PERSON" or name_label(text, span)


def test_a_private_address_leaves_prose_and_stays_in_code() -> None:
    prose, code = scrub(
        [
            "Our search node at 10.15.192.115 stopped answering.",
            'The config:\n```\nhost = "10.15.192.115"\nport = 9300\n```',
        ]
    )
    assert "10.15.192.115" not in prose and "<IP_ADDRESS>" in prose
    assert "10.15.192.115" in code


@pytest.mark.slow
def test_development_set_recall_holds_the_goals(shared_data: Path) -> None:
    texts, gold = labelled(shared_data / "pii" / "presidio_research_generated_large.json", frozenset(GOALS))
    found = [replaced_spans(text, out) for text, out in zip(texts, scrub(texts), strict=True)]
    everyone = "PERSON, titles alone included"
    labels: dict[str, int] = dict.fromkeys([*GOALS, everyone], 0)
    recalled: dict[str, int] = dict.fromkeys([*GOALS, everyone], 0)
    for text, truth, spans in zip(texts, gold, found, strict=True):
        for label in truth:
            hit = any(s.entity == label.entity and s.start < label.end and label.start < s.end for s in spans)
            if label.entity == "PERSON":
                labels[everyone] += 1
                recalled[everyone] += hit
            if personal(label, text):
                labels[label.entity] += 1
                recalled[label.entity] += hit
    recall = {entity: recalled[entity] / labels[entity] for entity in labels}
    held = HELD | {everyone: ALL_PERSON_LABELS}
    assert {e: r for e, r in recall.items() if r < held[e]} == {}, recall


PLANTED = [
    ("Hi, I'm Olamide Oyelaran and I need a cover letter.", "Olamide Oyelaran"),
    ("Directed By: Johannes Varvio. Summarise the film.", "Johannes Varvio"),
    ("Is Faina D. Yefremova's thesis on solar cells good?", "Faina D. Yefremova"),
    ("My colleague Esteban Quispe wrote this; make it shorter.", "Esteban Quispe"),
    ("Write a birthday poem for Marisol Etxeberria, she loves the sea.", "Marisol Etxeberria"),
    ("Dear Tobias Lindqvist, thank you for the offer.", "Tobias Lindqvist"),
]


@pytest.mark.parametrize(("prompt", "name"), PLANTED, ids=[name for _, name in PLANTED])
def test_no_part_of_a_planted_name_survives_in_any_turn(prompt: str, name: str) -> None:
    parts = [part.rstrip(".") for part in name.split() if len(part.rstrip(".")) > 1]
    first, last = parts[0], parts[-1]
    reply = (
        f"Of course, {first}! Here is a draft. {last}'s version is below.\n\n"
        f"Best regards,\n{name}\n\nP.S. {first.lower()}, tell me if {last} should change anything."
    )
    rows = frame(
        conversation("c1", ("user", prompt), ("assistant", reply), ("user", f"Thanks! {first} here."))
    )
    texts = [m["content"] for m in default_stage()(rows).kept["messages"].to_list()[0]]
    survivors = [(part, text) for text in texts for part in parts if part.casefold() in text.casefold()]
    assert survivors == []


DECOYS = [
    "I upgraded to Python 3.11.7 and numpy 2.4.6 yesterday.",
    "Release v10.0.19041 shipped with build 22621.2428.",
    "The meeting is on 2024-03-01 at 14:30, see ISO 8601.",
    "2023-11-05T14:32:10Z ERROR worker-3 timeout after 30s",
    "[2024-03-01 12:30:45,123] INFO pid=4242 started",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it",
    "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "uuid 123e4567-e89b-12d3-a456-426614174000 is the key",
    "Run the server on localhost:8080 and the database on port 5432.",
    "Expose ports 3000 8000 and 8080 in the Dockerfile.",
    "Use GPT-4, Llama 3 70B or Mistral 7B for this task.",
    "Compare Claude 3 Opus, Gemini 1.5 Pro and Qwen2-72B.",
    "Fine-tune bert-base-uncased with a learning rate of 2e-5.",
    "window.scrollTo(0, offset) does not work in Firefox and Chrome.",
    "Event.COMPLETE fires before loader.contentLoaderInfo is ready.",
    "Why does my_var = user_name.strip() fail?",
    "const totalConvos = await prisma.conversation.count();",
    "SELECT name FROM users WHERE id = 42 LIMIT 10;",
    "def parse(user_name: str) -> None:\n    print(user_name)",
    '```java\nString name = "Brandon Walsh";\nSystem.out.println(name);\n```',
    "Call `getUserById(1234567)` and then `setTimeout(cb, 1500)`.",
    "The box is 120 x 80 x 45 cm and weighs 12.5 kg.",
    "The tower is 1 250 000 mm tall, about 1,250 m.",
    "A distance of 120 000 km at 299 792 458 m/s.",
    "It costs $ 1 200 000 or 1.200.000 EUR.",
    "Population grew from 7.8 billion in 2020 to 8.1 billion in 2024.",
    "The years 2019 2020 and 2021 were hard.",
    "Pi is 3.14159265358979 and e is 2.718281828459.",
    "Order #123456789 shipped in 3-5 business days.",
    "ISBN 978-3-16-148410-0 is the first edition.",
    "The ratio was 16:9 at 1920x1080 and 60 fps.",
    "Page 12 of 345, chapter 7, section 2.3.4.",
    "Install it with pip install torch==2.1.0 transformers==4.35.2.",
    "npm install react@18.2.0 react-dom@18.2.0",
    "git checkout -b feature/login && git push origin HEAD",
    "docker run -p 8080:80 -v /data:/data nginx:1.25",
    "The CPU runs at 3.6 GHz with 16 GB RAM and a 512 GB SSD.",
    "Temperature rose 2.5 °C from 14.1 to 16.6 between 1990 and 2020.",
    "Our Q3 revenue was 4 532 000 USD, up 12 %.",
    "Coordinates: 48.8566, 2.3522 and 40.7128, -74.0060.",
    "Ping 8.8.8.8 or 1.1.1.1 and then 127.0.0.1.",
    "Use Excel, PowerPoint and Outlook on Windows 11.",
    "Deploy to AWS Lambda with Node 18 and Terraform 1.6.",
    "I vacationed in Mykonos and then flew to Chennai.",
    "Learn Java, Kotlin and Swift on Linux with Git.",
    "The Chinese and Japanese markets differ from the Indian one.",
    "Stop beating around the bush and give me the answer.",
    "Format the output as JSON and include an Array of items.",
    "Summarise the Premium plan: 20 articles, 1,500 words each.",
    "The HTTP 404 and 503 codes mean different things.",
    "Set max_tokens=2048, temperature=0.7 and top_p=0.95.",
    "Matrix A is 3x3: [[1, 2, 3], [4, 5, 6], [7, 8, 9]].",
    "Version 2.0.0-beta.1 replaced 1.9.12.",
    "The invoice INV-2023-00042 is due on 2023-12-31.",
    "Rust 1.74 and Go 1.21 are the latest stable releases.",
    "My Tesla Model 3 gets 358 miles of range.",
    "Netflix, Spotify and YouTube raised prices in 2023.",
    "The Eiffel Tower is 330 m tall and in Paris.",
    "Use React 18 with Next.js 14 and Tailwind 3.3.",
    "Convert 0x7ffeefbff5c8 to decimal and back.",
    "I beat version 2 Street Fighter and 4 Square in one night.",
    "Chapter 3 The Long Road is the best part of the book.",
    "Install it from github.com/psf/requests or https://github.com/pallets/flask.",
    "git clone https://github.com/torvalds/linux.git && cd linux",
    "See twitter.com/search?q=python and instagram.com/p/Cx12ab for the post.",
]


@pytest.mark.slow
def test_decoys_survive() -> None:
    outputs = scrub(DECOYS)
    changed = [(before, after) for before, after in zip(DECOYS, outputs, strict=True) if before != after]
    survival = 1 - len(changed) / len(DECOYS)
    assert survival >= 0.98, changed


def code_spans(text: str) -> list[tuple[int, int]]:
    """Fenced blocks and inline code: the plainest, least arguable definition of code."""
    import regex

    return [m.span() for m in regex.finditer(r"```.*?(?:```|\Z)|`[^`\n]+`", text, flags=regex.DOTALL)]


@pytest.mark.slow
def test_real_sharegpt_turns_keep_code_and_technology_names(shared_data: Path) -> None:
    records = json.loads((shared_data / "sharegpt" / "mlenergy_sharegpt_first_turns.json").read_text("utf-8"))
    texts = [r["conversations"][0]["value"] for r in records if "`" in r["conversations"][0]["value"]]
    assert len(texts) > 40
    listed = not_people()
    in_code, technology = [], []
    for text, out in zip(texts, scrub(texts), strict=True):
        regions = code_spans(text)
        for span in replaced_spans(text, out):
            value = text[span.start : span.end]
            if span.entity not in IN_CODE and any(s < span.end and span.start < e for s, e in regions):
                in_code.append(value)
            if value.casefold() in listed:
                technology.append(value)
    assert (in_code, technology) == ([], [])
