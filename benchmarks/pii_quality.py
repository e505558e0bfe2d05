"""Precision and recall of the ``pii`` stage per entity, and how much it replaces on real text.

    .venv/bin/python benchmarks/pii_quality.py [--threshold 0.5] [--parts labelled,real]
        [--limit N] [--no-presidio] [--show N] [--stage-entities A,B,...]

Two detectors, same text, same spaCy model, same entity types (presidio has no street address
or profile URL recognizer) and threshold:

- presidio as shipped: ``AnalyzerEngine.analyze`` (default recognizers) then
  ``AnonymizerEngine.anonymize``, one message at a time;
- the stage: the registered ``pii`` stage with default options, run on conversations.

Both are judged by what they write (``pii_corpora.replaced_spans``).

Labelled part: presidio-research's ``generated_large.json`` (2,109 synthetic sentences) and
``generated_small.json`` (100), each sentence one user turn. ``generated_large`` is a
**development set**: the stage's rules were written while reading its misses, so figures on
it are optimistic. A labelled span is recalled when a replacement of its type overlaps it,
and hidden when every letter and digit of it (titles such as ``Mr.`` aside) was replaced: a half-removed
name is recalled but not hidden. A replacement is precise when it overlaps a labelled span
of its type. PERSON is also scored over the labels that hold a name: the file labels 42
titles alone (``Mr.``) as PERSON, which the stage leaves in place by design
(``pii_corpora.TITLE_ONLY``).

The stage's STREET_ADDRESS is scored apart against the files' ADDRESS labels, which also
label postal codes, suites and cities alone: recall over the labels that hold a number and a
street word (``pii_corpora.STREET_WORD``), precision over its replacements.

Real part: 2,978 real ShareGPT first user turns and the 50-conversation WildChat sample (user
and assistant turns). No labels: the figures are replacements per 1,000 characters, and how
many replacements fall inside code or on a listed technology/place name (the benchmark's
own judges, independent of the stage's rules), which are false positives.
``--stage-entities`` runs the stage on other entity types than its defaults (the figures
before STREET_ADDRESS and PROFILE_URL joined them, say).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_corpora import (  # noqa: E402
    GOALS,
    LABELLED,
    STREET_WORD,
    Replaced,
    counts_of,
    labelled,
    name_label,
    replaced_spans,
    sharegpt_first_turns,
    wildchat_sample,
)

Conversation = dict[str, Any]
Detector = Callable[[Sequence[Conversation]], list[list[str]]]
"""Scrubbed texts (``<ENTITY>`` placeholders) of each conversation's messages."""


def presidio_as_shipped(threshold: float) -> Detector:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    from curate.pii.entities import CURATE_ENTITIES, DEFAULT_ENTITIES, DEFAULT_MODEL
    from curate.pii.offline import use_bundled_suffix_list

    use_bundled_suffix_list()
    analyzer = AnalyzerEngine(
        nlp_engine=SpacyNlpEngine(models=[{"lang_code": "en", "model_name": DEFAULT_MODEL}])
    )
    anonymizer = AnonymizerEngine()
    known = [entity for entity in DEFAULT_ENTITIES if entity not in CURATE_ENTITIES]

    def scrub(text: str) -> str:
        results = analyzer.analyze(text, language="en", entities=known, score_threshold=threshold)
        return anonymizer.anonymize(text, results).text if results else text  # type: ignore[arg-type]

    def detect(conversations: Sequence[Conversation]) -> list[list[str]]:
        return [[scrub(m["content"]) for m in c["messages"]] for c in conversations]

    return detect


def the_stage(threshold: float, entities: list[str] | None = None) -> Detector:
    import curate.stages.pii  # noqa: F401  (registers the stage)
    from curate import registry, schema
    from curate.stages.base import RunContext

    options: dict[str, Any] = {"score_threshold": threshold}
    if entities:
        options["entities"] = entities
    stage = registry.stages.get("pii").from_options(RunContext(workers=1), **options)
    stage.setup()

    def detect(conversations: Sequence[Conversation]) -> list[list[str]]:
        rows = [{"source": "bench", "id": c.get("id", str(n)), **c} for n, c in enumerate(conversations)]
        kept = stage.process(schema.conversations(rows)).kept
        assert kept.height == len(rows), "replace keeps every conversation"
        return [[m["content"] for m in messages] for messages in kept["messages"].to_list()]

    return detect


NAMES = "PERSON, names (titles aside)"
"""PERSON recall over the labels that hold a name (``pii_corpora.name_label``); its precision
column repeats PERSON's."""


def overlaps(a: Replaced, b: Replaced) -> bool:
    return a.entity == b.entity and a.start < b.end and b.start < a.end


TITLES = re.compile(r"(?i)\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|md|dds|phd|jr|sr|ii|iii)\b\.?")


def hidden(text: str, gold: Replaced, found: list[Replaced]) -> bool:
    """Every letter and digit of the label replaced, titles (``Mr.``, ``MD``) aside."""
    covered = {i for span in found for i in range(span.start, span.end)}
    titles = {i for m in TITLES.finditer(text, gold.start, gold.end) for i in range(*m.span())}
    return all(i in covered or i in titles for i in range(gold.start, gold.end) if text[i].isalnum())


def score(
    texts: list[str], gold: list[list[Replaced]], found: list[list[Replaced]]
) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {entity: Counter() for entity in [*GOALS, NAMES]}
    for text, truth, spans in zip(texts, gold, found, strict=True):
        for span in truth:
            for entity in [span.entity, NAMES] if name_label(text, span) else [span.entity]:
                counts[entity]["labelled"] += 1
                counts[entity]["recalled"] += any(overlaps(span, f) for f in spans)
                counts[entity]["hidden"] += hidden(text, span, spans)
        for span in spans:
            if span.entity in counts:
                counts[span.entity]["found"] += 1
                counts[span.entity]["precise"] += any(overlaps(span, g) for g in truth)
    counts[NAMES].update(found=counts["PERSON"]["found"], precise=counts["PERSON"]["precise"])
    return counts


def ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def addresses(texts: list[str], path: Path, found: list[list[Replaced]]) -> str:
    """The stage's STREET_ADDRESS against the file's ADDRESS labels (see the module docstring)."""
    _, labels = labelled(path, frozenset({"ADDRESS"}))
    streets = [
        [
            label
            for label in spans
            if STREET_WORD.search(text, label.start, label.end)
            and any(char.isdigit() for char in text[label.start : label.end])
        ]
        for text, spans in zip(texts, labels, strict=True)
    ]
    replaced = [[span for span in spans if span.entity == "STREET_ADDRESS"] for spans in found]
    recalled = sum(
        any(r.start < label.end and label.start < r.end for r in mine)
        for mine, wanted in zip(replaced, streets, strict=True)
        for label in wanted
    )
    precise = sum(
        any(r.start < label.end and label.start < r.end for label in all_labels)
        for mine, all_labels in zip(replaced, labels, strict=True)
        for r in mine
    )
    wanted_count, found_count = sum(map(len, streets)), sum(map(len, replaced))
    return (
        f"STREET_ADDRESS: {found_count} replacements, {ratio(precise, found_count)} overlap an ADDRESS label;"
        f" recall {ratio(recalled, wanted_count)} of {wanted_count} labels with a number and a street word"
        f" ({sum(map(len, labels))} ADDRESS labels in all)"
    )


def labelled_part(detectors: dict[str, Detector]) -> None:
    for name, path in LABELLED.items():
        if not path.exists():
            print(f"(skipped {name}: no file at {path})")
            continue
        texts, gold = labelled(path, frozenset(GOALS))
        conversations = [{"messages": [{"role": "user", "content": text}]} for text in texts]
        results, streets = {}, ""
        for detector, detect in detectors.items():
            started = time.perf_counter()
            scrubbed = detect(conversations)
            found = [replaced_spans(t, s[0]) for t, s in zip(texts, scrubbed, strict=True)]
            results[detector] = score(texts, gold, found)
            if detector == "stage":
                streets = addresses(texts, path, found)
            print(f"  {detector} on {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        print(f"\n{name}: {len(texts)} sentences, each one user turn\n")
        header = ["entity", "labelled"]
        for detector in detectors:
            header += [f"{detector} recall", f"{detector} hidden", f"{detector} precision"]
        print("| " + " | ".join([*header, "goal"]) + " |")
        print("|" + " --- |" * (len(header) + 1))
        for entity, goal in [("PERSON", GOALS["PERSON"]), (NAMES, GOALS["PERSON"]), *list(GOALS.items())[1:]]:
            cells = [entity, str(next(iter(results.values()))[entity]["labelled"])]
            for detector in detectors:
                c = results[detector][entity]
                cells += [
                    ratio(c["recalled"], c["labelled"]),
                    ratio(c["hidden"], c["labelled"]),
                    f"{ratio(c['precise'], c['found'])} of {c['found']}",
                ]
            print("| " + " | ".join([*cells, f"{goal:.2f}"]) + " |")
        if streets:
            print(f"\n{streets}")


def real_part(detectors: dict[str, Detector], limit: int | None, show: int) -> None:
    corpora = {
        "ShareGPT first turns": sharegpt_first_turns(limit),
        "WildChat sample": wildchat_sample(limit),
    }
    print(
        "\n| corpus | detector | chars | replacements | per 1k chars | PERSON per 1k | STREET_ADDRESS |"
        " PROFILE_URL | in code | tech/place names | seconds |"
    )
    print("|" + " --- |" * 11)
    for corpus, conversations in corpora.items():
        chars = sum(len(m["content"]) for c in conversations for m in c["messages"])
        for detector, detect in detectors.items():
            started = time.perf_counter()
            scrubbed = detect(conversations)
            seconds = time.perf_counter() - started
            totals: Counter[str] = Counter()
            examples = []
            for conversation, texts in zip(conversations, scrubbed, strict=True):
                for message, text in zip(conversation["messages"], texts, strict=True):
                    spans = replaced_spans(message["content"], text)
                    totals.update(counts_of(message["content"], spans))
                    examples += [(message["content"], span) for span in spans]
            per_k = 1000 / chars
            print(
                f"| {corpus} | {detector} | {chars:,} | {totals['replacements']:,} | "
                f"{totals['replacements'] * per_k:.2f} | {totals['person'] * per_k:.2f} | "
                f"{totals['address']:,} | {totals['profile']:,} | "
                f"{totals['in_code']:,} | {totals['tech_names']:,} | {seconds:.0f} |"
            )
            for original, span in examples[:: max(1, len(examples) // show)][:show] if show else []:
                context = original[max(0, span.start - 40) : span.end + 40].replace("\n", " ")
                print(f"    {span.entity}: {original[span.start : span.end]!r} in ...{context}...")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--parts", default="labelled,real", help="labelled, real, or both (comma-separated)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N real conversations")
    parser.add_argument("--no-presidio", action="store_true", help="skip presidio as shipped")
    parser.add_argument("--show", type=int, default=0, help="print N replaced values of the real part")
    parser.add_argument(
        "--stage-entities", help="the stage's entity types, comma-separated (default: its own)"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"score threshold {args.threshold}; load average {load:.2f} on {os.cpu_count()} cores")
    entities = args.stage_entities.split(",") if args.stage_entities else None
    detectors = {"stage": the_stage(args.threshold, entities)}
    if not args.no_presidio:
        detectors = {"presidio": presidio_as_shipped(args.threshold), **detectors}
    parts = set(args.parts.split(","))
    if "labelled" in parts:
        labelled_part(detectors)
    if "real" in parts:
        real_part(detectors, args.limit, args.show)


if __name__ == "__main__":
    main()
