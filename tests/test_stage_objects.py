"""Stages as objects: built from keywords as a pipeline file builds them, and ``stage(frame)``
giving what the same stage gives inside a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

import curate
from curate import registry
from curate.config import parse_pipeline
from curate.errors import ConfigError, StageError
from curate.stages import (
    Consent,
    Decontaminate,
    Dedup,
    Generate,
    Language,
    License,
    Normalize,
    Pairs,
    Pii,
    Quality,
    Split,
    Stage,
    StageResult,
)
from curate.yaml_source import load_yaml
from tests.helpers import conversation, frame

EVAL = "evals.jsonl"
GENERATE = {"models": [{"base_url": "http://127.0.0.1:9/v1", "model": "m"}], "send_unscrubbed": True}

# Every registered stage: options a file may give it, and options a file would be refused.
STAGES: list[tuple[type[Stage[Any]], dict[str, Any], dict[str, Any]]] = [
    (Normalize, {"merge_consecutive": False, "late_system": "drop"}, {"late_system": "sometimes"}),
    (Quality, {"min_turns": 2, "max_chars": 500}, {"min_turns": -1, "max_char": 3}),
    (Consent, {"require": "granted"}, {"require": "yes"}),
    (License, {"use": "commercial", "allow": ["MIT"]}, {"use": "research"}),
    (Language, {"keep": ["en", "fr"], "min_confidence": 0.6}, {"min_confidence": 1.5}),
    (Dedup, {"threshold": 0.8, "ngram": 3}, {"threshold": 1.5}),
    (Pii, {"action": "mask", "entities": ["EMAIL_ADDRESS"]}, {"action": "burn"}),
    (Decontaminate, {"against": [EVAL], "ngram": 8}, {"against": ["absent.jsonl"]}),
    (Generate, GENERATE, {**GENERATE, "turns": "some"}),
    (Pairs, {"strategies": ["battle", "ranked"], "max_per_prompt": 2}, {"strategies": ["coin"]}),
    (Split, {"test_size": 0.2, "seed": 3}, {"test_size": 0}),
]
IDS = [stage.name for stage, _, _ in STAGES]


@pytest.fixture(autouse=True)
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current folder holding an input and an eval set, as a pipeline file's folder would."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / EVAL).write_text('{"id": "q1", "prompt": "Name three rivers."}\n', encoding="utf-8")
    (tmp_path / "chats.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    return tmp_path


def from_file(folder: Path, name: str, options: dict[str, Any]) -> Any:
    """What a pipeline file in ``folder`` with this one stage validates to (or the error it gets)."""
    text = yaml.safe_dump(
        {"name": "p", "inputs": [{"name": "c", "path": "chats.jsonl"}], "stages": [{name: options}]}
    )
    return parse_pipeline(load_yaml(text), base=folder)


def test_the_table_covers_every_registered_stage() -> None:
    assert sorted(IDS) == registry.stages.names()


@pytest.mark.parametrize(("stage", "options", "bad"), STAGES, ids=IDS)
def test_a_stage_built_from_keywords_has_the_options_a_file_gives_it(
    stage: type[Stage[Any]], options: dict[str, Any], bad: dict[str, Any], folder: Path
) -> None:
    built = stage(**options)
    assert built.options == from_file(folder, stage.name, options).stages[0].options
    assert built.keywords == options
    assert stage.from_options(**options).options == built.options


@pytest.mark.parametrize(("stage", "options", "bad"), STAGES, ids=IDS)
def test_a_bad_keyword_gets_the_error_a_pipeline_file_gets(
    stage: type[Stage[Any]], options: dict[str, Any], bad: dict[str, Any], folder: Path
) -> None:
    with pytest.raises(ConfigError) as in_file:
        from_file(folder, stage.name, bad)
    with pytest.raises(ConfigError) as by_keyword:
        stage(**bad)
    where = f"stages[0].{stage.name}"
    expected = [
        (issue.path.removeprefix(where).lstrip("."), issue.message, issue.hint)
        for issue in in_file.value.issues
    ]
    assert [(i.path, i.message, i.hint) for i in by_keyword.value.issues] == expected
    first = by_keyword.value.issues[0]
    assert str(by_keyword.value).splitlines()[0] == first.render(f"{stage.__name__}()")


def test_an_unknown_keyword_is_named_with_the_closest_option() -> None:
    with pytest.raises(ConfigError, match=r"^Dedup\(\): treshold: unknown key 'treshold' \(did you mean"):
        Dedup(treshold=0.8)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [((0.8,), "takes its options as keywords"), (({"threshold": 0.8}, {"ngram": 3}), "or as one mapping")],
)
def test_positional_arguments_other_than_options_are_refused(
    arguments: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Dedup(*arguments)


def test_a_mapping_of_options_is_taken_as_a_file_would_hold_it() -> None:
    assert Dedup({"threshold": 0.7}).options.threshold == 0.7
    assert Dedup(Dedup.Options(threshold=0.6)).options.threshold == 0.6


# -- stage(frame) and the same stage inside a run -----------------------------------------------

BATTLE = [
    {
        "question_id": f"q{i}",
        "model_a": "model-x",
        "model_b": "model-y",
        "winner": winner,
        "conversation_a": [{"role": "user", "content": prompt}, {"role": "assistant", "content": a}],
        "conversation_b": [{"role": "user", "content": prompt}, {"role": "assistant", "content": b}],
        **({"language": "English"} if i != 3 else {}),
    }
    for i, (prompt, a, b, winner) in enumerate(
        [
            (
                "Why is the sky blue? Please explain.",
                "Rayleigh scattering of sunlight.",
                "No idea.",
                "model_a",
            ),
            (
                "Why is the sky blue? Please explain!",
                "Rayleigh scattering of sunlight.",
                "Because.",
                "model_a",
            ),
            ("Write to ann@example.com about lunch", "Dear Ann, lunch at noon?", "Hi.", "model_b"),
            (
                "Où est la gare la plus proche d'ici, s'il vous plaît?",
                "Au bout de la rue.",
                "Je ne sais pas.",
                "tie",
            ),
            ("Name three rivers in Europe, please.", "Rhine, Danube, Seine.", "Nile.", "model_a"),
        ]
    )
]
IN_A_RUN: list[Any] = [
    ("normalize", {}),
    ("quality", {"min_chars": 12}),
    ("consent", {"require": "granted"}),
    ("license", {"use": "commercial"}),
    ("language", {"keep": ["en"]}),
    ("dedup", {"threshold": 0.5}),
    ("decontaminate", {"against": [EVAL], "ngram": 3, "min_words": 3}),
    ("pairs", {"strategies": ["battle"]}),
    ("split", {"test_size": 0.4}),
    pytest.param("pii", {"action": "replace"}, marks=pytest.mark.slow),
]


@pytest.mark.parametrize(
    ("name", "options"), IN_A_RUN, ids=[str(case[0]) for case in IN_A_RUN[:-1]] + ["pii"]
)
def test_a_stage_called_on_a_frame_gives_what_it_gives_inside_a_run(
    name: str, options: dict[str, Any], folder: Path
) -> None:
    lines = [json.dumps(record) for record in BATTLE]
    (folder / "battles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = {"name": "b", "path": "battles.jsonl", "format": "arena", "license": "CC-BY-NC-4.0"}
    run = curate.Pipeline(stages=[{name: options}], inputs=[source]).run(write=False)
    rows = curate.read("battles.jsonl", "arena", name="b", license="CC-BY-NC-4.0").frame
    result = registry.stages.get(name)(**options)(rows)
    assert isinstance(result, StageResult)
    assert result.rejected.equals(run.rejects_of(name))
    assert result.kept.drop("_split", strict=False).equals(run.output.drop("_split", strict=False))
    if "_split" in run.output.columns:
        assert result.kept["_split"].to_list() == run.output["_split"].to_list()
    stats = run.manifest.stage(name)
    assert stats is not None
    assert (result.report.model_dump() if result.report else {}) == stats.report
    assert stats.rows_rejected == result.rejected.height
    if name not in ("normalize", "split", "pii"):  # the rows give every other stage something to drop
        assert result.rejected.height > 0


def test_calling_a_stage_runs_the_runners_checks() -> None:
    class Loses(Normalize):
        def process(self, frame: pl.DataFrame) -> Any:
            output = super().process(frame)
            output.kept = output.kept.head(0)
            return output

    with pytest.raises(StageError, match="lost rows: 1 in, 0 kept, 0 rejected"):
        Loses()(frame(conversation("c1")))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([{"id": "a"}], "takes a polars DataFrame of conversations, not a list"),
        (pl.DataFrame({"prompt": [], "chosen": [], "rejected": []}), "takes conversations, not pairs"),
        (pl.DataFrame({"id": ["a"], "messages": ["hi"]}), "do not have the canonical types of conversations"),
    ],
)
def test_a_frame_a_stage_cannot_take_is_a_clear_error(given: Any, message: str) -> None:
    with pytest.raises(StageError, match=message):
        Normalize()(given)


def test_missing_canonical_columns_are_added_as_nulls() -> None:
    rows = pl.DataFrame(
        {
            "id": ["a"],
            "messages": [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]],
        }
    )
    result = Normalize()(rows)
    assert result.kept.columns == list(curate.schema.CONVERSATION)
    assert result.rejected.height == 0
