"""The decontaminate stage: evaluation questions found inside prompts, named by file and id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from curate import schema
from curate.decontamination.evalsets import read_eval_set
from curate.decontamination.overlap import NgramIndex
from curate.errors import ConfigError, StageError
from curate.stages.decontaminate import Decontaminate
from tests.helpers import conversation, figures, frame, run_pipeline
from tests.pairs_support import write_jsonl

HAWAII = (
    "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural "
    "experiences and must-see attractions."
)
QUESTION = (
    "Explain in detail why the ocean tides on the coast of Brittany rise higher than anywhere "
    "else in Europe during the spring equinox."
)


def reasons(stage: Decontaminate, data: pl.DataFrame) -> dict[str, str]:
    rejected = stage(data).rejected
    return dict(zip(rejected["id"].to_list(), rejected["reason"].to_list(), strict=True))


def ask(id: str, text: str, *more: tuple[str, str]) -> dict[str, Any]:
    return conversation(id, ("user", text), ("assistant", "Sure."), *more)


@pytest.fixture
def plain_eval(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "my_eval.jsonl",
        [{"id": "q-1", "prompt": QUESTION}, {"id": "q-2", "prompt": "Too short to judge."}],
    )


def test_mt_bench_question_pasted_inside_a_longer_prompt(shared_data: Path) -> None:
    stage = Decontaminate.from_options(against=[shared_data / "evals" / "mt_bench_questions.jsonl"])
    data = frame(
        ask("pasted", f"Hi! My teacher gave us this:\n\n{HAWAII.upper()}\n\nCan you write it for me? Thanks"),
        ask(
            "paraphrased", "Write a fun blog post about my holiday in Hawaii, with culture and sights to see."
        ),
        ask("unrelated", "How do I sort a list of tuples by their second element in Python?"),
    )
    assert reasons(stage, data) == {"pasted": "contaminated:mt_bench_questions.jsonl:81"}
    assert figures(stage)["contaminated"] == {"mt_bench_questions.jsonl": 1}
    assert figures(stage)["evaluation_texts"] == {"mt_bench_questions.jsonl": 160}


def test_arena_hard_turn_dicts(shared_data: Path) -> None:
    path = shared_data / "evals" / "arena_hard_v0.1_questions.jsonl"
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[3])
    stage = Decontaminate.from_options(against=[path])
    data = frame(ask("copied", "Please help: " + first["turns"][0]["content"]), ask("clean", QUESTION))
    assert reasons(stage, data) == {"copied": f"contaminated:{path.name}:{first['question_id']}"}


@pytest.mark.parametrize(
    ("record", "texts"),
    [
        (
            {"question_id": 7, "turns": ["First turn.", "Second turn."]},
            [("7", "First turn."), ("7", "Second turn.")],
        ),
        ({"question_id": "ab", "turns": [{"content": "One."}]}, [("ab", "One.")]),
        (
            {"uid": "u", "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]},
            [("u", "U")],
        ),
        ({"id": 3, "prompt": "P"}, [("3", "P")]),
        ({"prompt": "No id"}, [("1", "No id")]),
    ],
    ids=["mt-bench", "arena-hard", "messages", "plain", "line number as id"],
)
def test_eval_layouts(tmp_path: Path, record: dict[str, Any], texts: list[tuple[str, str]]) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [record])
    assert [(text.id, text.text) for text in read_eval_set(path)] == texts


def test_an_unknown_layout_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "odd.jsonl", [{"prompt": "fine"}, {"question": "where is the text?"}])
    with pytest.raises(
        StageError, match=r"evaluation set odd.jsonl, line 2: no `turns`, `messages` or `prompt`"
    ):
        read_eval_set(path)


@pytest.mark.parametrize(
    ("prompt", "contaminated"),
    [
        (QUESTION, True),
        (f"Context first. {QUESTION.lower().replace(',', ' ')} And more after.", True),
        (" ".join(QUESTION.split()[:12]), False),
        (QUESTION.replace("Brittany", "Normandy").replace("Europe", "France"), False),
        ("Too short to judge.", False),
    ],
    ids=[
        "verbatim",
        "case and punctuation",
        "12 words only",
        "words changed every few words",
        "short eval text",
    ],
)
def test_ngram_overlap(plain_eval: Path, prompt: str, contaminated: bool) -> None:
    stage = Decontaminate.from_options(against=[plain_eval])
    assert reasons(stage, frame(ask("x", prompt))) == (
        {"x": "contaminated:my_eval.jsonl:q-1"} if contaminated else {}
    )


def test_short_eval_texts_match_whole_when_long_enough(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "short.jsonl",
        [{"id": "s", "prompt": "Rewrite your previous response in exactly three lines."}],
    )
    stage = Decontaminate.from_options(against=[path])
    data = frame(
        ask("a", "ok. REWRITE your previous response, in exactly three lines!"),
        ask("b", "Rewrite your previous response."),
    )
    assert reasons(stage, data) == {"a": "contaminated:short.jsonl:s"}
    assert figures(stage)["texts_too_short"] == 0


def test_min_matches(plain_eval: Path) -> None:
    half = " ".join(QUESTION.split()[:14])
    assert reasons(Decontaminate.from_options(against=[plain_eval]), frame(ask("x", half))) == {
        "x": "contaminated:my_eval.jsonl:q-1"
    }
    assert (
        reasons(Decontaminate.from_options(against=[plain_eval], min_matches=3), frame(ask("x", half))) == {}
    )


def test_the_best_overlapping_text_is_named(tmp_path: Path) -> None:
    other = QUESTION.split()
    partial = " ".join(other[:13]) + " differently from the rest of the world."
    path = write_jsonl(
        tmp_path / "two.jsonl", [{"id": "partial", "prompt": partial}, {"id": "full", "prompt": QUESTION}]
    )
    assert reasons(Decontaminate.from_options(against=[path]), frame(ask("x", QUESTION))) == {
        "x": "contaminated:two.jsonl:full"
    }


def test_pairs_are_checked_on_their_prompt(plain_eval: Path) -> None:
    pairs = schema.pairs(
        [
            {
                "prompt": [{"role": "system", "content": QUESTION}, {"role": "user", "content": "Go."}],
                "chosen": [{"role": "assistant", "content": "Answer."}],
                "rejected": [{"role": "assistant", "content": "No."}],
                "id": "in-prompt",
            },
            {
                "prompt": [{"role": "user", "content": "Go."}],
                "chosen": [{"role": "assistant", "content": QUESTION}],
                "rejected": [{"role": "assistant", "content": "No."}],
                "id": "in-answer",
            },
        ]
    )
    assert reasons(Decontaminate.from_options(against=[plain_eval]), pairs) == {
        "in-prompt": "contaminated:my_eval.jsonl:q-1"
    }


def test_conversations_are_checked_on_user_and_system_turns(plain_eval: Path) -> None:
    data = frame(
        conversation("sys", ("system", QUESTION), ("user", "Go."), ("assistant", "Ok.")),
        conversation("answer", ("user", "Go."), ("assistant", QUESTION)),
    )
    assert reasons(Decontaminate.from_options(against=[plain_eval]), data) == {
        "sys": "contaminated:my_eval.jsonl:q-1"
    }


@pytest.mark.parametrize(
    ("prompt", "contaminated"),
    [
        (QUESTION.upper() + "!!", True),
        (QUESTION.replace("during the spring equinox", "in spring"), True),
        (
            f"{QUESTION} " + "Also tell me about the history of the region, its food and its music. " * 3,
            False,
        ),
    ],
    ids=["same words", "near-duplicate", "quoted inside a long prompt"],
)
def test_minhash_finds_near_duplicates_of_whole_texts(
    plain_eval: Path, prompt: str, contaminated: bool
) -> None:
    stage = Decontaminate.from_options(against=[plain_eval], method="minhash", threshold=0.5, shingle=2)
    assert reasons(stage, frame(ask("x", prompt))) == (
        {"x": "contaminated:my_eval.jsonl:q-1"} if contaminated else {}
    )


def test_ngram_index_confirms_hash_hits_word_by_word(plain_eval: Path) -> None:
    index = NgramIndex(read_eval_set(plain_eval), n=13)
    assert [match is not None for match in index.search([QUESTION, "", "x " * 40])] == [True, False, False]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("{against: [missing.jsonl]}", "no such file or folder"),
        ("{against: []}", "List should have at least 1 item"),
        ("{against: [my_eval.jsonl], threshold: 0.5}", "threshold: only for method minhash"),
        ("{against: [my_eval.jsonl], method: minhash, ngram: 8}", "ngram: only for method ngram"),
        ("{against: [my_eval.jsonl], ngram: 2}", "stages[0].decontaminate.ngram"),
        ("{against: [my_eval.jsonl, sub/my_eval.jsonl]}", "two evaluation files share a name"),
    ],
)
def test_invalid_options_are_named(tmp_path: Path, plain_eval: Path, options: str, message: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "my_eval.jsonl").write_bytes(plain_eval.read_bytes())
    data = write_jsonl(tmp_path / "rows.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}])
    inputs = f"[{{name: s, path: {data.name}, format: openai}}]"
    text = f"name: t\ninputs: {inputs}\nstages:\n  - decontaminate: {options}\n"
    with pytest.raises(ConfigError) as caught:
        run_pipeline(tmp_path, text, write=False)
    assert message in str(caught.value)


@pytest.mark.parametrize("method", ["ngram", "minhash"])
def test_rows_without_text_are_kept(tmp_path: Path, method: str) -> None:
    # An evaluation text without words matches nothing, not even a prompt without words.
    path = write_jsonl(
        tmp_path / "e.jsonl", [{"id": "q-1", "prompt": QUESTION}, {"id": "p", "prompt": "???"}]
    )
    data = frame(
        {**conversation("none"), "messages": None},
        {**conversation("empty"), "messages": []},
        conversation("blank", ("user", ""), ("assistant", "")),
        conversation("marks", ("user", "!!!"), ("assistant", "?")),
    )
    output = Decontaminate.from_options(against=[path], method=method)(data)
    assert (output.kept.height, output.rejected.height) == (4, 0)
