"""Output folders built by hand, as a run of a full pairs pipeline would leave them.

The card and publish tests need folders with a ``pii`` stage, a derived license, two splits
and rejects holding personal data; these builders make them from a few inline rows, with the
manifest's counts computed from those rows so that they agree as a real run's would.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from curate import schema

PLANTED = ("jane.doe@example.com", "+1 415-555-0199", "Jane Q. Doppelganger")
"""Personal data planted in rejects (and, for unscrubbed runs, in rows): it must never reach a card."""

LICENSE: dict[str, Any] = {
    "id": "cc-by-4.0",
    "expression": "CC-BY-4.0",
    "use": "commercial",
    "attribution_required": True,
    "share_alike": False,
    "redistribution_allowed": True,
    "licenses": [
        {
            "key": "CC-BY-4.0",
            "name": "Creative Commons Attribution 4.0",
            "url": "https://creativecommons.org/licenses/by/4.0/",
            "rows": 8,
            "use": "commercial",
            "attribution": True,
            "share_alike": False,
        }
    ],
    "attributions": [
        {"license": "CC-BY-4.0", "sources": ["arena"], "text": "Arena battles by the Arena team."}
    ],
    "terms": [
        {"provider": "openai", "rows": 3, "note": "outputs may not train competing models", "url": None}
    ],
    "derivation": ["every row is CC-BY-4.0", "CC-BY-4.0 allows commercial use with attribution"],
}


def pair(
    index: int, strategy: str = "battle", language: str = "en", text: str | None = None
) -> dict[str, Any]:
    """One pair row; ``text`` replaces the prompt (to plant something in it)."""
    return {
        "prompt": [{"role": "user", "content": text or f"Question {index}: how do tides work?"}],
        "chosen": [{"role": "assistant", "content": f"Answer {index}: the moon's gravity pulls the sea."}],
        "rejected": [{"role": "assistant", "content": f"Answer {index}: no idea."}],
        "score_chosen": None,
        "score_rejected": None,
        "strategy": strategy,
        "source": "arena",
        "license": "CC-BY-4.0",
        "language": language,
        "chosen_id": f"c{index}a",
        "rejected_id": f"c{index}b",
        "id": f"p{index:03d}",
    }


DEFAULT_SPLITS = {
    "train": [pair(1), pair(2, "ranked"), pair(3), pair(4, language="de"), pair(5), pair(6, "ranked")],
    "test": [pair(7), pair(8)],
}


def stage(
    name: str,
    rows_in: int,
    rows_out: int,
    reasons: dict[str, int] | None = None,
    report: dict[str, Any] | None = None,
    unit_in: str = "conversations",
    unit_out: str = "conversations",
    consumed: int | None = None,
) -> dict[str, Any]:
    """A manifest stage entry; rows rejected is the sum of ``reasons``."""
    reasons = reasons or {}
    entry: dict[str, Any] = {
        "name": name,
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_rejected": sum(reasons.values()),
        "seconds": 0.25,
        "unit_in": unit_in,
        "unit_out": unit_out,
        "reasons": reasons,
    }
    if consumed is not None:
        entry["rows_consumed"] = consumed
    if report:
        entry["report"] = report
    return entry


def default_stages(pairs: int, pii: bool = True) -> list[dict[str, Any]]:
    stages = [
        stage("read", 22, 21, {"invalid_json": 1}, unit_in="records", consumed=21),
        stage("normalize", 21, 21),
        stage("language", 21, 21, report={"languages": {"en": 19, "de": 2}, "cache_hits": 4}),
        stage(
            "dedup",
            21,
            19,
            {"duplicate_of:c9a": 1, "duplicate_of:c9b": 1},
            {
                "exact_duplicates": 1,
                "near_duplicates": 1,
                "earlier_release": 0,
                "prompt_clusters": 9,
                "largest_clusters": [3, 2],
                "largest_duplicate_sets": [2],
                "char_shingled": 0,
                "without_shingles": 0,
                "threshold": 0.8,
                "num_perm": 128,
                "bands": 9,
                "rows": 13,
                "ngram": 5,
                "char_ngram": 3,
                "shingle": "auto",
                "keep": "first",
                "seed": 0,
                "against": 0,
            },
        ),
    ]
    if pii:
        report = {
            "entities": {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1, "PERSON": 3},
            "actions": {"replace": 6},
            "conversations_with_pii": 4,
            "conversations_scanned": 19,
            "messages_scanned": 40,
            "texts_analysed": 38,
            "texts_reused": 2,
            "echoes_removed": 0,
            "source_redacted": {"seen": 0, "policy": "scan"},
            "action": "replace",
            "entity_types": ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"],
            "score_threshold": {"PERSON": 0.5, "EMAIL_ADDRESS": 0.5, "PHONE_NUMBER": 0.5},
            "roles": ["system", "user", "assistant"],
            "ner_on": ["system", "user"],
            "model": "en_core_web_sm",
        }
        stages.append(stage("pii", 19, 19, report=report))
    stages += [
        stage(
            "license",
            19,
            19,
            report={
                "use": "commercial",
                "model_terms": "apply",
                "unknown": "reject",
                "require_attribution": True,
                "licenses": {"CC-BY-4.0": {"kept": 19, "dropped": 0}},
                "terms": {},
            },
        ),
        stage(
            "pairs",
            19,
            pairs,
            {"no_pair:single_answer": 3},
            {
                "strategies": ["battle", "ranked"],
                "conversations": 19,
                "groups": 10,
                "prompt_clusters": 9,
                "pairs": pairs,
                "pairs_by_strategy": {"battle": 6, "ranked": 2},
                "groups_without_pair": {"single_reply": 2},
                "max_per_prompt": 1,
            },
            unit_out="pairs",
            consumed=16,
        ),
        stage(
            "split",
            pairs,
            pairs,
            report={
                "test_size": 0.25,
                "target_test_rows": 2,
                "seed": 0,
                "train": {"rows": 6, "clusters": 5},
                "test": {"rows": 2, "clusters": 2},
            },
            unit_in="pairs",
            unit_out="pairs",
        ),
    ]
    return stages


PIPELINE_TEXT = """name: tides
description: Preference pairs about tides.
inputs:
  - name: arena
    path: data/arena.jsonl
    format: arena
    license: CC-BY-4.0
stages:
  - normalize: {}
  - dedup: {}
  - pii: {action: replace}
  - license: {use: commercial}
  - pairs: {strategies: [battle, ranked]}
  - split: {test_size: 0.25}
output:
  formats: [parquet, jsonl]
"""


def make_folder(
    folder: Path,
    *,
    splits: dict[str, list[dict[str, Any]]] | None = None,
    pii: bool = True,
    license: dict[str, Any] | None = LICENSE,
    formats: Iterable[str] = ("parquet", "jsonl"),
    stages: list[dict[str, Any]] | None = None,
) -> Path:
    """Write an output folder: data files, rejects holding ``PLANTED`` values, a dedup index, manifest."""
    splits = DEFAULT_SPLITS if splits is None else splits
    formats = list(formats)
    files = []
    for split, rows in splits.items():
        frame = schema.pairs(rows)
        for fmt in formats:
            name = f"data/{split}-00000-of-00001.{fmt}"
            (folder / "data").mkdir(parents=True, exist_ok=True)
            if fmt == "parquet":
                frame.write_parquet(folder / name)
            else:
                frame.write_ndjson(folder / name)
            files.append(name)
    (folder / "rejects").mkdir(exist_ok=True)
    pl.DataFrame(
        {"source": ["arena"], "stage": ["read"], "reason": ["invalid_json"], "raw": [f"{{{PLANTED[0]}"]}
    ).write_parquet(folder / "rejects" / "read.parquet")
    duplicate = schema.conversations(
        [{"id": "c9b", "source": "arena", "messages": [{"role": "user", "content": " ".join(PLANTED)}]}]
    )
    duplicate.with_columns(stage=pl.lit("dedup"), reason=pl.lit("duplicate_of:c9a")).write_parquet(
        folder / "rejects" / "dedup.parquet"
    )
    (folder / "dedup").mkdir(exist_ok=True)
    (folder / "dedup" / "index.bin").write_bytes(b"\x00" * 16)
    count = sum(len(rows) for rows in splits.values())
    manifest: dict[str, Any] = {
        "manifest_version": 1,
        "name": "tides",
        "description": "Preference pairs about tides.",
        "curate_version": "0.1.0",
        "config_hash": "sha256:" + "ab" * 32,
        "config": {"name": "tides"},
        "pipeline_text": PIPELINE_TEXT if pii else re.sub(r"  - pii:.*\n", "", PIPELINE_TEXT),
        "seed": 0,
        "inputs": [
            {
                "name": "arena",
                "format": "arena",
                "format_detected": False,
                "files": [{"path": "data/arena.jsonl", "bytes": 4096, "sha256": "cd" * 32}],
                "records": 22,
                "rows": 21,
                "rejected": 1,
                "reasons": {"invalid_json": 1},
                "license": "CC-BY-4.0",
                "consent": "unknown",
            }
        ],
        "stages": default_stages(count, pii) if stages is None else stages,
        "output": {
            "kind": "pairs",
            "rows": count,
            "splits": {split: len(rows) for split, rows in splits.items()},
            "formats": formats,
            "files": files,
        },
        "versions": {"python": "3.11.7", "curate": "0.1.0"},
    }
    if license is not None:
        manifest["license"] = license
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


def flag_planted(texts: Iterable[str]) -> dict[str, int]:
    """A residual scanner for tests: counts texts holding a planted e-mail or phone number."""
    found = {"EMAIL_ADDRESS": 0, "PHONE_NUMBER": 0}
    for text in texts:
        found["EMAIL_ADDRESS"] += PLANTED[0] in text
        found["PHONE_NUMBER"] += PLANTED[1] in text
    return found


def find_nothing(texts: Iterable[str]) -> dict[str, int]:
    """A residual scanner for tests that reads every text and finds nothing."""
    for _ in texts:
        pass
    return {}


def folder_digest(folder: Path, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every file's SHA-256, and the manifest without its timings (nor its ``ignore`` keys)."""
    digest: dict[str, Any] = {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ignore:
        manifest.pop(key, None)
    digest["manifest.json"] = without_seconds(manifest)
    return digest


def without_seconds(value: Any) -> Any:
    """A manifest (or part of one) without its ``seconds``: what differs between equal runs."""
    if isinstance(value, dict):
        return {key: without_seconds(item) for key, item in value.items() if key != "seconds"}
    if isinstance(value, list):
        return [without_seconds(item) for item in value]
    return value
