"""The demo's output as the Hub and ``datasets`` take it: types, card metadata, nothing local.

The demo mixes sources under Apache-2.0, CC-BY-4.0 and MIT, so its card lists three Hub
license ids; three of its inputs are known Hub datasets.
"""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
from huggingface_hub import DatasetCard

import curate
from curate.licensing.hub import hub_license_ids

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "pipelines" / "demo.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo-dpo"
    curate.Pipeline.from_yaml(DEMO).run(output_dir=out, workers=1)
    return out


def test_the_output_concatenates_with_a_trl_dataset_without_a_cast(demo: Path, tmp_path: Path) -> None:
    ours = datasets.load_dataset(str(demo), cache_dir=str(tmp_path / "cache"))["train"]
    trl = datasets.Dataset.from_dict(
        {
            "prompt": [[{"role": "user", "content": "What is the capital of France?"}]],
            "chosen": [[{"role": "assistant", "content": "Paris."}]],
            "rejected": [[{"role": "assistant", "content": "Lyon."}]],
        }
    )
    both = datasets.concatenate_datasets([ours, trl])
    assert both.num_rows == ours.num_rows + 1
    assert both.features["chosen"] == trl.features["chosen"]


def test_the_card_metadata_is_what_the_hub_knows(demo: Path) -> None:
    data = DatasetCard.load(demo / "README.md").data
    assert data.license == ["apache-2.0", "cc-by-4.0", "mit"]
    assert set(data.license) <= hub_license_ids()
    assert data.to_dict().get("license_name") is None
    assert data.source_datasets == ["Anthropic/hh-rlhf", "OpenAssistant/oasst2", "openbmb/UltraFeedback"]
    assert data.size_categories == ["n<1K"]


def test_no_local_path_and_no_comment_is_published(demo: Path) -> None:
    comments = [line.split("#", 1)[1].strip() for line in DEMO.read_text().splitlines() if "#" in line]
    comments = [comment for comment in comments if len(comment.split()) >= 3]  # not "# MIT"
    assert len(comments) > 5
    for name in ("README.md", "manifest.json"):
        text = (demo / name).read_text(encoding="utf-8")
        assert str(ROOT) not in text and str(demo.parent) not in text, name
        assert not [comment for comment in comments if comment in text], name
