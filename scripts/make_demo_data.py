"""Write the demo inputs in data/: one small file per source format, made deterministically.

The files mimic the real layouts (WildChat-1M, LMSYS-Chat-1M, ShareGPT exports, Chatbot
Arena battles, OpenAssistant message rows, HH-RLHF transcripts, UltraFeedback completions,
chat-completions logs with thumbs) and plant what a curation run must handle: duplicates and
near-duplicates, fake PII, foreign languages, flagged records, mixed licenses, consent and an
opt-out list, and an evaluation prompt pasted into a training prompt.

Run: ``python scripts/make_demo_data.py`` (or ``make data``); the output is byte-identical
on every run. ``data/README.md`` describes what each file holds.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo_text import CARDS, FOREIGN, IBANS, IPS, PEOPLE, SSNS, TOPICS

DATA = Path(__file__).resolve().parents[1] / "data"
START = datetime(2024, 3, 1, tzinfo=UTC)
OPTED_OUT_USER = "arena_user_0042"
OPTED_OUT_RECORD = "fb-0007"


class Planted:
    """Every fake PII value placed in the data, for the test that they are gone."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], None] = {}

    def add(self, entity: str, value: str) -> str:
        self.values[(entity, value)] = None
        return value

    def person_intro(self, person: dict[str, str]) -> str:
        name = self.add("PERSON", person["name"])
        email = self.add("EMAIL_ADDRESS", person["email"])
        return f"Hi, my name is {name} and you can reach me at {email}."

    def rows(self) -> list[dict[str, str]]:
        return [{"entity": entity, "value": value} for entity, value in self.values]


# Each source answers in its own voice, as real sources do: the same facts, other words around
# them. Without this, answers to one prompt in two sources would be exact duplicates.
VOICES = [
    ("Here is a clear way to think about it.", "numbered", "In short, {}.", "On top of that,", "Basically,"),
    (
        "Great question, let me break it down.",
        "bullets",
        "The key takeaway: {}.",
        "Also worth knowing:",
        "Well,",
    ),
    ("Sure! The main points are below.", "numbered", "To sum up, {}.", "Besides that,", "Simply put,"),
    ("Happy to help with that.", "prose", "Overall, {}.", "Another thing:", "In a word,"),
    ("Let's go through it step by step.", "bullets", "Bottom line: {}.", "What is more,", "Roughly,"),
    ("Good one. Three things matter most.", "prose", "So, in brief, {}.", "And finally,", "Honestly,"),
    ("Here's what I would tell a friend.", "numbered", "That's it: {}.", "Plus,", "Short answer:"),
    ("Below is a short, practical answer.", "bullets", "Put simply, {}.", "Keep in mind that", "I think"),
]
ORDINALS = ("First", "Second", "Finally")


def lower_first(text: str) -> str:
    return text[0].lower() + text[1:]


def strong_answer(points: list[str], summary: str, voice: int = 0) -> str:
    opener, layout, closer, _, _ = VOICES[voice]
    if layout == "numbered":
        body = "\n".join(f"{index}. {point}." for index, point in enumerate(points, start=1))
    elif layout == "bullets":
        body = "\n".join(f"- {point}." for point in points)
    else:
        body = " ".join(
            f"{word}, {lower_first(point)}." for word, point in zip(ORDINALS, points, strict=False)
        )
    return f"{opener}\n\n{body}\n\n{closer.format(summary)}"


def medium_answer(points: list[str], voice: int = 0) -> str:
    return f"{points[0]}. {VOICES[voice][3]} {lower_first(points[-1])}."


def weak_answer(points: list[str], voice: int = 0) -> str:
    return f"Good question! {VOICES[voice][4]} {lower_first(points[0])}. Hope this helps."


def refusal() -> str:
    return "I'm not sure about that. You could try searching online for more information."


def stamp(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def short_hash(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in pairs]


# -- WildChat-1M layout: GPT models, hashed IPs, language names, moderation flags ----------


def wildchat(planted: Planted, rng: random.Random) -> list[dict[str, Any]]:
    records = []

    def record(
        index: int,
        model: str,
        conversation: list[dict[str, str]],
        language: str = "English",
        toxic: bool = False,
        ip: str | None = None,
    ) -> dict[str, Any]:
        ip = ip or short_hash("ip", str(index))
        moments = [stamp(index * 7 + k) for k in range(len(conversation))]
        return {
            "conversation_hash": short_hash("wildchat", str(index)),
            "model": model,
            "timestamp": moments[0].isoformat(),
            "conversation": [
                {
                    **message,
                    "language": language,
                    "redacted": False,
                    "toxic": toxic,
                    "hashed_ip": ip if message["role"] == "user" else None,
                    "country": "United States" if message["role"] == "user" else None,
                    "state": "California" if message["role"] == "user" else None,
                    "header": {"accept-language": "en-US,en;q=0.9"} if message["role"] == "user" else None,
                    "timestamp": moments[k].isoformat(),
                    "turn_identifier": 100000 + index * 10 + k,
                }
                for k, message in enumerate(conversation)
            ],
            "turn": sum(1 for m in conversation if m["role"] == "user"),
            "language": language,
            "openai_moderation": [
                {"flagged": toxic, "categories": {"harassment": toxic}} for _ in conversation
            ],
            "detoxify_moderation": [{"toxicity": 0.9 if toxic else 0.001} for _ in conversation],
            "toxic": toxic,
            "redacted": False,
            "state": "California",
            "country": "United States",
            "hashed_ip": ip,
            "header": {"accept-language": "en-US,en;q=0.9", "user-agent": "Mozilla/5.0"},
        }

    index = 0
    for prompt, points, summary in TOPICS[:12]:
        for model, answer in (
            ("gpt-4-0314", strong_answer(points, summary, 0)),
            ("gpt-3.5-turbo-0613", medium_answer(points, 0)),
        ):
            records.append(record(index, model, turns(("user", prompt), ("assistant", answer))))
            index += 1
    # The same conversation exported twice, and once more with one word changed.
    prompt, points, summary = TOPICS[0]
    copy = turns(("user", prompt), ("assistant", strong_answer(points, summary)))
    records.append(record(index, "gpt-4-0314", copy))
    index += 1
    edited = turns(("user", prompt), ("assistant", strong_answer(points, summary).replace("clear", "simple")))
    records.append(record(index, "gpt-4-0314", edited))
    index += 1
    # Foreign languages.
    for language, samples in FOREIGN.items():
        for question, answer in samples:
            name = {
                "fr": "French",
                "de": "German",
                "es": "Spanish",
                "zh": "Chinese",
                "ru": "Russian",
                "ja": "Japanese",
            }[language]
            records.append(
                record(
                    index,
                    "gpt-3.5-turbo-0613",
                    turns(("user", question), ("assistant", answer)),
                    language=name,
                )
            )
            index += 1
    # A toxic record the source flagged.
    records.append(
        record(
            index,
            "gpt-3.5-turbo-0613",
            turns(
                ("user", "Write an insulting rant about my neighbours and their stupid dog."),
                ("assistant", "I can't write insults, but I can help you draft a calm note about the noise."),
            ),
            toxic=True,
        )
    )
    index += 1
    # PII typed by users, echoed by the assistant.
    for person in PEOPLE[:2]:
        intro = planted.person_intro(person)
        phone = planted.add("PHONE_NUMBER", person["phone"])
        first = person["name"].split()[0]
        records.append(
            record(
                index,
                "gpt-4-0314",
                turns(
                    ("user", f"{intro} Please write a short bio for my website. My phone is {phone}."),
                    (
                        "assistant",
                        f"Sure, {first}! Here is a short bio: {person['name']} is a curious professional "
                        f"who loves solving problems. Contact: {person['email']}.",
                    ),
                ),
            )
        )
        index += 1
    rng.shuffle(records)
    return records


# -- LMSYS-Chat-1M layout: open models answering the same prompts -------------------------


def lmsys(planted: Planted) -> list[dict[str, Any]]:
    strong, weak = "mixtral-8x7b-instruct-v0.1", "mistral-7b-instruct-v0.2"

    def record(key: str, model: str, conversation: list[dict[str, str]], language: str = "English") -> dict:
        return {
            "conversation_id": short_hash("lmsys", key, model),
            "model": model,
            "conversation": conversation,
            "turn": 1,
            "language": language,
            "openai_moderation": [{"flagged": False, "categories": {}} for _ in conversation],
            "redacted": False,
        }

    records = []
    for index, (prompt, points, summary) in enumerate(TOPICS[40:44] + TOPICS[12:16]):
        for model, answer in ((strong, strong_answer(points, summary, 1)), (weak, weak_answer(points, 1))):
            records.append(record(str(index), model, turns(("user", prompt), ("assistant", answer))))
    # A longer conversation logged three times: once more as is, once with one word changed.
    prompt, points, summary = TOPICS[40]
    first = turns(
        ("user", prompt),
        ("assistant", strong_answer(points, summary, 1)),
        ("user", "Which of these matters most in the first week?"),
        ("assistant", f"{points[1]}. {points[2]}. Both show respect for how the team already works."),
    )
    records.append(record("long", strong, first))
    records.append(record("again", strong, first))
    edited = [dict(message) for message in first]
    edited[3]["content"] = edited[3]["content"].replace("already works", "currently works")
    records.append(record("edited", strong, edited))
    # Other languages, answered by open models.
    names = {
        "fr": "French",
        "de": "German",
        "es": "Spanish",
        "zh": "Chinese",
        "ru": "Russian",
        "ja": "Japanese",
    }
    for language, samples in FOREIGN.items():
        for number, (question, answer) in enumerate(samples):
            conversation = turns(("user", question), ("assistant", answer))
            records.append(record(f"{language}{number}", strong, conversation, names[language]))
    person = PEOPLE[2]
    card = planted.add("CREDIT_CARD", CARDS[0])
    phone = planted.add("PHONE_NUMBER", person["phone"])
    question = (
        f"{planted.person_intro(person)} ({phone}) My card {card} was charged twice by a store. "
        "How do I write a dispute letter to my bank?"
    )
    answers = {
        strong: "Write a short letter that names the store, the two charges and their dates, "
        "asks for the duplicate charge to be reversed, and attaches your receipt.",
        "olmo-2-13b-instruct": "Call your bank and ask them to reverse it.",
    }
    for model, answer in answers.items():
        records.append(record("card", model, turns(("user", question), ("assistant", answer))))
    return records


# -- ShareGPT export: HTML-rendered answers, no license -----------------------------------


def sharegpt() -> list[dict[str, Any]]:
    records = []
    for index, (prompt, points, summary) in enumerate(TOPICS[20:30]):
        items = "".join(f"<li><p>{point}.</p></li>" for point in points)
        html = (
            f'<div class="markdown prose w-full break-words dark:prose-invert light"><p>Sure.</p>'
            f"<ol>{items}</ol><p>In short, <strong>{summary}</strong>.</p></div>"
        )
        records.append(
            {
                "id": f"sg{index:03d}",
                "conversations": [{"from": "human", "value": prompt}, {"from": "gpt", "value": html}],
            }
        )
    records.append(dict(records[0], id="sg100"))  # exported twice under another id
    records.append({"id": "sg101", "conversations": [{"from": "human", "value": "hello?"}]})  # no answer
    return records


# -- Chatbot Arena battles -----------------------------------------------------------------


def battles(
    prefix: str,
    pairs: list[tuple[str, str]],
    topics: list[tuple[str, list[str], str]],
    winners: list[str],
    planted: Planted | None = None,
    voice: int = 2,
) -> list[dict[str, Any]]:
    records = []
    for index, ((model_a, model_b), (prompt, points, summary), winner) in enumerate(
        zip(pairs, topics, winners, strict=True)
    ):
        answers = {"strong": strong_answer(points, summary, voice), "weak": weak_answer(points, voice)}
        side_a, side_b = ("strong", "weak") if winner in ("model_a", "tie") else ("weak", "strong")
        if winner == "tie (bothbad)":
            side_a = side_b = "weak"
        judge = OPTED_OUT_USER if index in (3, 4) and prefix == "team" else f"arena_user_{index + 100:04d}"
        user_prompt = prompt
        if planted is not None and index == 5:
            user_prompt = f"{planted.person_intro(PEOPLE[3])} {prompt}"
        records.append(
            {
                "question_id": short_hash(prefix, str(index)),
                "model_a": model_a,
                "model_b": model_b,
                "winner": winner,
                "judge": judge,
                "conversation_a": turns(("user", user_prompt), ("assistant", answers[side_a])),
                "conversation_b": turns(
                    ("user", user_prompt), ("assistant", answers[side_b] if side_b != side_a else refusal())
                ),
                "turn": 1,
                "anony": True,
                "language": "English",
                "tstamp": 1700000000.0 + index * 3600,
                "openai_moderation": {"flagged": False},
                "toxic_chat_tag": {"roberta-large": {"flagged": False}},
            }
        )
    return records


def arena_team(planted: Planted) -> list[dict[str, Any]]:
    models = [
        ("mixtral-8x7b-instruct-v0.1", "mistral-7b-instruct-v0.2"),
        ("olmo-2-13b-instruct", "falcon-7b-instruct"),
        ("zephyr-7b-beta", "mixtral-8x7b-instruct-v0.1"),
        ("gpt-4-0613", "olmo-2-13b-instruct"),
    ]
    winners = ["model_a", "model_b", "tie", "tie (bothbad)", "model_a", "model_b"]
    topics = TOPICS[:12]
    pairs = [models[i % len(models)] for i in range(len(topics))]
    chosen = [winners[i % len(winners)] for i in range(len(topics))]
    records = battles("team", pairs, topics, chosen, planted)
    # A training prompt that quotes an evaluation prompt (see data/evals/demo_eval.jsonl).
    records[10]["conversation_a"][0]["content"] = records[10]["conversation_b"][0]["content"] = (
        "I am studying for an exam. " + EVAL_PROMPTS[1]["prompt"] + " Please keep it short."
    )
    return records


def arena_public() -> list[dict[str, Any]]:
    pairs = [("vicuna-13b", "koala-13b"), ("alpaca-13b", "chatglm-6b")] * 4
    return battles("public", pairs, TOPICS[:8], ["model_a", "model_b"] * 4, voice=3)


# -- OpenAssistant message rows ------------------------------------------------------------


def oasst(planted: Planted) -> list[dict[str, Any]]:
    rows = []

    def message(
        tree: str,
        mid: str,
        parent: str | None,
        role: str,
        text: str,
        rank: int | None = None,
        lang: str = "en",
        deleted: bool = False,
        review: bool = True,
        minute: int = 0,
    ) -> None:
        rows.append(
            {
                "message_id": mid,
                "parent_id": parent,
                "user_id": short_hash("oasst-user", mid)[:12],
                "created_date": stamp(minute).isoformat(),
                "text": text,
                "role": role,
                "lang": lang,
                "review_count": 3,
                "review_result": review,
                "deleted": deleted,
                "rank": rank,
                "synthetic": False,
                "model_name": None,
                "detoxify": None,
                "message_tree_id": tree,
                "tree_state": "ready_for_export",
                "emojis": {"name": ["+1"], "count": [2]} if rank == 0 else None,
                "labels": None,
            }
        )

    for index, (prompt, points, summary) in enumerate(TOPICS[20:28]):
        tree = short_hash("oasst", str(index))
        root = f"{tree[:8]}-root"
        text = prompt
        if index == 0:
            text = (
                f"{prompt} For context, I'm {planted.add('PERSON', PEOPLE[4]['name'])}, SSN "
                f"{planted.add('US_SSN', SSNS[0])}, in case the form asks."
            )
        message(tree, root, None, "prompter", text, minute=index * 20)
        replies = [strong_answer(points, summary, 4), medium_answer(points, 4), weak_answer(points, 4)]
        for rank, reply in enumerate(replies):
            message(
                tree,
                f"{tree[:8]}-r{rank}",
                root,
                "assistant",
                reply,
                rank=rank,
                deleted=(index == 3 and rank == 2),
                review=not (index == 4 and rank == 1),
                minute=index * 20 + rank + 1,
            )
        if index % 4 == 1:
            follow = f"{tree[:8]}-f"
            message(
                tree,
                follow,
                f"{tree[:8]}-r0",
                "prompter",
                "Thanks! Can you give one concrete example?",
                minute=index * 20 + 5,
            )
            message(
                tree,
                f"{tree[:8]}-f0",
                follow,
                "assistant",
                f"Of course. For example: {points[1].lower()}.",
                rank=0,
                minute=index * 20 + 6,
            )
            message(
                tree,
                f"{tree[:8]}-f1",
                follow,
                "assistant",
                "An example is hard to give.",
                rank=1,
                minute=index * 20 + 7,
            )
    return rows


# -- HH-RLHF transcripts -------------------------------------------------------------------


def hh_rlhf(planted: Planted) -> list[dict[str, Any]]:
    records = []
    for index, (prompt, points, summary) in enumerate(TOPICS[12:20]):
        human = prompt
        if index == 2:
            email = planted.add("EMAIL_ADDRESS", PEOPLE[3]["email"])
            human = f"{prompt} You can email me the answer at {email}."
        if index % 3 == 0:
            prefix = (
                f"\n\nHuman: {human}\n\nAssistant: {weak_answer(points, 5)}\n\nHuman: Could you say more?"
            )
        else:
            prefix = f"\n\nHuman: {human}"
        records.append(
            {
                "chosen": f"{prefix}\n\nAssistant: {strong_answer(points, summary, 5)}",
                "rejected": f"{prefix}\n\nAssistant: {refusal()}",
            }
        )
    return records


# -- UltraFeedback-style rated completions -------------------------------------------------


def ultrafeedback() -> list[dict[str, Any]]:
    records = []
    for index, (prompt, points, summary) in enumerate(TOPICS[28:34]):
        completions = [
            {
                "model": "gpt-4",
                "response": strong_answer(points, summary, 6) + " Let me know if you need more.",
                "overall_score": 9.0,
            },
            {
                "model": "olmo-2-13b-instruct",
                "response": strong_answer(points, summary, 7),
                "overall_score": 8.0,
            },
            {
                "model": "falcon-7b-instruct",
                "response": medium_answer(points, 7),
                "overall_score": 8.0 if index % 5 == 0 else 6.0,
            },
            {"model": "mistral-7b-instruct-v0.2", "response": weak_answer(points, 7), "overall_score": 3.5},
        ]
        records.append(
            {
                "source": "demo",
                "instruction": prompt,
                "models": [c["model"] for c in completions],
                "completions": completions,
            }
        )
    return records


# -- Chat-completions logs with thumbs and per-record consent ------------------------------


def feedback(planted: Planted) -> list[dict[str, Any]]:
    records = []
    for index, (prompt, points, summary) in enumerate(TOPICS[34:40]):
        user = f"app-user-{index % 5:02d}"
        consent = "no" if index == 4 else "yes"
        text = prompt
        if index == 1:
            text = (
                f"{prompt} (Sent from {planted.add('IP_ADDRESS', IPS[0])}; refund to "
                f"{planted.add('IBAN_CODE', IBANS[0])}.)"
            )
        if index == 5:
            text = f"{prompt} My backup card is {planted.add('CREDIT_CARD', CARDS[2])}."
        for turn, (answer, thumbs) in enumerate(
            ((strong_answer(points, summary, 3), "up"), (weak_answer(points, 3), "down"))
        ):
            records.append(
                {
                    "id": f"fb-{index * 2 + turn:04d}",
                    "model": "olmo-2-13b-instruct",
                    "user": user,
                    "created_at": stamp(index * 3 + turn).isoformat(),
                    "messages": turns(
                        ("system", "You are a helpful assistant."), ("user", text), ("assistant", answer)
                    ),
                    "metadata": {
                        "thumbs": thumbs,
                        "consent": consent,
                        "app_version": "2.3.1",
                        "conversation": f"conv-{index:03d}",
                    },
                }
            )
    return records


EVAL_PROMPTS = [
    {
        "id": "demo-eval-1",
        "prompt": "Describe three ways a city could reduce traffic congestion without "
        "building new roads, and explain the trade-offs of each approach.",
    },
    {
        "id": "demo-eval-2",
        "prompt": "Explain why the sky appears blue during the day and red at sunset, "
        "using the idea of light scattering in the atmosphere.",
    },
    {
        "id": "demo-eval-3",
        "prompt": "Write a haiku sequence about a lighthouse keeper who has not seen "
        "a ship in many years but still lights the lamp every night.",
    },
]


def main() -> None:
    planted = Planted()
    rng = random.Random(20240301)
    write_jsonl(DATA / "wildchat.jsonl", wildchat(planted, rng))
    write_jsonl(DATA / "lmsys.jsonl", lmsys(planted))
    (DATA / "sharegpt.json").write_text(
        json.dumps(sharegpt(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_jsonl(DATA / "arena_team.jsonl", arena_team(planted))
    write_jsonl(DATA / "arena_public.jsonl", arena_public())
    write_jsonl(DATA / "oasst.jsonl", oasst(planted))
    write_jsonl(DATA / "hh_rlhf.jsonl", hh_rlhf(planted))
    write_jsonl(DATA / "ultrafeedback.jsonl", ultrafeedback())
    write_jsonl(DATA / "feedback.jsonl", feedback(planted))
    write_jsonl(DATA / "evals" / "demo_eval.jsonl", EVAL_PROMPTS)
    (DATA / "optout.txt").write_text(
        "# Users and records whose owners asked to be removed: one user key or record id a line.\n"
        f"{OPTED_OUT_USER}\n{OPTED_OUT_RECORD}\n",
        encoding="utf-8",
    )
    (DATA / "planted_pii.json").write_text(json.dumps(planted.rows(), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
