"""Proof that an output folder is ready for DPO: TRL's DPOTrainer takes two steps on it.

Three folders: the pairs test pipeline's, the demo's, and one whose pairs an LLM judge made
from generated candidates (``tests.judge_support``, through a loopback server). A fourth, the
pairs test pipeline's written with ``output.format_variant: kto``, takes two steps of TRL's
KTOTrainer (``train_kto``), and the same pipeline's ``standard`` output two DPO steps.

``train_dpo(folder, work)`` loads a curate output folder with ``datasets`` as a user would,
trains a byte-level BPE tokenizer with a chat template on its text, builds a tiny randomly
initialised Llama from a config (nothing is downloaded), and runs ``trl.DPOTrainer`` for two
optimisation steps on the ``train`` split and one evaluation on ``test``, offline, on CPU.
Point it at any folder, e.g. the demo's output.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chat_server import ChatServer
from tests.helpers import run_pipeline
from tests.judge_support import referee, set_keys, write_judged_pipeline
from tests.pairs_support import PIPELINE, preference_records, write_jsonl

pytest.importorskip("trl", reason="the [train] extra (trl, transformers, torch) is not installed")

pytestmark = [
    pytest.mark.slow,
    # trl calls transformers' gradient-checkpointing methods under their old names.
    pytest.mark.filterwarnings(r"ignore:`\w*gradient_checkpointing\w*` is deprecated:FutureWarning"),
]

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "pipelines" / "demo.yaml"
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL = ["<pad>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]


def texts_of(dataset: Any) -> Iterator[str]:
    for row in dataset:
        for column in ("prompt", "chosen", "rejected", "completion"):
            value = row.get(column)
            if isinstance(value, str):
                yield value
            for message in value if isinstance(value, list) else []:
                yield message["content"]


def train_tokenizer(texts: Iterator[str]) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<|end|>", bos_token=None
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def tiny_model(tokenizer: Any) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def train_dpo(folder: Path, work: Path, steps: int = 2) -> dict[str, Any]:
    """Two DPO steps on ``folder``'s train split and an evaluation on its test split."""
    from trl import DPOConfig, DPOTrainer

    return train_with(DPOConfig, DPOTrainer, folder, work / "dpo", steps, batch_size=2)


def train_kto(folder: Path, work: Path, steps: int = 2) -> dict[str, Any]:
    """Two KTO steps on ``folder``'s train split (a ``kto`` output) and an evaluation on its test split."""
    from trl import KTOConfig, KTOTrainer

    # KTO's KL term pairs each prompt with another row's reply: batches of 4.
    return train_with(KTOConfig, KTOTrainer, folder, work / "kto", steps, batch_size=4)


def train_with(
    config_class: Any, trainer_class: Any, folder: Path, work: Path, steps: int, batch_size: int
) -> dict[str, Any]:
    """``steps`` steps of a TRL trainer on ``folder``'s train split with a tiny model, and an
    evaluation on its test split: what changed and what the losses were."""
    import datasets
    import torch

    splits = datasets.load_dataset(str(folder), cache_dir=str(work.parent / "cache"))
    tokenizer = train_tokenizer(texts_of(splits["train"]))
    model = tiny_model(tokenizer)
    before = {name: parameter.detach().clone() for name, parameter in model.named_parameters()}
    config = config_class(
        output_dir=str(work),
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size,
        learning_rate=1e-2,
        max_length=512,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=0,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = trainer_class(
        model=model,
        # The reference is the untrained model; TRL would otherwise reload it from a Hub id.
        ref_model=copy.deepcopy(model),
        args=config,
        train_dataset=splits["train"],
        eval_dataset=splits.get("test"),
        processing_class=tokenizer,
    )
    trainer.train()
    changed = sum(
        not torch.equal(before[name], parameter.detach()) for name, parameter in model.named_parameters()
    )
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    evaluation = trainer.evaluate() if "test" in splits else {}
    return {
        "steps": trainer.state.global_step,
        "losses": losses,
        "parameters_changed": changed,
        "eval_loss": evaluation.get("eval_loss"),
        "rows": {name: split.num_rows for name, split in splits.items()},
    }


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("WANDB_DISABLED", "true")


def pairs_output(tmp_path: Path, variant: str = "conversational") -> Path:
    data = write_jsonl(tmp_path / "rows.jsonl", preference_records(2))
    evals = write_jsonl(
        tmp_path / "eval.jsonl", [{"id": "e1", "prompt": "nothing in the data looks like this"}]
    )
    text = PIPELINE.format(data=data.name, evals=evals.name, out="out", formats="[parquet, jsonl]")
    run_pipeline(tmp_path, text.replace("  card: false\n", f"  card: false\n  format_variant: {variant}\n"))
    return tmp_path / "out"


def standard_output(tmp_path: Path) -> Path:
    return pairs_output(tmp_path, "standard")


def demo_output(tmp_path: Path) -> Path:
    if not DEMO.exists():
        pytest.skip(f"{DEMO} does not exist yet")
    import curate

    out = tmp_path / "demo-out"
    curate.run(DEMO, output_dir=out)
    return out


def judged_output(tmp_path: Path) -> Path:
    """One-reply logs, two generating models and an LLM judge, all behind a loopback server."""
    import curate

    with ChatServer(referee) as server, pytest.MonkeyPatch.context() as patch:
        set_keys(patch, tmp_path)
        curate.Pipeline.from_yaml(write_judged_pipeline(tmp_path, server.url)).run()
    return tmp_path / "out"


@pytest.mark.parametrize(
    "make_output",
    [pairs_output, demo_output, judged_output, standard_output],
    ids=["pairs-pipeline", "demo", "judged", "standard"],
)
def test_dpo_trainer_takes_two_steps(tmp_path: Path, make_output: Any) -> None:
    folder = make_output(tmp_path)
    result = train_dpo(folder, tmp_path / "work")
    check_training(result)


def test_kto_trainer_takes_two_steps_on_a_kto_output(tmp_path: Path) -> None:
    result = train_kto(pairs_output(tmp_path, "kto"), tmp_path / "work")
    check_training(result)


def check_training(result: dict[str, Any]) -> None:
    assert result["steps"] == 2
    assert len(result["losses"]) == 2
    assert all(math.isfinite(loss) for loss in result["losses"])
    assert result["parameters_changed"] > 0
    assert result["rows"]["train"] > 0
    if "test" in result["rows"]:
        assert result["eval_loss"] is not None and math.isfinite(result["eval_loss"])
