"""Speed of the ``pii`` stage against presidio used the default way, on the same messages.

    .venv/bin/python benchmarks/pii.py [--docs 400] [--workers 2] [--corpus cut|sharegpt]

With ``--corpus sharegpt`` the documents are the first ``--docs`` real ShareGPT first user
turns (../shared/data/sharegpt/mlenergy_sharegpt_first_turns.json: pasted code, documents,
several languages), one single-turn conversation each, the text that counts for speed.
Otherwise (``cut``) documents are ~1 KB conversations (a user turn and an assistant turn) cut from the public
samples in ../shared/data (synthetic text when that folder is absent), every one made
distinct and a third given a planted name, e-mail address and phone number that the
assistant echoes. Measured, in this process, on the same messages:

- presidio default: ``AnalyzerEngine.analyze`` (all English recognizers, full spaCy
  pipeline) then ``AnonymizerEngine.anonymize``, one message at a time;
- the stage's plain path (its recognizers, presidio's way: full pipeline, one text at a time);
- the stage (``Pii.process``), default ``ner_on: [user, system]`` and ``ner_on: all``,
  with its worker pool already started (the start-up is printed separately);
- the detector alone (``Analyser``, in this process), NER reading windows around possible
  names (the default) and reading whole texts, to show what the windows save.

Prints docs/s, the ratio to presidio's default, whether the stage's findings equal those of
its plain path, and how many findings NER on whole texts adds or loses. On a shared machine
wall time depends on what else runs, so the modes that run in this process also print their
CPU seconds and the ratio of those to presidio's, which the load hardly moves (the pool's
workers are other processes: their rows have wall time only).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
FIRST = ["Maren", "Tobias", "Ilse", "Kwame", "Lucia", "Arjun", "Noor", "Pavel", "Sade", "Elif"]
LAST = ["Lindqvist", "Okonkwo", "Brandt", "Ferreira", "Haddad", "Kowalczyk", "Nakamura", "Osei"]


def real_turns() -> list[tuple[str, str]]:
    """(user, assistant) turn pairs from the public samples, if present."""
    pairs = []
    sharegpt = SHARED / "sharegpt" / "fastchat_dummy_conversation.json"
    if sharegpt.exists():
        for record in json.loads(sharegpt.read_text("utf-8")):
            turns = [t["value"] for t in record["conversations"]]
            pairs += [(turns[i], turns[i + 1]) for i in range(0, len(turns) - 1, 2)]
    wildchat = SHARED / "wildchat" / "convotopo_wildchat_50_sample.json"
    if wildchat.exists():
        for record in json.loads(wildchat.read_text("utf-8")):
            turns = [m["content"] for m in record["messages"]]
            pairs += [(turns[i], turns[i + 1]) for i in range(0, len(turns) - 1, 2)]
    return [(u, a) for u, a in pairs if u.strip() and a.strip()]


def synthetic_turns(rng: random.Random) -> list[tuple[str, str]]:
    words = ["the", "model", "data", "run", "file", "error", "value", "list", "time", "user", "code", "test"]
    return [
        (" ".join(rng.choices(words, k=60)).capitalize() + "?", " ".join(rng.choices(words, k=130)) + ".")
        for _ in range(200)
    ]


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def documents(count: int, seed: int = 0) -> list[list[dict[str, str]]]:
    rng = random.Random(seed)
    turns = real_turns() or synthetic_turns(rng)
    docs = []
    for index in range(count):
        user, assistant, step = "", "", index
        while len(user) < 350 or len(assistant) < 600:
            more_user, more_assistant = turns[step % len(turns)]
            user, assistant, step = (
                f"{user} {more_user}".strip(),
                f"{assistant} {more_assistant}".strip(),
                step + 7,
            )
        user, assistant = cut(user, 380), cut(assistant, 640)
        if index % 3 == 0:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            user += (
                f" I'm {first} {last}, mail {first.lower()}.{last.lower()}{index}@example.com,"
                f" phone (415) 555-{index % 10000:04d}."
            )
            assistant = f"Thanks, {first}! " + assistant
        else:
            sent = f"{2023 + index % 2}-0{1 + index % 9}-1{index % 10} 10:{index % 60:02d}"
            user += f" (ticket {index}, sent {sent})"
        docs.append([{"role": "user", "content": user}, {"role": "assistant", "content": assistant}])
    return docs


def sharegpt_documents(count: int) -> list[list[dict[str, str]]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pii_corpora import sharegpt_first_turns

    return [record["messages"] for record in sharegpt_first_turns(count)]


class Timing(NamedTuple):
    wall: float
    cpu: float | None
    """CPU seconds of this process; None where workers did the work."""


@contextmanager
def timed(timings: list[Timing], cpu: bool = True) -> Iterator[None]:
    """Appends the wall (and CPU) seconds of the block to ``timings``."""
    wall, used = time.perf_counter(), time.process_time()
    yield
    timings.append(Timing(time.perf_counter() - wall, time.process_time() - used if cpu else None))


def presidio_default(docs: list[list[dict[str, str]]]) -> Timing:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    from curate.pii.entities import DEFAULT_MODEL
    from curate.pii.offline import use_bundled_suffix_list

    use_bundled_suffix_list()
    nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": DEFAULT_MODEL}])
    analyzer, anonymizer = AnalyzerEngine(nlp_engine=nlp), AnonymizerEngine()
    analyzer.analyze("warm up", language="en")
    timings: list[Timing] = []
    with timed(timings):
        for doc in docs:
            for message in doc:
                results = analyzer.analyze(message["content"], language="en")
                anonymizer.anonymize(message["content"], results)
    return timings[0]


def stage_run(docs: list[list[dict[str, str]]], warm: list[list[dict[str, str]]], **options: Any) -> tuple:
    import curate.stages.pii  # noqa: F401  (registers the stage)
    from curate import registry, schema
    from curate.stages.base import RunContext

    def frame(rows: list[list[dict[str, str]]], prefix: str) -> Any:
        return schema.conversations(
            {"id": f"{prefix}{n}", "source": "bench", "messages": messages} for n, messages in enumerate(rows)
        )

    workers = options.pop("workers")
    stage = registry.stages.get("pii").from_options(RunContext(workers=workers), **options)
    started = time.perf_counter()
    stage.setup()
    stage.process(frame(warm, "warm"))
    startup = time.perf_counter() - started
    timings: list[Timing] = []
    with timed(timings, cpu=workers == 1):
        output = stage.process(frame(docs, "doc"))
    stage.teardown()
    return timings[0], startup, output, stage


def requests_of(docs: list[list[dict[str, str]]], ner_roles: set[str]) -> list[tuple[str, bool]]:
    return [(m["content"], m["role"] in ner_roles) for doc in docs for m in doc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", choices=["cut", "sharegpt"], default="cut")
    args = parser.parse_args()

    import os
    from dataclasses import replace

    from curate.pii.analysis import Scanner
    from curate.pii.pool import Analyser

    if args.corpus == "sharegpt":
        docs, warm = sharegpt_documents(args.docs), documents(args.docs // 4 + 50, seed=1)
    else:
        docs, warm = documents(args.docs), documents(args.docs // 4 + 50, seed=1)
    kb = sum(len(m["content"]) for d in docs for m in d) / len(docs) / 1000
    load = os.getloadavg()[0]
    cores = os.cpu_count()
    print(f"{len(docs)} documents, {kb:.2f} KB each on average; load average {load:.2f} on {cores} cores")

    rows: list[tuple[str, Timing, float | None]] = []
    baseline = presidio_default(docs)
    rows.append(("presidio default (analyze + anonymize per message)", baseline, None))

    stage_default = stage_run(docs, warm, workers=args.workers)
    spec = stage_default[3].spec()
    plain = Scanner(spec, plain=True)
    reqs = requests_of(docs, {"user", "system"})
    timings: list[Timing] = []
    with timed(timings):
        plain_found = plain.findings([t for t, _ in reqs], [n for _, n in reqs])
    rows.append(("stage plain path (own recognizers, presidio's way)", timings[-1], None))
    fast_found = Analyser(spec).findings(reqs)
    rows.append((f"stage, ner_on [user, system], {args.workers} workers", stage_default[0], stage_default[1]))
    stage_all = stage_run(docs, warm, workers=args.workers, ner_on="all")
    rows.append((f"stage, ner_on all, {args.workers} workers", stage_all[0], stage_all[1]))
    stage_one = stage_run(docs, warm, workers=1)
    rows.append(("stage, ner_on [user, system], in-process", stage_one[0], stage_one[1]))
    with timed(timings):
        Analyser(spec).findings(reqs)
    rows.append(("detector alone, in-process", timings[-1], None))
    whole = replace(spec, name_windows=False)
    Analyser(whole).findings(requests_of(warm, {"user", "system"}))  # loads its model
    with timed(timings):
        whole_found = Analyser(whole).findings(reqs)
    rows.append(("detector alone, NER on whole texts, in-process", timings[-1], None))

    megabytes = sum(len(m["content"].encode()) for d in docs for m in d) / 1e6
    print(
        "\n| mode | docs/s | MB/s | x presidio default | CPU s | x presidio CPU | start-up s |"
        "\n| --- | --- | --- | --- | --- | --- | --- |"
    )
    for name, timing, startup in rows:
        rate, mbs, ratio = len(docs) / timing.wall, megabytes / timing.wall, baseline.wall / timing.wall
        cpu = "-" if timing.cpu is None else f"{timing.cpu:.1f}"
        cpu_ratio = "-" if timing.cpu is None or baseline.cpu is None else f"{baseline.cpu / timing.cpu:.1f}"
        started = "" if startup is None else f"{startup:.1f}"
        print(f"| {name} | {rate:.1f} | {mbs:.3f} | {ratio:.1f} | {cpu} | {cpu_ratio} | {started} |")
    identical = fast_found == plain_found
    print(
        f"\nstage findings identical to its plain path: {identical} "
        f"({sum(map(len, fast_found))} findings over {len(reqs)} messages)"
    )
    windowed, everywhere = (
        {(n, f.entity, f.start, f.end) for n, found in enumerate(findings) for f in found}
        for findings in (fast_found, whole_found)
    )
    print(
        f"NER on whole texts: {len(everywhere - windowed)} findings the windows miss, "
        f"{len(windowed - everywhere)} they add; load average {os.getloadavg()[0]:.2f} at the end"
    )
    report = stage_default[3].report().model_dump()
    print("stage report:", json.dumps({k: report[k] for k in ("entities", "actions", "echoes_removed")}))
    print("ner_on all report:", json.dumps(stage_all[3].report().entities))
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
