"""The ``consent`` stage: consent values, opt-out lists by user and by record, and re-runs."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.errors import ConfigError, StageError
from curate.stages.base import RunContext
from curate.stages.consent import Consent
from tests.helpers import conversation, figures, frame, run_pipeline


def stage(tmp: Path | None = None, **options: Any) -> Consent:
    context = RunContext(pipeline_dir=tmp) if tmp else None
    built = Consent.from_options(context, **options)
    assert isinstance(built, Consent)
    return built


def reasons(consent_stage: Consent, rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """Each row's id and reason (None when kept)."""
    output = consent_stage(frame(*rows))
    kept: dict[str, str | None] = dict.fromkeys(output.kept["id"])
    dropped = dict(zip(output.rejected["id"], output.rejected["reason"], strict=True))
    assert len(kept) + len(dropped) == len(rows)
    return kept | dropped


@pytest.mark.parametrize(
    ("consent", "require", "expected"),
    [
        ("granted", "not_withheld", None),
        ("granted", "granted", None),
        ("withheld", "not_withheld", "consent:withheld"),
        ("withheld", "granted", "consent:withheld"),
        ("unknown", "not_withheld", None),
        ("unknown", "granted", "consent:unknown"),
        (None, "not_withheld", None),
        (None, "granted", "consent:unknown"),
    ],
)
def test_consent_values_against_require(consent: str | None, require: str, expected: str | None) -> None:
    assert reasons(stage(require=require), [conversation("a", consent=consent)]) == {"a": expected}


OPTOUT_TEXT = """\
# people who asked to be removed
arena_user_0042
fb-0007

user:u-only
record:r-only
"""


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"user": "arena_user_0042"}, "optout:user"),
        ({"id": "fb-0007"}, "optout:record"),
        ({"id": "arena_user_0042"}, "optout:record"),
        ({"user": "u-only"}, "optout:user"),
        ({"id": "u-only"}, None),
        ({"id": "r-only"}, "optout:record"),
        ({"user": "r-only"}, None),
        ({"id": "fb-0007", "user": "arena_user_0042", "consent": "withheld"}, "optout:record"),
        ({"user": "arena_user_0042", "consent": "withheld"}, "optout:user"),
        ({"user": "# people who asked to be removed"}, None),
        ({"user": "someone-else"}, None),
    ],
)
def test_optout_by_user_and_by_record(tmp_path: Path, row: dict[str, Any], expected: str | None) -> None:
    (tmp_path / "optout.txt").write_text(OPTOUT_TEXT, encoding="utf-8")
    fields = {"id": "x-1", **row}
    identifier = fields.pop("id")
    result = reasons(stage(tmp_path, optout=tmp_path / "optout.txt"), [conversation(identifier, **fields)])
    assert result == {identifier: expected}


def test_parquet_optout_lists_with_scoped_record_ids(tmp_path: Path) -> None:
    pl.DataFrame({"key": ["k1", None]}).write_parquet(tmp_path / "keys.parquet")
    pl.DataFrame(
        {"user": ["u9", None, None], "id": [None, "r1", "r2"], "source": [None, "wild", None]}
    ).write_parquet(tmp_path / "ids.parquet")
    rows = [
        conversation("k1", source="any"),
        conversation("a", user="k1"),
        conversation("b", user="u9"),
        conversation("r1", source="wild"),
        conversation("r1", source="other"),
        conversation("r2", source="other"),
    ]
    consent_stage = stage(tmp_path, optout=[tmp_path / "keys.parquet", tmp_path / "ids.parquet"])
    output = consent_stage(frame(*rows))
    got = sorted(output.rejected.select("source", "id", "reason").rows())
    assert got == [
        ("any", "k1", "optout:record"),
        ("other", "r2", "optout:record"),
        ("test", "a", "optout:user"),
        ("test", "b", "optout:user"),
        ("wild", "r1", "optout:record"),
    ]
    assert output.kept.select("source", "id").rows() == [("other", "r1")]


def test_details_name_the_list_not_the_entry(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "first.txt").write_text("user:jane.doe@example.com\n", encoding="utf-8")
    (tmp_path / "lists" / "second.txt").write_text("jane.doe@example.com\nrec-1\n", encoding="utf-8")
    consent_stage = stage(
        tmp_path, optout=[tmp_path / "lists" / "first.txt", tmp_path / "lists" / "second.txt"]
    )
    rows = [conversation("a", user="jane.doe@example.com"), conversation("rec-1")]
    rejected = consent_stage(frame(*rows)).rejected.sort("id")
    assert rejected["detail"].to_list() == [
        "user is on the opt-out list lists/first.txt",
        "record id is on the opt-out list lists/second.txt",
    ]
    report = figures(consent_stage)
    assert "jane" not in json.dumps(report)
    assert report["optout_lists"] == [
        {
            "file": "lists/first.txt",
            "entries": 1,
            "sha256": hashlib.sha256(b"user:jane.doe@example.com\n").hexdigest(),
        },
        {
            "file": "lists/second.txt",
            "entries": 2,
            "sha256": hashlib.sha256(b"jane.doe@example.com\nrec-1\n").hexdigest(),
        },
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.txt", b"ok-entry\nuser:\n", "bad.txt:2: `user:` must be followed by a user key"),
        ("bad.txt", b"\xff\xfesecret", "bad.txt is not UTF-8 text"),
        ("bad.parquet", b"not parquet at all", "cannot read the opt-out list bad.parquet as Parquet"),
    ],
)
def test_unreadable_optout_lists_are_named_without_their_entries(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(StageError) as caught:
        stage(tmp_path, optout=tmp_path / name)(frame(conversation("a")))
    assert message in str(caught.value)
    assert "secret" not in str(caught.value)


def test_a_parquet_list_needs_a_known_column(tmp_path: Path) -> None:
    pl.DataFrame({"email": ["jane@example.com"]}).write_parquet(tmp_path / "list.parquet")
    with pytest.raises(StageError, match=r"needs a `key`, `user` or `id` column \(has email\)"):
        stage(tmp_path, optout=tmp_path / "list.parquet").setup()


def test_report_counts_consent_values_and_optout_kinds(tmp_path: Path) -> None:
    (tmp_path / "optout.txt").write_text("u1\nc9\n", encoding="utf-8")
    consent_stage = stage(tmp_path, require="granted", optout=tmp_path / "optout.txt")
    first = consent_stage(
        frame(
            conversation("c1", consent="granted"),
            conversation("c2", consent="granted", user="u1"),
            conversation("c3", consent="withheld"),
        )
    ).report
    rest = frame(conversation("c4", consent="unknown"), conversation("c9", consent=None))
    second = consent_stage(rest).report
    # Each call reports its own rows; a run adds up its shards' reports the same way.
    assert first is not None and second is not None
    report = first.merged(second).model_dump()
    assert report["require"] == "granted"
    assert report["consent"] == {
        "granted": {"kept": 1, "dropped": 1},
        "withheld": {"kept": 0, "dropped": 1},
        "unknown": {"kept": 0, "dropped": 2},
    }
    assert report["optout"] == {"user": 1, "record": 1}


KEYS = [f"k{i}" for i in range(12)]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(KEYS),
            st.sampled_from([*KEYS, None]),
            st.sampled_from(["granted", "withheld", None]),
        ),
        min_size=1,
        max_size=25,
        unique_by=lambda row: row[0],
    ),
    first=st.lists(st.sampled_from([*KEYS, *(f"user:{k}" for k in KEYS), *(f"record:{k}" for k in KEYS)])),
    more=st.lists(st.sampled_from([*KEYS, *(f"user:{k}" for k in KEYS), *(f"record:{k}" for k in KEYS)])),
    require=st.sampled_from(["granted", "not_withheld"]),
)
def test_a_longer_optout_list_removes_exactly_the_new_entries_records(
    rows: list[tuple[str, str | None, str | None]], first: list[str], more: list[str], require: str
) -> None:
    records = [conversation(key, user=user, consent=consent) for key, user, consent in rows]
    with tempfile.TemporaryDirectory() as folder:
        short, long = Path(folder) / "short.txt", Path(folder) / "long.txt"
        short.write_text("\n".join(first) + "\n", encoding="utf-8")
        long.write_text("\n".join(first + more) + "\n", encoding="utf-8")
        before = stage(require=require, optout=short)(frame(*records))
        after = stage(require=require, optout=long)(frame(*records))

    def named(record: dict[str, Any], entries: list[str]) -> bool:
        users = {e.removeprefix("user:") for e in entries if not e.startswith("record:")}
        ids = {e.removeprefix("record:") for e in entries if not e.startswith("user:")}
        return record["id"] in ids or record["user"] in users

    newly_named = {record["id"] for record in records if named(record, more)}
    assert set(after.kept["id"]) == set(before.kept["id"]) - newly_named
    assert set(before.rejected["id"]) <= set(after.rejected["id"])


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


MESSAGES = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
PIPELINE = """
name: consented
inputs:
  - name: feedback
    path: feedback.jsonl
    format: openai
    consent: granted
    consent_field: meta.metadata.consent
    consent_values: {{"yes": granted, "no": withheld, "true": granted}}
stages:
  - consent: {{require: {require}, optout: {optout}}}
"""


@pytest.fixture
def feedback(tmp_path: Path) -> Path:
    write_jsonl(
        tmp_path / "feedback.jsonl",
        [
            {"id": "fb-1", "messages": MESSAGES, "user": "u1", "metadata": {"consent": "yes"}},
            {"id": "fb-2", "messages": MESSAGES, "user": "u2", "metadata": {"consent": "no"}},
            {"id": "fb-3", "messages": MESSAGES, "user": "u3", "metadata": {}},
            {"id": "fb-4", "messages": MESSAGES, "user": "u4", "metadata": {"consent": "maybe"}},
            {"id": "fb-5", "messages": MESSAGES, "user": "u5", "metadata": {"consent": True}},
            {"id": "fb-6", "messages": MESSAGES, "user": "u6", "metadata": {"consent": "yes"}},
            {"id": "fb-7", "messages": MESSAGES, "user": "u7", "metadata": {"consent": "yes"}},
        ],
    )
    return tmp_path


@pytest.mark.parametrize(
    ("require", "expected"),
    [
        ("granted", {"fb-2": "consent:withheld", "fb-4": "consent:unknown"}),
        ("not_withheld", {"fb-2": "consent:withheld"}),
    ],
)
def test_the_consent_field_mapping_reaches_the_stage(
    feedback: Path, require: str, expected: dict[str, str]
) -> None:
    (feedback / "optout.txt").write_text("# nobody yet\n", encoding="utf-8")
    result = run_pipeline(feedback, PIPELINE.format(require=require, optout="optout.txt"), write=False)
    read = pl.concat([result.output, result.rejects_of("consent")], how="diagonal_relaxed")
    consent = dict(zip(read["id"], read["consent"], strict=True))
    assert consent == {
        "fb-1": "granted",
        "fb-2": "withheld",
        "fb-3": "granted",
        "fb-4": "unknown",
        "fb-5": "granted",
        "fb-6": "granted",
        "fb-7": "granted",
    }
    rejected = result.rejects_of("consent")
    assert dict(zip(rejected["id"], rejected["reason"], strict=True)) == expected


def test_a_rerun_with_a_longer_optout_list_drops_only_the_new_entries(feedback: Path) -> None:
    (feedback / "short.txt").write_text("u6\n", encoding="utf-8")
    (feedback / "long.txt").write_text("u6\nfb-7\nu1\n", encoding="utf-8")
    first = run_pipeline(feedback, PIPELINE.format(require="not_withheld", optout="short.txt"), write=False)
    second = run_pipeline(feedback, PIPELINE.format(require="not_withheld", optout="long.txt"), write=False)
    assert set(first.output["id"]) - set(second.output["id"]) == {"fb-1", "fb-7"}
    assert set(second.output["id"]) <= set(first.output["id"])
    rejected = second.rejects_of("consent")
    assert sorted(zip(rejected["id"], rejected["reason"], strict=True)) == [
        ("fb-1", "optout:user"),
        ("fb-2", "consent:withheld"),
        ("fb-6", "optout:user"),
        ("fb-7", "optout:record"),
    ]


def test_a_missing_optout_list_fails_before_reading(feedback: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        run_pipeline(feedback, PIPELINE.format(require="granted", optout="missing.txt"), write=False)
    assert "stages[0].consent.optout" in str(caught.value)
    assert "no such file or folder" in str(caught.value)
