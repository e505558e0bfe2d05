"""The pii stage: every entity under every action, echoes, allow lists, drops, idempotence."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from curate.pii.analysis import shared_scanner
from curate.pii.engine import EngineSpec
from curate.pii.entities import DEFAULT_ENTITIES
from curate.stages.base import RunContext, StageOutput
from curate.stages.pii import Pii, PiiOptions
from tests.helpers import conversation, figures, frame, run_pipeline

ROOT = Path(__file__).resolve().parents[1]

SAMPLES = [
    ("PERSON", "Hi, my name is Emily Carter and I need a bio.", "Emily Carter"),
    ("EMAIL_ADDRESS", "Write to emily.carter.1987@example.com today.", "emily.carter.1987@example.com"),
    ("PHONE_NUMBER", "My phone is (415) 555-0132, call after six.", "(415) 555-0132"),
    ("CREDIT_CARD", "My card 4111 1111 1111 1111 was charged twice.", "4111 1111 1111 1111"),
    ("US_SSN", "For the form: SSN 536-90-4471.", "536-90-4471"),
    ("IP_ADDRESS", "Sent from 203.0.113.57 this morning.", "203.0.113.57"),
    ("IBAN_CODE", "Refund to DE89 3704 0044 0532 0130 00 please.", "DE89 3704 0044 0532 0130 00"),
    ("STREET_ADDRESS", "Ship it to 221B Baker St, London NW1 6XE.", "221B Baker St, London NW1 6XE"),
    ("PROFILE_URL", "More on https://twitter.com/emcarter87 weekly.", "https://twitter.com/emcarter87"),
]


def stage(**options: Any) -> Pii:
    built = Pii.from_options(RunContext(workers=1, seed=options.pop("seed", 0)), **options)
    assert isinstance(built, Pii)
    return built


def contents(output: StageOutput) -> list[list[str]]:
    return [[m["content"] for m in messages] for messages in output.kept["messages"].to_list()]


@pytest.mark.parametrize("action", ["replace", "mask", "hash", "redact", "drop"])
@pytest.mark.parametrize(("entity", "text", "value"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_entity_under_each_action(action: str, entity: str, text: str, value: str) -> None:
    output = stage(action=action)(frame(conversation("c1", ("user", text), ("assistant", "Noted."))))
    if action == "drop":
        assert output.kept.height == 0
        assert output.rejected["reason"].to_list() == [f"pii:{entity}"]
        assert output.rejected["detail"].to_list() == [f"{entity}=1"]
        return
    scrubbed = contents(output)[0][0]
    expected = {
        "replace": text.replace(value, f"<{entity}>"),
        "mask": text.replace(value, "*" * len(value)),
        "redact": text.replace(value, ""),
    }
    if action == "hash":
        assert value not in scrubbed and scrubbed.count(f"<{entity}_") == 1
    else:
        assert scrubbed == expected[action]
    assert output.rejected.height == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I am here, (415) 555-0132. Please help.", "(415) 555-0132"),
        ("Details: 212-555-0178 if needed", "212-555-0178"),
        ("Also +44 20 7946 0958 works", "+44 20 7946 0958"),
    ],
)
def test_phone_shapes_are_found_without_a_context_word(text: str, value: str) -> None:
    output = stage()(frame(conversation("c1", ("user", text), ("assistant", "Noted."))))
    assert contents(output)[0][0] == text.replace(value, "<PHONE_NUMBER>")


def test_values_typed_by_the_user_are_removed_from_assistant_echoes() -> None:
    output = stage()(
        frame(
            conversation(
                "c1",
                ("user", "Hi, my name is Emily Carter, mail emily.carter.1987@example.com."),
                ("assistant", "Sure, Emily! Emily Carter can be reached at emily.carter.1987@example.com."),
            )
        )
    )
    assert contents(output)[0][1] == "Sure, <PERSON>! <PERSON> can be reached at <EMAIL_ADDRESS>."


@pytest.mark.parametrize(("ner_on", "expected"), [(["user", "system"], 0), ("all", 1)])
def test_ner_on_assistant_turns_only_when_asked(ner_on: Any, expected: int) -> None:
    turns = (
        ("user", "Who gave the keynote?"),
        ("assistant", "Bruce Alexander will be talking in the conference"),
    )
    output = stage(ner_on=ner_on)(frame(conversation("c1", *turns)))
    assert contents(output)[0][1].count("<PERSON>") == expected


def test_pattern_recognizers_run_on_every_role() -> None:
    turns = (("system", "Support line 555-867-5309 (phone)."), ("assistant", "Mail me at bot@example.org"))
    output = stage()(frame(conversation("c1", *turns)))
    assert contents(output)[0] == ["Support line <PHONE_NUMBER> (phone).", "Mail me at <EMAIL_ADDRESS>"]


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"allow": ["Bruce Alexander"]}, "Bruce Alexander will be talking in the conference"),
        ({"allow": ["BRUCE   alexander"]}, "Bruce Alexander will be talking in the conference"),
        ({}, "Ask ChatGPT or Claude, whichever you like."),
    ],
)
def test_allowed_terms_are_kept(options: dict[str, Any], text: str) -> None:
    output = stage(**options)(frame(conversation("c1", ("user", text))))
    assert contents(output)[0] == [text]


def test_assistant_names_can_be_disallowed() -> None:
    text = "Claude Shannon founded information theory. My name is Claude."
    output = stage(allow_assistant_names=False)(frame(conversation("c1", ("user", text))))
    assert "Claude" not in contents(output)[0][0]


def test_hash_tokens_are_consistent_within_a_run_and_differ_across_seeds() -> None:
    rows = frame(
        conversation("a", ("user", "Call me at (415) 555-0132 please.")),
        conversation("b", ("user", "My phone number: 415.555.0132")),
    )
    pii = stage(action="hash")
    first, second = (texts[0] for texts in contents(pii(rows)))
    token = re.search(r"<PHONE_NUMBER_[a-z]{8}>", first)
    assert token is not None
    assert token.group() in second
    assert token.group() in contents(pii(rows.slice(1)))[0][0]
    assert token.group() not in contents(stage(action="hash", seed=7)(rows))[0][0]
    assert figures(pii)["hash_key"] == "seed"


def test_hash_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = frame(conversation("a", ("user", "Write to ada@example.org")))
    seeded = contents(stage(action="hash")(rows))
    monkeypatch.setenv("CURATE_PII_KEY", "a secret nobody published")
    keyed = stage(action="hash")
    assert contents(keyed(rows)) != seeded
    assert figures(keyed)["hash_key"] == "environment"


IDEMPOTENCE_CORPUS = [text for _, text, _ in SAMPLES] + [
    "Dear Hannah Schmidt,\nyour card 2223 0031 2200 3222 is blocked. Mobile: 041-412-293."
    "\nRegards,\nBob Stone",
    "Python 3.11.7 crashed at 2023-11-05T14:32:10Z (pid 4242, commit 9fceb02d).",
]


@pytest.mark.parametrize("action", ["replace", "mask", "hash", "redact"])
def test_scrubbing_twice_changes_nothing(action: str) -> None:
    rows = frame(*(conversation(f"c{n}", ("user", text)) for n, text in enumerate(IDEMPOTENCE_CORPUS)))
    once = stage(action=action)(rows).kept
    twice = stage(action=action)(once)
    assert contents(twice) == [[m["content"] for m in ms] for ms in once["messages"].to_list()]
    assert twice.rejected.height == 0


PATTERN_ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "IBAN_CODE"]
PLANTED = st.sampled_from(
    ["ada@example.org", "call 555-867-5309", "4111 1111 1111 1111", "SSN 536-90-4471", "8.8.8.8", "v3.11.7"]
)
WORDS = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.lists(st.one_of(PLANTED, WORDS), min_size=1, max_size=5), min_size=1, max_size=6),
    st.sampled_from(["replace", "mask", "hash", "drop"]),
)
def test_rows_balance_and_scrubbing_is_idempotent(texts: list[list[str]], action: str) -> None:
    rows = frame(*(conversation(f"c{n}", ("user", " ".join(parts))) for n, parts in enumerate(texts)))
    pii = stage(action=action, entities=PATTERN_ENTITIES)
    output = pii(rows)
    assert output.kept.height + output.rejected.height == rows.height
    assert set(output.rejected["reason"].to_list()) <= {f"pii:{e}" for e in PATTERN_ENTITIES}
    again = stage(action=action, entities=PATTERN_ENTITIES)(output.kept)
    assert (
        again.rejected.height == 0 and again.kept["messages"].to_list() == output.kept["messages"].to_list()
    )


def redacted_rows() -> pl.DataFrame:
    return frame(
        conversation("flagged", ("user", "Mail ada@example.org"), meta=json.dumps({"redacted": True})),
        conversation("clean", ("user", "Mail bob@example.org"), meta=json.dumps({"redacted": False})),
        conversation("nested", ("user", "hi"), meta=json.dumps({"flags": {"redacted": "yes"}})),
    )


@pytest.mark.parametrize(
    ("options", "kept", "reasons", "first"),
    [
        ({}, ["flagged", "clean", "nested"], [], "Mail <EMAIL_ADDRESS>"),
        ({"on_source_redacted": "trust"}, ["flagged", "clean", "nested"], [], "Mail ada@example.org"),
        ({"on_source_redacted": "drop"}, ["clean", "nested"], ["source_redacted"], None),
        (
            {"on_source_redacted": "drop", "redacted_field": "meta.flags.redacted"},
            ["flagged", "clean"],
            ["source_redacted"],
            "Mail <EMAIL_ADDRESS>",
        ),
    ],
)
def test_records_the_source_redacted(
    options: dict[str, Any], kept: list[str], reasons: list[str], first: str | None
) -> None:
    output = stage(**options)(redacted_rows())
    assert output.kept["id"].to_list() == kept
    assert output.rejected["reason"].to_list() == reasons
    if first is not None:
        assert contents(output)[0][0] == first


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"entities": ["PERSON", "SHOE_SIZE"]}, "unknown entity types ['SHOE_SIZE']"),
        ({"entities": []}, "at least 1 item"),
        ({"score_threshold": 1.5}, "between 0 and 1"),
        ({"score_threshold": {"CREDIT_CARD": 0.3}, "entities": ["PERSON"]}, "not in `entities`"),
        ({"ner_on": ["assistant"], "roles": ["user"]}, "not scanned"),
        ({"redacted_field": "redacted"}, "must be meta.<key>"),
        ({"action": "shred"}, "'replace', 'mask', 'redact', 'hash' or 'drop'"),
        ({"nerr_on": "all"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_options_say_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        PiiOptions.model_validate(options)
    assert message in str(raised.value)


def test_thresholds_per_entity_fall_back_to_default() -> None:
    options = PiiOptions(score_threshold={"default": 0.6, "PHONE_NUMBER": 0.3})
    assert options.thresholds() == {**dict.fromkeys(DEFAULT_ENTITIES, 0.6), "PHONE_NUMBER": 0.3}
    quiet = stage(score_threshold={"PHONE_NUMBER": 0.2}, entities=["PHONE_NUMBER"])
    assert contents(quiet(frame(conversation("c1", ("user", "ref 041-412-293 here")))))[0] == [
        "ref <PHONE_NUMBER> here"
    ]


def test_report_counts_and_never_quotes_a_value() -> None:
    pii = stage()
    pii(frame(*(conversation(f"c{n}", ("user", text)) for n, (_, text, _) in enumerate(SAMPLES))))
    report = figures(pii)
    assert report["entities"] == dict.fromkeys(sorted(DEFAULT_ENTITIES), 1)
    assert report["actions"] == {"replace": len(SAMPLES)}
    assert report["conversations_with_pii"] == len(SAMPLES)
    assert report["ner_on"] == ["system", "user"]
    rendered = json.dumps(report)
    assert not [value for _, _, value in SAMPLES if value in rendered]


FAST_PLAIN_CORPUS = [
    *IDEMPOTENCE_CORPUS,
    "Tiffany Kilfoyle\nNera Economic Consulting\n+1-944-435-4352x04732 mobile",
    "The Princess Royal arrived at Nugeri this morning from Niger.",
    "Dr. Nielsen is a 50 year old man who grew up in Ústí nad Labem 2.",
    "I'm so jealous! said Honoré to James",
    "",
    "12345 67890",
]


def test_fast_path_equals_presidio_plain_path(shared_data: Path) -> None:
    research = json.loads((shared_data / "pii" / "presidio_research_generated_small.json").read_text("utf-8"))
    texts = FAST_PLAIN_CORPUS + [record["full_text"] for record in research]
    ner = [n % 3 != 2 for n in range(len(texts))]
    spec = EngineSpec(entities=DEFAULT_ENTITIES, thresholds=tuple((e, 0.5) for e in DEFAULT_ENTITIES))
    fast, plain = shared_scanner(spec), shared_scanner(spec, plain=True)
    assert fast.findings(texts, ner) == plain.findings(texts, ner)
    assert sum(map(len, fast.findings(texts, ner))) > 50


def test_pipeline_records_pii_counts_and_rejects(tmp_path: Path) -> None:
    records = [
        {"id": "r1", "messages": [{"role": "user", "content": "I'm at ada@example.org"}]},
        {"id": "r2", "messages": [{"role": "user", "content": "What is 2 + 2?"}]},
    ]
    (tmp_path / "chats.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    result = run_pipeline(
        tmp_path,
        """
        name: pii-run
        inputs:
          - {name: chats, path: chats.jsonl, format: openai, license: MIT}
        stages:
          - pii: {action: drop}
        output: {dir: out, card: false}
        """,
        workers=1,
    )
    assert result.output["id"].to_list() == ["r2"]
    assert result.rejects_by_stage["pii"]["reason"].to_list() == ["pii:EMAIL_ADDRESS"]
    manifest = (tmp_path / "out" / "manifest.json").read_text("utf-8")
    assert "ada@example.org" not in manifest
    assert '"conversations_with_pii": 1' in manifest or '"conversations_with_pii":1' in manifest


def planted() -> list[dict[str, str]]:
    path = ROOT / "data" / "planted_pii.json"
    if not path.exists():
        pytest.skip("the demo data (data/planted_pii.json) does not exist yet")
    return list(json.loads(path.read_text("utf-8")))


def demo_conversations() -> pl.DataFrame:
    """Every string of every demo record, one conversation per record (no reader involved)."""
    rows = []
    for path in sorted((ROOT / "data").glob("*.json*")):
        if path.name == "planted_pii.json":
            continue
        text = path.read_text("utf-8")
        records = (
            json.loads(text) if path.suffix == ".json" else [json.loads(line) for line in text.splitlines()]
        )
        for number, record in enumerate(records):
            strings = [s for s in _strings(record) if " " in s.strip()]
            if strings:
                rows.append(conversation(f"{path.stem}-{number}", *(("user", s) for s in strings)))
    return frame(*rows)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.slow
def test_planted_demo_pii_is_found_and_removed() -> None:
    values = planted()
    output = stage()(demo_conversations())
    text = json.dumps(contents(output), ensure_ascii=False)
    assert [v["value"] for v in values if v["value"] in text] == []


@pytest.mark.slow
def test_demo_pipeline_publishes_no_planted_pii(tmp_path: Path) -> None:
    values = planted()
    demo = ROOT / "pipelines" / "demo.yaml"
    if not demo.exists():
        pytest.skip("pipelines/demo.yaml does not exist yet")
    import curate

    curate.Pipeline.from_yaml(demo).run(output_dir=tmp_path / "out", workers=1)
    published = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and "rejects" not in p.parts]
    leaks = [
        (path.name, v["value"])
        for path in published
        for v in values
        if v["value"].encode() in path.read_bytes()
    ]
    assert leaks == []
