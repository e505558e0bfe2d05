"""Precision and recall of the ``pii`` stage per entity type, against labelled spans.

    .venv/bin/python benchmarks/pii_quality.py [--file PATH] [--threshold 0.5]

The file is presidio-research's ``generated_small.json``: 100 synthetic sentences with
labelled spans. Each sentence is scanned as a user turn (NER on). A labelled span is
recalled when a finding of the same type overlaps it; a finding is precise when it overlaps
a labelled span of its type. Two detectors are compared on the same sentences:

- presidio as shipped (``AnalyzerEngine`` with the same spaCy model, default recognizers);
- the stage's analysis (its recognizers, thresholds and name-shape rules).

Only the stage's default entity types are scored; the file also labels addresses,
locations and organisations, which the stage does not look for by default.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_FILE = ROOT.parent / "shared" / "data" / "pii" / "presidio_research_generated_small.json"
TARGETS = {
    "EMAIL_ADDRESS": 0.95,
    "PHONE_NUMBER": 0.95,
    "CREDIT_CARD": 0.95,
    "US_SSN": 0.95,
    "IP_ADDRESS": 0.95,
    "PERSON": 0.85,
}

Span = tuple[str, int, int]
Detector = Callable[[Sequence[str]], list[list[Span]]]


def presidio_as_shipped(threshold: float) -> Detector:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    from curate.pii.entities import DEFAULT_ENTITIES, DEFAULT_MODEL
    from curate.pii.offline import use_bundled_suffix_list

    use_bundled_suffix_list()
    analyzer = AnalyzerEngine(
        nlp_engine=SpacyNlpEngine(models=[{"lang_code": "en", "model_name": DEFAULT_MODEL}])
    )

    def detect(texts: Sequence[str]) -> list[list[Span]]:
        return [
            [
                (r.entity_type, r.start, r.end)
                for r in analyzer.analyze(
                    text, language="en", entities=list(DEFAULT_ENTITIES), score_threshold=threshold
                )
            ]
            for text in texts
        ]

    return detect


def the_stage(threshold: float) -> Detector:
    from curate.pii.analysis import Scanner
    from curate.stages.pii import Pii, PiiOptions

    stage = Pii(PiiOptions(score_threshold=threshold))
    scanner = Scanner(stage.spec())

    def detect(texts: Sequence[str]) -> list[list[Span]]:
        found = scanner.findings(list(texts), [True] * len(texts))
        return [[(f.entity, f.start, f.end) for f in findings] for findings in found]

    return detect


def score(gold: list[list[Span]], predicted: list[list[Span]]) -> dict[str, dict[str, float]]:
    def overlaps(a: Span, b: Span) -> bool:
        return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]

    counts: dict[str, Counter[str]] = {}
    for truth, found in zip(gold, predicted, strict=True):
        for span in truth:
            counts.setdefault(span[0], Counter())["gold"] += 1
            counts[span[0]]["recalled"] += any(overlaps(span, f) for f in found)
        for span in found:
            counts.setdefault(span[0], Counter())["found"] += 1
            counts[span[0]]["precise"] += any(overlaps(span, g) for g in truth)
    return {
        entity: {
            "gold": c["gold"],
            "found": c["found"],
            "recall": c["recalled"] / c["gold"] if c["gold"] else float("nan"),
            "precision": c["precise"] / c["found"] if c["found"] else float("nan"),
        }
        for entity, c in sorted(counts.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    if not args.file.exists():
        sys.exit(f"no labelled file at {args.file} (it lives in ../shared/data, outside the repo)")
    records = json.loads(args.file.read_text("utf-8"))
    texts = [record["full_text"] for record in records]
    gold = [
        [
            (s["entity_type"], s["start_position"], s["end_position"])
            for s in r["spans"]
            if s["entity_type"] in TARGETS
        ]
        for r in records
    ]
    results = {
        "presidio as shipped": score(gold, presidio_as_shipped(args.threshold)(texts)),
        "stage": score(gold, the_stage(args.threshold)(texts)),
    }
    print(f"{len(texts)} sentences from {args.file.name}, score threshold {args.threshold}\n")
    header = [
        "entity",
        "labelled",
        "presidio recall",
        "presidio precision",
        "stage recall",
        "stage precision",
    ]
    print("| " + " | ".join([*header, "target"]) + " |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    missed = []
    for entity, target in TARGETS.items():
        base, ours = results["presidio as shipped"].get(entity, {}), results["stage"].get(entity, {})
        nan = float("nan")
        cells = [base.get("recall", nan), base.get("precision", nan), ours.get("recall", nan)]
        cells += [ours.get("precision", nan), target]
        print(f"| {entity} | {ours.get('gold', 0)} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
        if not ours.get("recall", 0) >= target:
            missed.append(entity)
    print("\nbelow target:", ", ".join(missed) if missed else "none")


if __name__ == "__main__":
    main()
