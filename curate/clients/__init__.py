"""Clients of model-serving APIs: OpenAI-compatible chat completions, with a response cache.

``request``  ``Endpoint``, ``ChatRequest``, ``ChatResult``, ``Usage`` and the cache key (no HTTP)
``options``  ``EndpointOptions``, ``RequestOptions``: endpoints in pipeline files; the cache folder
``cache``    ``ResponseCache``: answers by request key in one SQLite file
``chat``     ``ChatClient``: concurrency per endpoint, retries with backoff, the API key as a bearer token

``chat`` imports httpx2; import it where requests are sent, not where options are validated.
Modules here import ``curate.errors`` and ``curate.options`` from the package.
"""

from curate.clients.cache import ResponseCache
from curate.clients.options import BaseUrl, EndpointOptions, EnvName, RequestOptions, default_cache_dir
from curate.clients.request import ChatRequest, ChatResult, Endpoint, Usage

__all__ = [
    "BaseUrl",
    "ChatRequest",
    "ChatResult",
    "Endpoint",
    "EndpointOptions",
    "EnvName",
    "RequestOptions",
    "ResponseCache",
    "Usage",
    "default_cache_dir",
]
