"""Options of a model endpoint, shared by ``generate``'s models and the ``judge`` strategy.

An endpoint is an OpenAI-compatible chat-completions server (vLLM, TGI, llama.cpp server,
Ollama, OpenAI) and one model on it. The API key is never part of the options: they name
the environment variable that holds it, so the pipeline file, the manifest and the card
(which copy the options) cannot carry it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from curate.clients.request import Endpoint
from curate.options import StrictModel

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/curate/requests`` (``~/.cache`` when unset): outlives any run folder."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "curate" / "requests"


def _base_url(value: str) -> str:
    # The messages never repeat the value: a key pasted into the URL must not reach a log.
    url = value.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ValueError("must be an http:// or https:// URL, such as http://127.0.0.1:8000/v1")
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ValueError(
            "must not hold a user name or password (user:key@host): the URL is copied into the manifest"
            " and the card; put the key in an environment variable and name it in `api_key_env`"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            "must not have a query string or fragment (?key=...): the client appends /chat/completions"
            " to the base URL, which is copied into the manifest and the card; a key goes in an"
            " environment variable named in `api_key_env`"
        )
    if url.endswith("/chat/completions"):
        raise ValueError("give the base URL (ending in /v1), not the /chat/completions path")
    return url


def _env_name(value: str) -> str:
    # The message never repeats the value: a key pasted here by mistake must not reach a log.
    if not ENV_NAME.match(value):
        raise ValueError(
            "must be the NAME of an environment variable (letters, digits, _), such as "
            "OPENAI_API_KEY; put the key itself in that variable"
        )
    return value


BaseUrl = Annotated[str, AfterValidator(_base_url)]
"""An API base URL (``http://host:port/v1``), without a trailing slash."""
EnvName = Annotated[str, AfterValidator(_env_name)]
"""The name of an environment variable (never its value)."""

API_KEY_HELP = (
    "Name of the environment variable holding the API key, sent as a bearer token. "
    "Omit it for a server without keys. The key itself never goes in the pipeline file."
)


class RequestOptions(StrictModel):
    """How to send requests to an endpoint: the key's variable, concurrency, patience."""

    api_key_env: EnvName | None = Field(None, description=API_KEY_HELP)
    concurrency: int = Field(8, ge=1, le=1024, description="Requests in flight to this endpoint at once.")
    timeout: float = Field(120.0, gt=0, description="Seconds to wait for one response.")
    max_retries: int = Field(
        6, ge=0, le=20, description="Retries of a request after a 429, a 5xx, a timeout or a lost connection."
    )
    backoff: float = Field(
        0.5,
        ge=0,
        le=60,
        description="Seconds before the first retry; doubled each time (at most 60), or the server's "
        "Retry-After when it sends one.",
    )

    def endpoint_for(self, base_url: str, model: str) -> Endpoint:
        return Endpoint(
            base_url=base_url,
            model=model,
            api_key_env=self.api_key_env,
            concurrency=self.concurrency,
            timeout=self.timeout,
            max_retries=self.max_retries,
            backoff=self.backoff,
        )


class EndpointOptions(RequestOptions):
    """Where to send chat-completion requests, and how hard to try."""

    base_url: BaseUrl = Field(
        description="The API's base URL, up to `/v1` (the client posts to `<base_url>/chat/completions`)."
    )
    model: str = Field(min_length=1, description="The model name the server expects.")

    def endpoint(self) -> Endpoint:
        return self.endpoint_for(self.base_url, self.model)


def sampling(
    temperature: float | None, top_p: float | None, max_tokens: int | None, seed: int | None, extra: Any
) -> dict[str, Any]:
    """The request's sampling parameters: the named ones that are set, then ``extra``."""
    named = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "seed": seed}
    params = {key: value for key, value in named.items() if value is not None}
    params.update(extra or {})
    return params
