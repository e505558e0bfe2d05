"""What a chat-completion request and its result are, and the key that caches one.

Light on purpose (no HTTP library): option models and stages import it while a pipeline file
is validated; ``curate.clients.chat`` sends the requests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

Messages = tuple[tuple[str, str], ...]
"""Chat messages as ``(role, content)`` pairs."""


@dataclass(frozen=True)
class Endpoint:
    """One model on one OpenAI-compatible server, and how hard to try it.

    The API key is not here: only the name of the variable that holds it, read when the
    requests are sent, so no repr, manifest or error built from an endpoint can show it.
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    concurrency: int = 8
    timeout: float = 120.0
    max_retries: int = 6
    backoff: float = 0.5

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    @property
    def label(self) -> str:
        return f"{self.model} at {self.base_url}"


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to ask ``endpoint`` for; ``params`` are the sampling parameters."""

    endpoint: Endpoint
    messages: Messages
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def body(self) -> dict[str, Any]:
        return {
            **self.params,
            "model": self.endpoint.model,
            "messages": [{"role": role, "content": content} for role, content in self.messages],
        }

    @cached_property
    def key(self) -> str:
        """The cache key: endpoint, model, messages and every parameter, in canonical JSON.

        Sampling parameters include the seed, so the ``n`` completions of one prompt are ``n``
        keys. Retry settings, concurrency and the API key are not part of it.
        """
        canonical = orjson.dumps(
            [self.endpoint.base_url, self.endpoint.model, self.messages, self.params],
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class ChatResult:
    """A completion, or why there is none (``error``: a status or a kind of failure, never a key)."""

    content: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.content is not None

    def to_cache(self) -> bytes:
        return orjson.dumps(
            {
                "content": self.content,
                "finish_reason": self.finish_reason,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            },
            option=orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_cache(cls, value: bytes) -> ChatResult:
        data = orjson.loads(value)
        return cls(
            content=data["content"],
            finish_reason=data.get("finish_reason"),
            prompt_tokens=int(data.get("prompt_tokens") or 0),
            completion_tokens=int(data.get("completion_tokens") or 0),
            cached=True,
        )


@dataclass
class Usage:
    """What one endpoint cost: requests the data needed, and how they were answered."""

    requests: int = 0
    """Completions asked for, whether answered from the cache or sent."""
    cached: int = 0
    sent: int = 0
    """Requests that went over the network (retries not counted)."""
    retries: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, result: ChatResult) -> None:
        self.requests += 1
        self.cached += result.cached
        self.failed += not result.ok
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
