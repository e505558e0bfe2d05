"""The ``dedup`` stage: duplicate conversations dropped, near-duplicate prompts grouped."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from curate import schema
from curate.errors import ConfigError, StageError
from curate.stages.base import StageOutput
from curate.stages.dedup import Dedup
from tests.helpers import conversation, figures, frame, run_pipeline

PARAGRAPH = (
    "The river town woke slowly that autumn morning, when fog still covered the old stone bridge "
    "and fishermen argued about weather near the market. Anna carried fresh bread to her grandmother, "
    "who lived above the bakery and kept a notebook of every storm since nineteen fifty two. "
    "Together they counted boats drifting past the mill, guessed which family owned each one, "
    "and laughed whenever a gull stole something shiny from the docks. Later the schoolteacher "
    "arrived with maps, explaining how glaciers carved this valley long before anyone built "
    "houses, roads, churches or the small railway station that now brought tourists every summer."
)
OTHER = (
    "Quantum computers use qubits that can represent zero and one at the same time, which lets "
    "certain algorithms explore many possibilities in parallel. Error correction remains the hardest "
    "engineering problem, because fragile states collapse when they interact with heat, vibration "
    "or stray electromagnetic fields from nearby equipment in the laboratory."
)
CHINESE = (
    "秋天的早晨，小镇慢慢醒来，雾气还笼罩着古老的石桥，渔民们在市场附近争论天气。"
    "安娜把新鲜的面包带给住在面包店楼上的奶奶，奶奶有一本笔记本，记录着每一场暴风雨。"
)


def one_word_changed(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))}


def jaccard(prompt_a: str, prompt_b: str, reply_a: str, reply_b: str) -> float:
    left = shingles(prompt_a) | shingles(reply_a)
    right = shingles(prompt_b) | shingles(reply_b)
    return len(left & right) / len(left | right)


def run(data: pl.DataFrame, **options: Any) -> tuple[StageOutput, dict[str, Any]]:
    stage = Dedup.from_options(**options)
    output = stage(data)
    return output, figures(stage)


def chat(id: str, prompt: str, answer: str, **columns: Any) -> dict[str, Any]:
    return conversation(id, ("user", prompt), ("assistant", answer), **columns)


def rejected(output: StageOutput) -> dict[str, tuple[str, str]]:
    return {row["id"]: (row["reason"], row["detail"]) for row in output.rejected.iter_rows(named=True)}


@pytest.mark.parametrize(
    "copy",
    [
        PARAGRAPH,
        PARAGRAPH.upper(),
        PARAGRAPH.replace(",", "").replace(".", "!"),
        PARAGRAPH.replace(" ", "  \n"),
        "ＴＨＥ" + PARAGRAPH[3:],
    ],
)
def test_exact_copies_after_normalisation_are_dropped(copy: str) -> None:
    output, report = run(frame(chat("a", "Tell me a story", PARAGRAPH), chat("b", "Tell me a story", copy)))
    assert rejected(output) == {"b": ("duplicate", "exact duplicate of 'a' from 'test' (Jaccard 1.00)")}
    assert output.kept["id"].to_list() == ["a"]
    assert (report["exact_duplicates"], report["near_duplicates"]) == (1, 0)


@pytest.mark.parametrize(
    ("old", "new"),
    [("grandmother", "grandfather"), ("boats", "ships"), ("summer", "winter"), ("The", "A")],
)
def test_a_one_word_edit_of_a_long_text_is_a_near_duplicate(old: str, new: str) -> None:
    edited = one_word_changed(PARAGRAPH, old, new)
    output, report = run(frame(chat("a", "Story?", PARAGRAPH), chat("b", "Story?", edited)))
    reason, detail = rejected(output)["b"]
    assert reason == "duplicate"
    match = re.fullmatch(r"near duplicate of 'a' from 'test' \((estimated )?Jaccard (\d\.\d\d)\)", detail)
    assert match, detail
    # Verified on exact shingle sets: the prompt's and the reply's (none straddles the two).
    truth = jaccard("Story?", "Story?", PARAGRAPH, edited)
    if match.group(1):  # far from the threshold: the estimate decides
        assert abs(float(match.group(2)) - truth) < 0.1
    else:
        assert float(match.group(2)) == round(truth, 2)
    assert report["near_duplicates"] == 1


def test_unrelated_texts_are_kept_in_their_own_prompt_clusters() -> None:
    words = PARAGRAPH.split()
    shuffled = " ".join(words[1::2] + words[::2])
    rows = frame(
        chat("a", "Tell me a story", PARAGRAPH),
        chat("b", "Explain quantum computers", OTHER),
        chat("c", "Shuffle it", shuffled),
        chat("d", "hi", "hello"),
    )
    output, report = run(rows)
    assert output.rejected.height == 0
    assert output.kept["prompt_cluster"].to_list() == ["test:a", "test:b", "test:c", "test:d"]
    assert report["prompt_clusters"] == 4


@pytest.mark.parametrize(
    ("language", "shingle", "dropped"),
    [(None, "auto", True), ("zh", "auto", True), (None, "char", True), (None, "word", False)],
)
def test_cjk_near_duplicates_need_character_shingles(
    language: str | None, shingle: str, dropped: bool
) -> None:
    edited = one_word_changed(CHINESE, "新鲜", "新烤")
    rows = frame(
        chat("a", "讲个故事", CHINESE, language=language),
        chat("b", "讲个故事", edited, language=language),
    )
    output, report = run(rows, shingle=shingle)
    assert ("b" in rejected(output)) is dropped
    if dropped:
        assert re.fullmatch(
            r"near duplicate of 'a' from 'test' \((estimated )?Jaccard 0\.\d\d\)", rejected(output)["b"][1]
        )
    assert report["char_shingled"] == (0 if shingle == "word" else 2)


CREATED = [datetime(2024, 1, day, tzinfo=UTC) for day in (1, 3, 2)]


@pytest.mark.parametrize(
    ("keep", "kept"),
    [("first", "a"), ("longest", "b"), ("newest", "b")],
)
def test_keep_policy(keep: str, kept: str) -> None:
    rows = [
        chat("a", "Story?", PARAGRAPH, created_at=CREATED[0]),
        chat("b", "Story?", PARAGRAPH + " The end.", created_at=CREATED[1]),
        chat("c", "Story?", PARAGRAPH.replace(",", ""), created_at=CREATED[2]),
    ]
    for order in ([0, 1, 2], [2, 1, 0], [1, 0, 2]):
        output, _ = run(frame(*[rows[i] for i in order]), keep=keep)
        expected = kept if keep != "first" else rows[order[0]]["id"]
        assert output.kept["id"].to_list() == [expected]
        assert {detail.split("'")[1] for _, detail in rejected(output).values()} == {expected}


@pytest.mark.parametrize(("keep", "kept"), [("longest", "a"), ("newest", "b")])
def test_keep_policy_ties_go_to_the_earlier_row(keep: str, kept: str) -> None:
    rows = frame(
        chat("a", "Story?", PARAGRAPH, created_at=None),
        chat("b", "Story?", PARAGRAPH, created_at=CREATED[0]),
        chat("c", "Story?", PARAGRAPH, created_at=CREATED[0]),
    )
    output, _ = run(rows, keep=keep)
    assert output.kept["id"].to_list() == [kept]


def test_alternatives_of_one_prompt_are_never_duplicates_of_each_other() -> None:
    rows = frame(
        chat("battle1-a", "Write a haiku", "Autumn moonlight", group="battle1", model="m1"),
        chat("battle1-b", "Write a haiku", "Autumn moonlight", group="battle1", model="m2"),
        chat("battle2-a", "Write a haiku", "Autumn moonlight", group="battle2", model="m1"),
        chat("battle2-b", "Write a haiku", "Autumn moonlight!", group="battle2", model="m3"),
    )
    output, _ = run(rows)
    assert output.kept["id"].to_list() == ["battle1-a", "battle1-b"]
    assert output.kept["prompt_cluster"].to_list() == ["test:battle1-a", "test:battle1-a"]
    assert rejected(output) == {
        "battle2-a": ("duplicate", "exact duplicate of 'battle1-a' from 'test' (Jaccard 1.00)"),
        "battle2-b": ("duplicate", "exact duplicate of 'battle1-a' from 'test' (Jaccard 1.00)"),
    }


def test_rows_of_one_group_share_a_prompt_cluster_even_with_different_prompts() -> None:
    rows = frame(
        chat("x", "Question one about rivers", "Answer one", group="g"),
        chat("y", "A different question entirely", "Answer two", group="g"),
        chat("z", "Question one about rivers", "Answer three"),
    )
    output, _ = run(rows)
    assert output.kept["prompt_cluster"].to_list() == ["test:x", "test:x", "test:x"]


def test_prompt_clusters_group_near_duplicate_prompts_not_answers() -> None:
    long_prompt = "Please summarise this text for me: " + PARAGRAPH
    rows = frame(
        chat("p1", long_prompt, "A town, a river and a grandmother."),
        chat("p2", one_word_changed(long_prompt, "boats", "ships"), "A story about a valley."),
        chat("p3", "Please summarise this text for me: " + OTHER, "Qubits are fragile."),
        conversation(
            "p4", ("user", long_prompt), ("assistant", "Sure."), ("user", "Shorter?"), ("assistant", "Town.")
        ),
    )
    output, report = run(rows)
    # The long prompt outweighs the answers, yet different answers are alternatives, kept.
    assert output.rejected.height == 0
    # p4's prompt is its first three turns: the long text plus a few words, a near duplicate.
    assert output.kept["prompt_cluster"].to_list() == ["test:p1", "test:p1", "test:p3", "test:p1"]
    assert report["largest_clusters"] == [3, 1]


def test_near_duplicate_prompts_with_long_different_answers_share_a_cluster() -> None:
    """The whole conversations are far apart; only the prompts are near duplicates."""
    words = OTHER.split()
    rows = frame(
        chat("q1", PARAGRAPH, OTHER),
        chat("q2", one_word_changed(PARAGRAPH, "boats", "ships"), " ".join(words[1::2] + words[::2])),
    )
    output, _ = run(rows)
    assert output.rejected.height == 0
    assert output.kept["prompt_cluster"].to_list() == ["test:q1", "test:q1"]


def test_report_counts_and_settings() -> None:
    rows = frame(
        chat("a", "Story?", PARAGRAPH),
        chat("b", "Story?", PARAGRAPH),
        chat("c", "Story?", one_word_changed(PARAGRAPH, "boats", "ships")),
        chat("d", "Story?", OTHER),
    )
    _, report = run(rows, seed=5)
    assert report == {
        "exact_duplicates": 1,
        "near_duplicates": 1,
        "earlier_release": 0,
        "prompt_clusters": 1,
        "largest_clusters": [2],
        "largest_duplicate_sets": [3],
        "char_shingled": 0,
        "without_shingles": 0,
        "threshold": 0.8,
        "num_perm": 128,
        "bands": 14,
        "rows": 9,
        "ngram": 5,
        "char_ngram": 3,
        "shingle": "auto",
        "keep": "first",
        "seed": 5,
        "against": 0,
    }


def test_an_empty_frame_passes_through() -> None:
    output, report = run(schema.empty())
    assert (output.kept.height, output.rejected.height) == (0, 0)
    assert report["prompt_clusters"] == 0


VOCABULARY = ["river", "bridge", "bread", "storm", "boat", "mill", "gull", "map", "glacier", "railway"]
texts = st.lists(st.sampled_from(VOCABULARY), min_size=0, max_size=14).map(" ".join)
rows_strategy = st.lists(
    st.tuples(texts, texts, st.sampled_from([None, "g1", "g2"]), st.integers(0, 3)), min_size=1, max_size=25
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.sampled_from(["first", "longest", "newest"]), st.sampled_from([0.5, 0.8]))
def test_dedup_is_idempotent_and_accounts_for_every_row(
    data: list[tuple[str, str, str | None, int]], keep: str, threshold: float
) -> None:
    rows = frame(
        *[
            chat(f"r{i}", prompt, answer, group=group, created_at=datetime(2024, 1, 1 + day, tzinfo=UTC))
            for i, (prompt, answer, group, day) in enumerate(data)
        ]
    )
    output, _ = run(rows, keep=keep, threshold=threshold)
    assert sorted(output.kept["id"].to_list() + output.rejected["id"].to_list()) == sorted(
        rows["id"].to_list()
    )
    assert set(output.rejected["reason"].to_list()) <= {"duplicate"}
    again, _ = run(output.kept, keep=keep, threshold=threshold)
    assert again.rejected.height == 0
    assert again.kept.equals(output.kept)
    twice, _ = run(rows, keep=keep, threshold=threshold)
    assert twice.kept.equals(output.kept) and twice.rejected.equals(output.rejected)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": 0}, "greater than 0"),
        ({"threshold": 1.5}, "less than or equal to 1"),
        ({"bands": 8}, "give both `bands` and `rows`"),
        ({"bands": 20, "rows": 10}, "bands x rows = 200 exceeds num_perm = 128"),
        ({"keep": "oldest"}, "'first', 'longest' or 'newest'"),
        ({"shingle": "token"}, "'auto', 'word' or 'char'"),
        ({"ngram": 0}, "greater than or equal to 1"),
        ({"tresh": 0.8}, "Extra inputs are not permitted"),
        ({"against": "no/such/folder"}, "no such file or folder"),
    ],
)
def test_invalid_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Dedup.Options.model_validate(options)


def test_expert_bands_and_rows_are_used() -> None:
    _, report = run(frame(chat("a", "x", "y")), bands=16, rows=8)
    assert (report["bands"], report["rows"]) == (16, 8)


PIPELINE = """
name: {name}
inputs:
  - name: chats
    path: {data}
    format: openai
    license: MIT
    consent: granted
stages:
  - dedup: {options}
output:
  dir: out/{name}
"""


def write_chats(path: Path, rows: list[tuple[str, str, str]]) -> None:
    lines = [
        json.dumps(
            {"id": id, "messages": [{"role": "user", "content": p}, {"role": "assistant", "content": a}]}
        )
        for id, p, a in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_second_release_drops_what_the_first_released(tmp_path: Path) -> None:
    write_chats(
        tmp_path / "v1.jsonl",
        [("a", "Story?", PARAGRAPH), ("b", "Story?", PARAGRAPH), ("c", "Quantum?", OTHER)],
    )
    first = run_pipeline(tmp_path, PIPELINE.format(name="v1", data="v1.jsonl", options="{}"))
    assert first.rejects_of("dedup")["reason"].to_list() == ["duplicate"]
    index = tmp_path / "out" / "v1" / "dedup" / "index.parquet"
    assert sorted(pl.read_parquet(index)["id"].to_list()) == ["a", "c"]
    manifest = json.loads((tmp_path / "out" / "v1" / "manifest.json").read_text())
    dedup_stats = next(stage for stage in manifest["stages"] if stage["name"] == "dedup")
    assert dedup_stats["report"]["exact_duplicates"] == 1

    write_chats(
        tmp_path / "v2.jsonl",
        [
            ("x", "Story?", one_word_changed(PARAGRAPH, "boats", "ships")),
            ("y", "Hello", "A brand new conversation about gardening and tomatoes."),
            ("z", "Quantum?", OTHER),
        ],
    )
    second = run_pipeline(tmp_path, PIPELINE.format(name="v2", data="v2.jsonl", options="{against: out/v1}"))
    reasons = {
        row["id"]: (row["reason"], row["detail"]) for row in second.rejects_of("dedup").iter_rows(named=True)
    }
    assert reasons["z"] == (
        "earlier_release",
        "exact duplicate of 'c' in release 'v1' (Jaccard 1.00)",
    )
    assert reasons["x"][0] == "earlier_release"
    assert re.fullmatch(
        r"near duplicate of 'a' in release 'v1' \(estimated Jaccard 0\.\d\d\)", reasons["x"][1]
    )
    assert second.output["id"].to_list() == ["y"]
    assert second.stats[-1].report["earlier_release"] == 2


@pytest.mark.parametrize(
    ("first", "second", "difference"),
    [
        ("{num_perm: 64}", "{against: out/v1}", "num_perm: 64 in the index, 128 here"),
        # Without a seed of its own the stage takes the pipeline's (0), not the index's.
        ("{seed: 1}", "{against: out/v1}", "seed: 1 in the index, 0 here"),
        ("{}", "{against: out/v1, ngram: 3}", "ngram: 5 in the index, 3 here"),
    ],
)
def test_an_index_built_with_other_settings_is_refused_before_any_data_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, second: str, difference: str
) -> None:
    write_chats(tmp_path / "v1.jsonl", [("a", "Story?", PARAGRAPH)])
    run_pipeline(tmp_path, PIPELINE.format(name="v1", data="v1.jsonl", options=first))

    def read_nothing(*args: object, **kwargs: object) -> None:
        raise AssertionError("an input was read before the stages were checked")

    monkeypatch.setattr("curate.executors.local.InputStream", read_nothing)
    with pytest.raises(StageError, match=rf"dedup: against: the index .*index\.parquet .*{difference}"):
        run_pipeline(tmp_path, PIPELINE.format(name="v2", data="v1.jsonl", options=second))


def test_against_must_name_an_index(tmp_path: Path) -> None:
    write_chats(tmp_path / "v1.jsonl", [("a", "Story?", PARAGRAPH)])
    with pytest.raises(ConfigError, match=r"stages\[0\]\.dedup\.against.*no dedup index in"):
        run_pipeline(tmp_path, PIPELINE.format(name="v3", data="v1.jsonl", options="{against: .}"))


def test_a_dedup_stage_used_before_setup_says_so() -> None:
    with pytest.raises(
        StageError, match=r"stage 'dedup' was used before setup\(\): call it as stage\(frame\)"
    ):
        Dedup.from_options().process(frame(chat("a", "x", "y")))


def test_the_index_holds_only_the_rows_a_run_released(tmp_path: Path) -> None:
    stage = Dedup.from_options()
    stage(frame(chat("a", "Story?", PARAGRAPH), chat("b", "Quantum?", OTHER), chat("c", "hi", "hello")))
    pairs = pl.DataFrame({"source": ["test"], "chosen_id": ["c"], "rejected_id": ["a"]})
    stage.write_artifacts(tmp_path, pairs)
    assert pl.read_parquet(tmp_path / "dedup" / "index.parquet")["id"].to_list() == ["a", "c"]


def test_sharegpt_prompt_clusters_follow_the_distinct_first_turns(shared_data: Path) -> None:
    records = json.loads((shared_data / "sharegpt" / "fastchat_dummy_conversation.json").read_text())
    roles = {"human": "user", "gpt": "assistant"}
    rows = frame(
        *[
            conversation(
                record["id"], *[(roles[turn["from"]], turn["value"]) for turn in record["conversations"]]
            )
            for record in records
        ]
    )
    assert rows.select(pl.col("messages").list.first().struct.field("content").n_unique()).item() == 52
    output, report = run(rows)
    kept = output.kept.with_columns(
        first=pl.col("messages").list.first().struct.field("content"), turns=pl.col("messages").list.len()
    )
    # No cluster mixes two different first questions ("Are you GPT-3?" / "Are you GPT-4?")...
    mixed = kept.group_by("prompt_cluster").agg(pl.col("first").n_unique()).filter(pl.col("first") > 1)
    assert mixed.height == 0
    # ...and where the prompt is the first turn alone, clusters are exactly the distinct first turns.
    single = kept.filter(pl.col("turns") == 2)
    pairs = single.select("first", "prompt_cluster").unique()
    assert pairs.height == single["first"].n_unique() == single["prompt_cluster"].n_unique()
    # Identical prompts of longer conversations share a cluster too.
    prompts = kept.with_columns(prompt=pl.col("messages").list.head(pl.col("turns") - 1))
    assert (
        prompts.group_by("prompt").agg(pl.col("prompt_cluster").n_unique()).get_column("prompt_cluster").max()
        == 1
    )
    assert report["prompt_clusters"] == kept["prompt_cluster"].n_unique()
    assert output.kept.height + output.rejected.height == 500
