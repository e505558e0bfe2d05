"""Stage states in the work folder: large arrays mapped back, links as codes, parts as before."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curate.dedup.stacked import StackedRows
from curate.errors import OutputError
from curate.executors import states
from curate.executors.links import Links, part_of_rows
from curate.executors.partitioned import batches
from curate.executors.states import MAPPED_BYTES, read_state, write_state
from curate.executors.workdir import WORK_MARK, RunKey, WorkFolder
from curate.memory import mapping, release
from curate.splitting.clusters import components

KEY = RunKey("0.1.0", "sha256:aa", (("chats", (("chats.jsonl", "ff"),)),), 100, None)


def test_large_arrays_come_back_mapped_and_equal(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    large = rng.integers(0, 2**32, size=(MAPPED_BYTES // 256, 128), dtype=np.uint32)
    small = np.arange(10, dtype=np.int64)
    state = {"large": large, "small": small, "view": large[::2], "text": ["a", "b"]}
    path = tmp_path / "s.state.pickle"
    write_state(path, state)
    found = read_state(path)
    assert isinstance(found, dict)
    for name in ("large", "small", "view"):
        assert np.array_equal(found[name], state[name]), name
    assert found["text"] == ["a", "b"]
    assert mapping(found["large"]) is not None and not found["large"].flags.writeable
    assert mapping(found["small"]) is None  # small arrays stay in the pickle
    release(found["large"])
    assert np.array_equal(found["large"], large)  # still readable after its pages went back


def test_stacked_rows_read_as_one_array_by_row(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    parts = [rng.integers(0, 9, size=(rows, 4), dtype=np.uint32) for rows in (3, 1, 5)]
    stacked = StackedRows.of([parts[0], StackedRows(parts[1:])])
    whole = np.concatenate(parts)
    rows = np.array([8, 0, 3, 3, 4, 2], dtype=np.int64)
    assert stacked.shape == whole.shape
    assert np.array_equal(stacked[rows], whole[rows])
    assert stacked[np.zeros(0, np.int64)].shape == (0, 4)


def test_a_work_folder_of_another_layout_is_refused_unless_restarted(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({WORK_MARK: 1, "key": KEY.to_json()}))
    with pytest.raises(OutputError, match="another version of curate"):
        WorkFolder.open(folder, KEY, resume=True, restart=False)
    work, resumed = WorkFolder.open(folder, KEY, resume=False, restart=True)
    assert not resumed and work._layout() != 1


links_lists = st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=3), max_size=30)


@settings(max_examples=200, deadline=None)
@given(links_lists, st.integers(1, 6))
def test_parts_from_codes_are_the_parts_of_the_strings(links: list[list[str]], batch_rows: int) -> None:
    """Parts numbered by first row, as ``components`` finds them over the strings."""
    expected = components(links)[0].tolist() if links else []
    assert part_of_rows(Links.encode(links)).tolist() == expected
    assert batches(links, batch_rows).size == len(links)


def test_links_of_shards_concatenate_to_the_links_of_all_rows() -> None:
    rows = [["a"], ["b", "a"], ["c"], ["d", "c"], ["e"]]
    joined = Links.concat([Links.encode(rows[:2]), Links.encode(rows[2:])])
    whole = Links.encode(rows)
    assert np.array_equal(joined.codes, whole.codes) and np.array_equal(joined.starts, whole.starts)


def test_a_row_without_links_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one link"):
        Links.encode([["a"], []])


def _resident() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc (Linux)")
def test_mapped_state_costs_no_memory_until_read_and_released(tmp_path: Path) -> None:
    """A 64 MB state read back holds far less than its size; read whole, then released, too."""
    path = tmp_path / "big.state.pickle"
    write_state(path, np.ones((1 << 24,), dtype=np.uint32))
    before = _resident()
    found = read_state(path)
    assert isinstance(found, np.ndarray) and found.shape == (1 << 24,)
    assert _resident() - before < 8 << 20
    assert int(found.sum()) == 1 << 24
    assert _resident() - before > 32 << 20  # read: its pages are resident...
    release(found)
    assert _resident() - before < 8 << 20  # ...until given back


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="maps keep no file open from Python 3.13 on")
def test_many_mapped_states_are_not_stopped_by_a_low_open_files_limit(tmp_path: Path) -> None:
    """Each map keeps its file open before Python 3.13: a step maps one state a shard."""
    limit = resource.RLIMIT_NOFILE
    soft, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY and hard < 256:
        pytest.skip("the hard limit of open files is too low to test")
    paths = [tmp_path / f"{number}.state.pickle" for number in range(120)]
    for path in paths:
        write_state(path, np.zeros(MAPPED_BYTES // 8, dtype=np.int64))
    resource.setrlimit(limit, (64, hard))
    states._allow_open_files.cache_clear()
    try:
        found = [read_state(path) for path in paths]
        assert len(found) == 120
    finally:
        del found
        resource.setrlimit(limit, (soft, hard))
