"""``to_datasketch``: a release's dedup index as a datasketch ``MinHashLSH`` that finds what curate finds."""

from __future__ import annotations

import itertools
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import datasketch.lsh
import numpy as np
import pytest

from curate.dedup import DedupIndexError, to_datasketch
from curate.dedup.clusters import NO_GROUP, Sketches
from curate.dedup.export import Which
from curate.dedup.index import INDEX_PATH, IndexSettings, read_index, write_index
from curate.dedup.minhash import lsh_parameters
from curate.dedup.sketch import Sketcher
from curate.errors import CurateError
from curate.stages.dedup import Dedup
from tests.helpers import conversation, frame

SETTINGS = IndexSettings(num_perm=128, seed=3, shingle="auto", ngram=5, char_ngram=3)


def words(stem: str, edits: int = 0, count: int = 100) -> str:
    """``count`` distinct words; ``edits`` of them, spread apart, replaced. With word 5-grams
    one edit takes Jaccard with the unedited text to ~0.90, two ~0.81, four ~0.66, ten ~0.31."""
    tokens = [f"{stem}{i}" for i in range(count)]
    for edit in range(edits):
        tokens[7 + edit * (count // max(edits, 1)) % (count - 7)] = f"edit{stem}{edit}"
    return " ".join(tokens)


# Prompts and replies edited independently, so each part has its own near-duplicate pairs.
ROWS = [
    conversation("a0", ("user", words("alpha")), ("assistant", words("beta"))),
    conversation("a1", ("user", words("alpha", 1)), ("assistant", words("beta", 3))),
    conversation("a2", ("user", words("alpha", 2)), ("assistant", words("beta", 1))),
    conversation("a3", ("user", words("alpha", 3)), ("assistant", words("beta", 2))),
    conversation("a4", ("user", words("alpha", 4)), ("assistant", words("gamma"))),
    conversation("a5", ("user", words("alpha", 8)), ("assistant", words("beta", 8))),
    conversation("a6", ("user", words("alpha", 10)), ("assistant", words("beta", 12))),
    conversation("a7", ("user", words("alpha", 9)), ("assistant", words("beta", 10))),
    conversation("a0", ("user", words("alpha", 1)), ("assistant", words("gamma", 1)), source="other"),
    conversation("d0", ("user", words("delta")), ("assistant", words("beta", 4))),
    conversation("d1", ("user", words("delta", 2)), ("assistant", words("epsilon"))),
    conversation("q0", ("assistant", words("gamma", 2))),  # no prompt: no prompt shingles
    conversation("q1", ("user", "?!"), ("assistant", "...")),  # no shingles at all
]


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = frame(*ROWS)
    target = tmp_path_factory.mktemp("release") / INDEX_PATH
    write_index(target, data.select("id", "source"), Sketcher(SETTINGS).sketch(data), SETTINGS, "v1")
    return target


def curate_candidates(path: Path, which: str, lsh: tuple[int, int]) -> set[tuple[str, str]]:
    """Pairs of keys that share an LSH band in curate's own banding (``Sketches.build``)."""
    index = read_index(path)
    prompt, reply = index.sketch.prompt, index.sketch.reply
    parts, present = {
        "prompt": ((prompt.signatures,), prompt.has_shingles),
        "reply": ((reply.signatures,), reply.has_shingles),
        "conversation": ((prompt.signatures, reply.signatures), index.sketch.has_shingles),
    }[which]
    sketches = Sketches.build(
        prompt.keys, parts, present, np.full(len(index.ids), NO_GROUP, dtype=np.int64), lsh
    )
    keys = [f"{source}:{id}" for source, id in zip(index.sources, index.ids, strict=True)]
    pairs = set()
    for band in range(sketches.bands.shape[1]):
        buckets = defaultdict(list)
        for row in np.flatnonzero(present).tolist():
            buckets[int(sketches.bands[row, band])].append(keys[row])
        for bucket in buckets.values():
            pairs |= {(min(pair), max(pair)) for pair in itertools.combinations(bucket, 2)}
    return pairs


def datasketch_candidates(found: Any) -> set[tuple[str, str]]:
    """Pairs of keys that datasketch's LSH returns for each inserted ``LeanMinHash``."""
    return {
        (min(key, other), max(key, other))
        for key, minhash in found.minhashes.items()
        for other in found.lsh.query(minhash)
        if other != key
    }


@pytest.mark.parametrize("which", ["prompt", "reply", "conversation"])
@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9])
def test_datasketch_finds_the_candidate_pairs_curate_finds(
    index_path: Path, which: Which, threshold: float
) -> None:
    found = to_datasketch(index_path, threshold, which=which)
    lsh = Dedup.from_options(threshold=threshold).options.lsh()
    assert (found.lsh.b, found.lsh.r) == (found.bands, found.rows) == lsh
    expected = curate_candidates(index_path, which, lsh)
    assert datasketch_candidates(found) == expected
    # The rows tell bandings apart: datasketch's default weights would nominate other pairs.
    assert curate_candidates(index_path, which, lsh_parameters(threshold, 128)) != expected


@pytest.mark.parametrize(
    ("which", "inserted", "left_out"),
    [
        ("prompt", 11, ["test:q0", "test:q1"]),
        ("reply", 12, ["test:q1"]),
        ("conversation", 12, ["test:q1"]),
    ],
)
def test_rows_without_shingles_are_left_out_and_named(
    index_path: Path, which: Which, inserted: int, left_out: list[str]
) -> None:
    found = to_datasketch(index_path, which=which)
    assert len(found.minhashes) == inserted
    assert found.without_shingles == left_out
    assert found.threshold == 0.8


def test_an_output_folder_and_a_prefix_are_accepted(index_path: Path) -> None:
    found = to_datasketch(index_path.parent.parent, prefix="v1/")
    assert sorted(found.minhashes)[:2] == ["v1/other:a0", "v1/test:a0"]
    assert found.lsh.query(found.minhashes["v1/test:a0"]) != []


def test_storage_config_reaches_datasketch_unchanged(
    index_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis configuration goes to datasketch's storage factories as given (here they hand
    back in-memory storage, so no server is needed); the keys go in pickled, as for Redis."""
    seen: list[tuple[dict[str, Any], bytes]] = []

    def recorder(factory: Any) -> Any:
        def make(config: dict[str, Any], name: bytes) -> Any:
            seen.append((config, name))
            return factory({"type": "dict"}, name=name)

        return make

    monkeypatch.setattr(datasketch.lsh, "ordered_storage", recorder(datasketch.lsh.ordered_storage))
    monkeypatch.setattr(datasketch.lsh, "unordered_storage", recorder(datasketch.lsh.unordered_storage))
    config = {"type": "redis", "basename": b"curate-test", "redis": {"host": "nowhere", "port": 1}}
    found = to_datasketch(index_path, storage_config=config)
    assert {name for _, name in seen} >= {b"curate-test_keys", b"curate-test_bucket_\x00\x00"}
    assert all(given == config for given, _ in seen)
    assert len(seen) == found.bands + 1
    assert found.lsh.prepickle
    assert sorted(found.lsh.query(found.minhashes["test:a0"]))[0] == "other:a0"


def test_building_the_lsh_leaves_the_global_random_stream_alone(index_path: Path) -> None:
    random.seed(11)
    expected = random.random()
    random.seed(11)
    to_datasketch(index_path)
    assert random.random() == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"threshold": 1.0},
            "1 bands x 128 rows (derived from threshold 1.0) do not fit datasketch's MinHashLSH",
        ),
        ({"params": (20, 10)}, "20 bands x 10 rows (given) do not fit datasketch's MinHashLSH"),
        ({"params": (1, 64)}, "which needs at least 2 bands of at least one row within num_perm = 128"),
    ],
)
def test_bands_datasketch_cannot_use_are_refused(
    index_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(DedupIndexError, match=re.escape(message)) as raised:
        to_datasketch(index_path, **options)
    assert isinstance(raised.value, CurateError)
    assert str(index_path) in str(raised.value)


def test_a_folder_without_an_index_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DedupIndexError, match=f"no dedup index in {tmp_path}"):
        to_datasketch(tmp_path)


def test_the_index_the_dedup_stage_writes_converts(tmp_path: Path) -> None:
    stage = Dedup.from_options(threshold=0.8)
    output = stage(frame(*ROWS))
    stage.write_artifacts(tmp_path, output.kept)
    found = to_datasketch(tmp_path, which="conversation")
    released = [f"{source}:{id}" for source, id in output.kept.select("source", "id").iter_rows()]
    assert output.rejected.height > 0 and "test:q1" in released
    assert sorted(found.minhashes) == sorted(key for key in released if key != "test:q1")
    assert found.without_shingles == ["test:q1"]


def test_a_key_the_lsh_already_holds_is_refused(tmp_path: Path) -> None:
    data = frame(ROWS[0], ROWS[0])
    target = tmp_path / INDEX_PATH
    write_index(target, data.select("id", "source"), Sketcher(SETTINGS).sketch(data), SETTINGS, "v1")
    with pytest.raises(DedupIndexError, match=re.escape(f"{target}: datasketch refused the row 'test:a0'")):
        to_datasketch(target)
