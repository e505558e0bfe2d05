"""The judge's ``reward_model`` path: a tiny random sequence-classification model saved to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from curate.judging import RewardModel
from curate.stages.pairs import Pairs
from tests.helpers import conversation, frame

pytest.importorskip("transformers", reason="the [train] extra (torch, transformers) is not installed")

pytestmark = pytest.mark.slow

REPLIES = (
    "Dunno.",
    "Tides follow the moon.",
    "The moon pulls the sea; twice a day it rises.",
    "Ask later.",
    "Yes",
)


@pytest.fixture(scope="session")
def reward_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised Llama with one output and a small BPE tokenizer, saved as a folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForSequenceClassification, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("reward") / "tiny-rm"
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<pad>", "<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator([*REPLIES, "How do tides work? user assistant"], trainer=trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(wrapped),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        num_labels=1,
        pad_token_id=wrapped.pad_token_id,
    )
    LlamaForSequenceClassification(config).save_pretrained(folder)
    wrapped.save_pretrained(folder)
    return folder


def candidates() -> list[dict[str, Any]]:
    return [
        conversation(f"g-{n}", ("user", "How do tides work?"), ("assistant", reply), group="g")
        for n, reply in enumerate(REPLIES)
    ]


def direct_rewards(folder: Path) -> list[float]:
    """Each candidate scored alone by transformers itself, for comparison."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    rewards = []
    with torch.inference_mode():
        for reply in REPLIES:
            text = f"user: How do tides work?\n\nassistant: {reply}"
            rewards.append(float(model(**tokenizer(text, return_tensors="pt")).logits[0, 0]))
    return rewards


def test_the_reward_model_picks_the_highest_and_lowest_reward(reward_model: Path) -> None:
    stage = Pairs.from_options(
        strategies=["judge"], judge={"reward_model": str(reward_model), "batch_size": 2}
    )
    output = stage.process(frame(*candidates()))
    rewards = direct_rewards(reward_model)
    best, worst = max(range(5), key=rewards.__getitem__), min(range(5), key=rewards.__getitem__)
    [pair] = output.kept.iter_rows(named=True)
    assert (pair["chosen_id"], pair["rejected_id"]) == (f"g-{best}", f"g-{worst}")
    assert pair["score_chosen"] == pytest.approx(rewards[best], abs=1e-4)
    assert pair["score_rejected"] == pytest.approx(rewards[worst], abs=1e-4)
    assert pair["judge"] == "tiny-rm"
    assert set(output.rejected["reason"]) == {"unpaired"}
    report = stage.report().model_dump()
    assert (report["judge_model"], report["judge_mode"], report["judge_scored"]) == (
        "tiny-rm",
        "reward_model",
        5,
    )


def test_batches_give_the_scores_of_one_at_a_time(reward_model: Path) -> None:
    conversations = [(("user", "How do tides work?"), ("assistant", reply)) for reply in REPLIES]
    batched = RewardModel(reward_model, batch_size=4).score(conversations)
    alone = RewardModel(reward_model, batch_size=1).score(conversations)
    assert batched == pytest.approx(alone, abs=1e-4)
    assert RewardModel(reward_model, batch_size=4).score(conversations) == batched


def test_a_folder_that_is_no_model_is_a_stage_error(tmp_path: Path) -> None:
    from curate.errors import StageError

    with pytest.raises(StageError, match="is not a transformers sequence-classification model folder"):
        RewardModel(tmp_path).score([(("user", "q"), ("assistant", "a"))])
