"""What a run publishes of its pipeline: no local absolute path, no comment, the same settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.config import load_pipeline
from curate.config_public import public_config, render
from tests.helpers import run_pipeline

CHATS = [
    {
        "id": f"c{n}",
        "messages": [{"role": "user", "content": f"hi {n}"}, {"role": "assistant", "content": "hello"}],
    }
    for n in range(3)
]
COMMENT = "private note: the raw dump sits on the lab share"


def test_a_run_with_absolute_paths_publishes_none(tmp_path: Path) -> None:
    data = tmp_path / "raw" / "lab"
    data.mkdir(parents=True)
    (data / "chats.jsonl").write_text("\n".join(json.dumps(chat) for chat in CHATS) + "\n", encoding="utf-8")
    (data / "optout.txt").write_text("nobody\n", encoding="utf-8")
    (tmp_path / "pipelines").mkdir()
    run_pipeline(
        tmp_path / "pipelines",
        f"""
        # {COMMENT}
        name: chats  # {COMMENT}
        inputs:
          - name: chats
            path: {data}/chats.jsonl
            format: openai
            license: MIT
        stages:
          - consent: {{require: not_withheld, optout: {data}/optout.txt}}
          - license: {{use: commercial}}
        output: {{dir: {tmp_path}/out}}
        """,
    )
    out = tmp_path / "out"
    for name in ("README.md", "manifest.json"):
        text = (out / name).read_text(encoding="utf-8")
        assert str(tmp_path) not in text, name
        assert COMMENT not in text, name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["inputs"][0]["path"] == "../raw/lab/chats.jsonl"
    assert manifest["config"]["stages"][0] == {
        "consent": {"require": "not_withheld", "optout": "../raw/lab/optout.txt"}
    }
    assert manifest["config"]["output"] == {"dir": "../out"}
    assert yaml.safe_load(manifest["pipeline_text"]) == manifest["config"]
    assert manifest["inputs"][0]["files"][0]["path"] == "../raw/lab/chats.jsonl"


def test_the_published_config_validates_to_the_same_pipeline(tmp_path: Path) -> None:
    """Written next to the original, the published pipeline is the same pipeline."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text(json.dumps(CHATS[0]) + "\n", encoding="utf-8")
    folder = tmp_path / "pipelines"
    folder.mkdir()
    original = folder / "p.yaml"
    original.write_text(
        "x-d: &d {format: openai, license: MIT}\nname: p\n"
        f"inputs:\n  - {{name: a, path: {tmp_path}/data/a.jsonl, <<: *d}}\n",
        encoding="utf-8",
    )
    config = load_pipeline(original)
    again = folder / "again.yaml"
    again.write_text(render(public_config(config)), encoding="utf-8")
    copy = load_pipeline(again)

    def resolved(one: Any) -> list[tuple[Any, ...]]:
        return [(i.format, i.license, (one.base_dir / i.path).resolve()) for i in one.inputs]

    assert resolved(copy) == resolved(config)
    assert copy.output_dir == config.output_dir
    assert public_config(copy) == public_config(config)


text = st.text(max_size=100) | st.lists(st.text(alphabet="ab :#-", max_size=12), max_size=4).map("\n".join)
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(text, values, max_size=5))
def test_rendering_round_trips(config: dict[str, Any]) -> None:
    assert yaml.safe_load(render(config)) == config
