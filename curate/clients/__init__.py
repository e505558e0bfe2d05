"""Clients of model-serving APIs: OpenAI-compatible chat completions, with a response cache.

``request``  ``Endpoint``, ``ChatRequest``, ``ChatResult``, ``Usage`` and the cache key (no HTTP)
``options``  ``EndpointOptions``, the pipeline-file model of an endpoint, and the default cache folder
``cache``    ``ResponseCache``: answers by request key in one SQLite file
``chat``     ``ChatClient``: concurrency per endpoint, retries with backoff, the API key as a bearer token

``chat`` imports httpx; import it where requests are sent, not where options are validated.
Modules here import ``curate.errors`` and ``curate.options`` from the package.
"""

from curate.clients.cache import ResponseCache
from curate.clients.options import EndpointOptions, default_cache_dir
from curate.clients.request import ChatRequest, ChatResult, Endpoint, Usage

__all__ = [
    "ChatRequest",
    "ChatResult",
    "Endpoint",
    "EndpointOptions",
    "ResponseCache",
    "Usage",
    "default_cache_dir",
]
