"""The pii stage outside the messages: ids, groups, user keys, model and every string of meta."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.pii.fields import rewrite, strings
from curate.stages.base import RunContext
from curate.stages.pii import Pii
from tests.helpers import conversation, figures, frame, run_in_shards, run_pipeline

EMAIL, OTHER_EMAIL, PHONE, NAME = (
    "jane.doe@example.com",
    "j.doe@example.org",
    "+1 415-555-0199",
    "Emily Carter",
)
PSEUDONYM = r"pii-[0-9a-f]{16}"


def stage(**options: Any) -> Pii:
    built = Pii.from_options(RunContext(workers=1, seed=options.pop("seed", 0)), **options)
    assert isinstance(built, Pii)
    return built


def row(id: str = "c1", **columns: Any) -> dict[str, Any]:
    return conversation(
        id, ("user", "How do tides work?"), ("assistant", "The moon pulls the sea."), **columns
    )


def published(kept: pl.DataFrame) -> str:
    """Every published column of ``kept`` as one JSON text (working columns left out)."""
    return json.dumps(kept.select(c for c in kept.columns if not c.startswith("_")).to_dicts(), default=str)


@pytest.mark.parametrize(
    ("columns", "planted"),
    [
        ({"id": EMAIL}, EMAIL),
        ({"group": EMAIL}, EMAIL),
        ({"prompt_cluster": f"chats:{EMAIL}"}, EMAIL),
        ({"user": OTHER_EMAIL}, OTHER_EMAIL),
        ({"user": NAME}, NAME),
        ({"model": NAME}, NAME),
        ({"meta": json.dumps({"contact": EMAIL})}, EMAIL),
        ({"meta": json.dumps({"profile": {"phones": [f"cell {PHONE}", 7]}})}, "555-0199"),
        ({"meta": json.dumps({"raw": json.dumps({"author": NAME})})}, NAME),
        ({"meta": json.dumps({EMAIL: True})}, EMAIL),
        ({"meta": json.dumps({"note": f"Written for {NAME} by her team today"})}, NAME),
        ({"meta": json.dumps({"iban": "DE89 3704 0044 0532 0130 00"})}, "0532"),
        ({"meta": "not json, mail " + EMAIL}, EMAIL),
    ],
    ids=[
        "id",
        "group",
        "prompt_cluster",
        "user-email",
        "user-name",
        "model",
        "meta-value",
        "meta-nested-list",
        "meta-json-string",
        "meta-key",
        "meta-prose",
        "meta-iban",
        "meta-not-json",
    ],
)
def test_no_planted_value_survives_in_any_side_column(columns: dict[str, Any], planted: str) -> None:
    output = stage()(frame(row(**columns)))
    assert output.kept.height == 1
    assert planted not in published(output.kept)


def test_keys_become_one_pseudonym_per_value_unique_and_keyed() -> None:
    rows = [
        row(EMAIL, group=EMAIL, user=OTHER_EMAIL),
        row(OTHER_EMAIL, group=EMAIL, user=OTHER_EMAIL),
        row("c3", group="g1", user="u-17"),
    ]
    kept = stage()(frame(*rows)).kept
    ids, groups, users = kept["id"].to_list(), kept["group"].to_list(), kept["user"].to_list()
    assert all(pl.Series(ids[:2]).str.contains(f"^{PSEUDONYM}$"))
    assert ids[0] != ids[1] and groups[0] == groups[1] == ids[0] and users[0] == users[1] == ids[1]
    assert (ids[2], groups[2], users[2]) == ("c3", "g1", "u-17")
    assert kept["_raw_id"].to_list() == [EMAIL, OTHER_EMAIL, None]
    assert kept["_raw_user"].to_list() == [OTHER_EMAIL, OTHER_EMAIL, None]
    again = stage()(frame(*rows)).kept["id"].to_list()
    other_seed = stage(seed=1)(frame(*rows)).kept["id"].to_list()
    assert again == ids and other_seed[0] != ids[0]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"model": "Samantha-7b"}, {"model": "Samantha-7b"}),
        ({"model": "allenai/OLMo-7B"}, {"model": "allenai/OLMo-7B"}),
        ({"model": "mixtral-8x7b-instruct-v0.1"}, {"model": "mixtral-8x7b-instruct-v0.1"}),
        ({"id": "dea6297a7db956450df7ed2c:chosen"}, {"id": "dea6297a7db956450df7ed2c:chosen"}),
        ({"id": "Coy87Sb"}, {"id": "Coy87Sb"}),
        ({"id": "1234567890"}, {"id": "1234567890"}),
        ({"user": "samantha92"}, {"user": "samantha92"}),
        ({"meta": '{"state": "Virginia", "country": "United States"}'}, None),
        ({"meta": '{"state":"New Hampshire","hashed_ip":"fae619bffab8","toxic":false}'}, None),
    ],
    ids=[
        "model-name",
        "model-family",
        "model-plain",
        "hex-id",
        "short-id",
        "numeric-id",
        "username",
        "place",
        "wildchat",
    ],
)
def test_what_is_not_personal_data_is_left_alone(
    columns: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    before = row(**columns)
    kept = stage()(frame(before)).kept.row(0, named=True)
    for column, value in (expected or columns).items():
        assert kept[column] == value


def test_a_name_found_in_a_turn_is_not_removed_from_a_model_name() -> None:
    chat = conversation(
        "c1", ("user", "Hi, I'm Samantha Reyes."), ("assistant", "Hello!"), model="Samantha-7b"
    )
    kept = stage()(frame(chat)).kept.row(0, named=True)
    assert "Samantha" not in kept["messages"][0]["content"]
    assert kept["model"] == "Samantha-7b"


def test_a_name_found_in_meta_is_removed_from_the_turns_too() -> None:
    chat = conversation(
        "c1",
        ("user", "Sign it from Emily, please."),
        ("assistant", "Done."),
        meta=json.dumps({"author": NAME}),
    )
    kept = stage()(frame(chat)).kept.row(0, named=True)
    assert "Emily" not in kept["messages"][0]["content"]


def test_unchanged_meta_keeps_its_bytes_and_changed_meta_stays_valid_json() -> None:
    spaced = '{"state": "Virginia",  "turns": [{"toxic": false}]}'
    kept = stage()(frame(row("c1", meta=spaced), row("c2", meta=json.dumps({"a": [EMAIL, 1.5, None]})))).kept
    metas = kept["meta"].to_list()
    assert metas[0] == spaced
    assert json.loads(metas[1]) == {"a": ["<EMAIL_ADDRESS>", 1.5, None]}


def test_keys_that_scrub_to_the_same_text_stay_apart() -> None:
    meta = json.dumps({EMAIL: 1, OTHER_EMAIL: 2})
    kept = stage()(frame(row(meta=meta))).kept
    assert json.loads(kept["meta"][0]) == {"<EMAIL_ADDRESS>": 1, "<EMAIL_ADDRESS>#2": 2}


def test_drop_rejects_a_conversation_with_personal_data_in_a_side_column() -> None:
    output = stage(action="drop")(frame(row("c1", user=OTHER_EMAIL), row("c2")))
    assert output.kept["id"].to_list() == ["c2"]
    assert output.rejected["reason"].to_list() == ["pii:EMAIL_ADDRESS"]
    assert output.rejected["user"].to_list() == [OTHER_EMAIL]


def test_report_counts_each_column_and_quotes_no_value(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        row(EMAIL, user=OTHER_EMAIL, model=NAME, meta=json.dumps({"contact": EMAIL, "n": "x"})),
        row("c2", meta=json.dumps({"state": "Ohio"})),
    ]
    pii = stage()
    pii(frame(*rows))
    report = figures(pii)
    columns = report["columns"]
    assert columns["id"] == {"values": 2, "changed": 1, "entities": {"EMAIL_ADDRESS": 1}}
    assert columns["user"] == {"values": 1, "changed": 1, "entities": {"EMAIL_ADDRESS": 1}}
    assert columns["model"] == {"values": 1, "changed": 1, "entities": {"PERSON": 1}}
    assert columns["meta"]["entities"] == {"EMAIL_ADDRESS": 1} and columns["meta"]["changed"] == 1
    assert report["entities"] == {} and report["conversations_with_pii"] == 1
    assert report["hash_key"] == "seed"
    assert not [value for value in (EMAIL, OTHER_EMAIL, NAME) if value in json.dumps(report)]
    monkeypatch.setenv("CURATE_PII_KEY", "a secret")
    keyed = stage()
    keyed(frame(*rows))
    assert figures(keyed)["hash_key"] == "environment"
    clean = stage()
    clean(frame(rows[1]))
    assert figures(clean).get("hash_key") is None


def test_shards_add_up_to_the_whole() -> None:
    rows = frame(
        *(row(f"c{n}@example.com" if n % 2 else f"c{n}", meta=json.dumps({"m": EMAIL})) for n in range(6))
    )
    whole = stage()
    whole(rows)
    kept, _, stats = run_in_shards(stage(), rows, shard_rows=2)
    assert stats.report is not None
    assert stats.report["columns"] == figures(whole)["columns"]
    assert kept["id"].to_list() == whole(rows).kept["id"].to_list()


def test_an_optout_list_still_matches_after_pii_replaced_the_key(tmp_path: Path) -> None:
    records = [
        {"id": "r1", "user": OTHER_EMAIL, "messages": [{"role": "user", "content": "Hello?"}]},
        {"id": EMAIL, "messages": [{"role": "user", "content": "Good day?"}]},
        {"id": "r3", "user": "u-3", "messages": [{"role": "user", "content": "Hi there?"}]},
    ]
    (tmp_path / "chats.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    (tmp_path / "optout.txt").write_text(f"user:{OTHER_EMAIL}\nrecord:{EMAIL}\n", "utf-8")
    result = run_pipeline(
        tmp_path,
        """
        name: optout-after-pii
        inputs:
          - {name: chats, path: chats.jsonl, format: openai, license: MIT}
        stages:
          - pii: {}
          - consent: {optout: optout.txt}
        output: {dir: out, card: false}
        """,
        workers=1,
    )
    assert result.output["id"].to_list() == ["r3"]
    assert sorted(result.rejects_by_stage["consent"]["reason"].to_list()) == ["optout:record", "optout:user"]
    published_rows = pl.read_parquet(next((tmp_path / "out" / "data").glob("*.parquet")))
    assert not [c for c in published_rows.columns if c.startswith("_")]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_strings_and_rewrite_round_trip(document: Any) -> None:
    meta = orjson.dumps(document).decode()
    found = strings(meta)
    assert rewrite(meta, [text for text, _ in found]) == meta
    upper = rewrite(meta, [text.upper() for text, _ in found])
    assert [text for text, _ in strings(upper)] == [text.upper() for text, _ in found]


def test_deep_meta_is_scanned_without_recursion_errors() -> None:
    deep = "[" * 900 + json.dumps(EMAIL) + "]" * 900
    kept = stage()(frame(row(meta=deep))).kept
    assert EMAIL not in kept["meta"][0]


@pytest.mark.parametrize("action", ["replace", "mask", "hash", "redact"])
def test_scrubbing_side_columns_twice_changes_nothing(action: str) -> None:
    rows = frame(
        row(EMAIL, user=OTHER_EMAIL, model=NAME, meta=json.dumps({"c": EMAIL, "p": f"cell {PHONE}"})),
        row("c2", model="olmo-2-13b-instruct", meta=json.dumps({"state": "Virginia"})),
    )
    once = stage(action=action)(rows).kept
    twice = stage(action=action)(once).kept
    assert twice.drop("_raw_id", "_raw_user").equals(once.drop("_raw_id", "_raw_user"))
    assert twice["_raw_id"].to_list() == [EMAIL, None]


def test_the_card_section_tables_the_columns() -> None:
    pii = stage()
    pii(frame(row(EMAIL, meta=json.dumps({"state": "Ohio"}))))
    report = pii.report()
    assert report is not None
    section = Pii.card_section(report)
    assert "| `id` | 1 | EMAIL_ADDRESS 1 | 1 |" in section
    assert "| `meta` | 2 | none | 0 |" in section
    assert EMAIL not in section
