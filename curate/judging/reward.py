"""A local reward model: a transformers sequence-classification model with one output.

Each candidate (prompt and reply) is rendered with the tokenizer's chat template when it has
one, else as ``role: content`` paragraphs, and scored in batches of similar lengths (less
padding), on CPU or a GPU. Scores are rounded to six decimals, so that float noise between
batch layouts cannot reorder two candidates from one run to the next. Only local folders
are read: nothing is downloaded.

torch and transformers come with curate's ``[train]`` extra; they are imported on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from curate.clients.request import Messages
from curate.errors import StageError


class RewardModel:
    """Scores conversations with the model in ``path`` (a ``save_pretrained`` folder)."""

    def __init__(
        self, path: Path, *, device: str = "cpu", batch_size: int = 8, max_length: int = 2048
    ) -> None:
        self.path = path
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def name(self) -> str:
        return self.path.name

    def load(self) -> None:
        if self._model is not None:
            return
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise StageError(
                "judge.reward_model needs torch and transformers: pip install 'curate[train]'"
            ) from exc
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(self.path, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise StageError(
                f"judge.reward_model: {self.path} is not a transformers sequence-classification model "
                f"folder ({type(exc).__name__})"
            ) from exc
        if model.config.num_labels != 1:
            raise StageError(
                f"judge.reward_model: {self.name} has {model.config.num_labels} outputs; "
                "a reward model has one"
            )
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
        device = "cuda" if self.device == "auto" and torch.cuda.is_available() else self.device
        if device == "auto":
            device = "cpu"
        self.device = device
        self._model = model.to(device).eval()
        self._tokenizer = tokenizer

    def score(self, conversations: Sequence[Messages]) -> list[float]:
        """One reward per conversation, in order."""
        import torch

        self.load()
        texts = [self._text(messages) for messages in conversations]
        order = sorted(range(len(texts)), key=lambda index: (len(texts[index]), index))
        scores: list[float] = [0.0] * len(texts)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                encoded = self._tokenizer(
                    [texts[index] for index in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                logits = self._model(**encoded).logits[:, 0].float().cpu().tolist()
                for index, value in zip(batch, logits, strict=True):
                    scores[index] = round(float(value), 6)
        return scores

    def _text(self, messages: Messages) -> str:
        chat = [{"role": role, "content": content} for role, content in messages]
        if getattr(self._tokenizer, "chat_template", None):
            return str(self._tokenizer.apply_chat_template(chat, tokenize=False))
        return "\n\n".join(f"{role}: {content}" for role, content in messages)
