"""A generated input for executor tests: chats with near copies, personal data and battles.

``write_generated(folder, chats)`` writes, from a seed, ``chats.jsonl`` (WildChat layout:
fresh conversations, the same prompt answered by another model for ``model_rank``, near
copies with one word changed for ``dedup``, a French one now and then for ``language``, an
e-mail address or phone number in some prompts for ``pii``), ``battles.jsonl`` (Chatbot
Arena battles on some of the same prompts, for ``battle``) and a pipeline file running every
kind of step over them. All text is invented; e-mail domains are ``example.com`` and phone
numbers are in the 555-01xx range reserved for fiction.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import polars as pl

WORDS = str.split(
    "list python function error file table server user page test build design plan story email"
    " letter report team market price health travel city school history science energy water"
    " music game value number string sort merge cache thread process memory query index"
)
MODELS = ["mixtral-8x7b-instruct", "olmo-2-13b-instruct", "zephyr-7b-beta", "mistral-7b-instruct"]
PERSONAL = [
    "You can write to me at {name}@example.com if that is easier.",
    "Call me on (503) 555-01{digits} tomorrow morning.",
]
FRENCH = "Bonjour, pouvez-vous m'aider à écrire une lettre pour mon propriétaire au sujet du chauffage ?"

PIPELINE = """\
name: generated
inputs:
  - {name: chats, path: chats.jsonl, format: wildchat, license: CC-BY-4.0}
  - {name: battles, path: battles.jsonl, format: arena, license: CC-BY-4.0}
stages:
  - normalize: {}
  - quality: {}
  - dedup: {threshold: 0.8}
  - language: {keep: [en]}
  - pii: {action: replace}
  - pairs:
      strategies: [battle, model_rank]
      model_rank: {ranking: ["mixtral-*", "olmo-*", "zephyr-*", "mistral-*"]}
  - split: {test_size: 0.2, seed: 0}
output:
  dir: out/generated
  formats: [parquet, jsonl]
"""


def write_generated(
    folder: Path, chats: int = 300, seed: int = 0, files: int = 1, glob: bool = False
) -> Path:
    """Write the inputs and the pipeline file into ``folder``; return the pipeline file.

    With ``files`` above 1 the chats go into ``chats/`` as that many files (the second
    compressed, the third Parquet), the input being the folder or, with ``glob``, a glob;
    the first file then holds a blank line and a broken one, and the last starts with a copy
    of the first record (an id the input has taken already)."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    prompts: list[str] = []
    while len(records) < chats:
        roll = rng.random()
        if records and roll < 0.15:
            records.append(_near_copy(rng, rng.choice(records), len(records)))
        elif prompts and roll < 0.35:
            records.append(_chat(rng, len(records), rng.choice(prompts)))
        else:
            prompt = _prompt(rng)
            prompts.append(prompt)
            records.append(_chat(rng, len(records), prompt))
    battles = [_battle(rng, number, rng.choice(prompts)) for number in range(chats // 5)]
    _write_lines(folder / "battles.jsonl", battles)
    pipeline = folder / "generated.yaml"
    if files == 1:
        _write_lines(folder / "chats.jsonl", records)
        pipeline.write_text(PIPELINE, encoding="utf-8")
        return pipeline
    _write_parts(folder / "chats", records, files)
    path = "chats/part-*" if glob else "chats/"
    pipeline.write_text(PIPELINE.replace("path: chats.jsonl", f"path: '{path}'"), encoding="utf-8")
    return pipeline


def _write_parts(folder: Path, records: list[dict[str, Any]], files: int) -> None:
    folder.mkdir()
    size = -(-len(records) // files)
    for number in range(files):
        part = records[number * size : (number + 1) * size]
        if number == files - 1:
            part = [records[0], *part]
        lines = [json.dumps(record, ensure_ascii=False) for record in part]
        if number == 0:
            lines[2:2] = ["", '{"conversation_hash": "broken"']
        text = "\n".join(lines) + "\n"
        if number == 1:
            (folder / f"part-{number:03d}.jsonl.gz").write_bytes(gzip.compress(text.encode()))
        elif number == 2:
            pl.DataFrame(part).write_parquet(folder / f"part-{number:03d}.parquet")
        else:
            (folder / f"part-{number:03d}.jsonl").write_text(text, encoding="utf-8")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _prompt(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return FRENCH
    prompt = " ".join(_sentence(rng, rng.randint(8, 14)) for _ in range(rng.randint(2, 4)))
    if rng.random() < 0.2:
        name = rng.choice(["lena.marsh", "omar.haddad", "ines.varga"])
        prompt += " " + rng.choice(PERSONAL).format(name=name, digits=f"{rng.randint(0, 99):02d}")
    return prompt


def _answer(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(10, 18)) for _ in range(rng.randint(3, 6)))


def _chat(rng: random.Random, number: int, prompt: str) -> dict[str, Any]:
    return {
        "conversation_hash": f"chat-{number:05d}",
        "model": rng.choice(MODELS),
        "timestamp": f"2024-03-01T{number % 24:02d}:00:00+00:00",
        "conversation": _turns(prompt, _answer(rng)),
        "turn": 1,
        "language": "French" if prompt == FRENCH else "English",
        "toxic": False,
        "redacted": False,
    }


def _near_copy(rng: random.Random, record: dict[str, Any], number: int) -> dict[str, Any]:
    answer = record["conversation"][1]["content"].split(" ")
    answer[rng.randrange(len(answer))] = rng.choice(WORDS)
    turns = [record["conversation"][0], {**record["conversation"][1], "content": " ".join(answer)}]
    return {**record, "conversation_hash": f"chat-{number:05d}", "conversation": turns}


def _battle(rng: random.Random, number: int, prompt: str) -> dict[str, Any]:
    model_a, model_b = rng.sample(MODELS, 2)
    return {
        "question_id": f"battle-{number:05d}",
        "model_a": model_a,
        "model_b": model_b,
        "winner": rng.choice(["model_a", "model_b", "model_a", "tie"]),
        "judge": f"voter-{rng.randint(0, 40):03d}",
        "conversation_a": _turns(prompt, _answer(rng)),
        "conversation_b": _turns(prompt, _answer(rng)),
        "turn": 1,
        "language": "English",
        "tstamp": 1_700_000_000.0 + number,
    }


def _turns(prompt: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]


def _write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for record in records:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
