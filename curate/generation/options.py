"""One model ``generate`` asks: its endpoint, how many completions, how to sample, its license."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from curate.clients.options import EndpointOptions, sampling
from curate.licensing import check_license_key


class GeneratorOptions(EndpointOptions):
    """A model that writes candidate replies: an endpoint plus sampling parameters."""

    n: int = Field(
        1, ge=1, le=64, description="Completions per prompt (one request each, seeds seed..seed+n-1)."
    )
    temperature: float | None = Field(0.8, ge=0, le=2, description="Sampling temperature.")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling; unset leaves the server's.")
    max_tokens: int | None = Field(1024, ge=1, description="Longest completion, in tokens.")
    seed: int | None = Field(None, description="Seed of the first completion; default the stage's seed.")
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="More request fields, sent as they are (e.g. vLLM's `top_k`, `repetition_penalty`).",
    )
    license: str | None = Field(
        None,
        description="License of this model's outputs (a registry key), combined with the prompt's; "
        "unset keeps the conversation's license. Model terms come from the model's name, as for logs.",
    )

    @field_validator("license")
    @classmethod
    def _known_license(cls, value: str | None) -> str | None:
        return None if value is None else check_license_key(value)

    @field_validator("extra")
    @classmethod
    def _not_reserved(cls, value: dict[str, Any]) -> dict[str, Any]:
        reserved = sorted({"model", "messages", "n", "stream"} & set(value))
        if reserved:
            raise ValueError(f"{', '.join(reserved)} cannot be set in `extra`")
        return value

    def params(self, seed: int) -> dict[str, Any]:
        return sampling(self.temperature, self.top_p, self.max_tokens, seed, self.extra)
